// CompressionSpec: what to compress and how, validated at the boundary, with a canonical id.
import { createHash } from "node:crypto";
import { z } from "zod";
import { COMPRESSION_METHODS, methodOf } from "./methods/index.js";

/** The spec's methods: the registry's (./methods/index.ts). */
export const METHODS = COMPRESSION_METHODS.map((m) => m.id) as [string, ...string[]];
/** Quantization: supported weight bits and group sizes (−1 = one group per output row). */
export const QUANT_BITS = [2, 3, 4, 8] as const;
export const QUANT_GROUP_SIZES = [-1, 32, 64, 128] as const;

/** "unstructured" or "N:M" (N < M, both positive integers). */
const patternSchema = z.string().superRefine((p, c) => {
  if (p === "unstructured") return;
  const m = /^(\d+):(\d+)$/.exec(p);
  if (!m) {
    c.addIssue({ code: "custom", message: `pattern "${p}" is neither "unstructured" nor N:M (e.g. "2:4")` });
    return;
  }
  const n = Number(m[1]), mm = Number(m[2]);
  if (n < 1 || mm < 2 || n >= mm) c.addIssue({ code: "custom", message: `pattern ${p}: N:M needs 1 ≤ N < M (got N=${n}, M=${mm})` });
});

export const calibrationSchema = z.strictObject({
  /** "corpus" (kick's data/tokens) or a path to a text file. */
  source: z.string().min(1).default("corpus"),
  samples: z.number().int().positive().max(4096).default(128),
  seqLen: z.number().int().positive().max(131072).default(2048),
  seed: z.number().int().nonnegative().default(0),
});

export const owlSchema = z.strictObject({
  lambda: z.number().gt(0).lt(1).default(0.08),
  m: z.number().gt(0).default(5),
});

export const compressionSpecSchema = z
  .strictObject({
    method: z.enum(METHODS),
    /** the methods' own fields (./methods/*.ts `options`) */
    ...(Object.assign({}, ...COMPRESSION_METHODS.map((m) => m.options ?? {})) as Record<string, z.ZodType>),
    pattern: patternSchema.default("unstructured"),
    /** Fraction of weights set to zero, in [0, 1). For N:M it is N/M (filled in when omitted). */
    sparsity: z.number().min(0, "sparsity must be in [0, 1)").lt(1, "sparsity must be in [0, 1)").optional(),
    /** SparseGPT/GPTQ: damping as a fraction of mean(diag H). */
    damping: z.number().gt(0).lt(10).default(0.01),
    blockSize: z.number().int().min(8).max(4096).default(128), // the fused solve needs ≥ 8 columns (one per row it owns)
    trueSequential: z.boolean().default(false),
    calibration: calibrationSchema.default({ source: "corpus", samples: 128, seqLen: 2048, seed: 0 }),
    owl: owlSchema.optional(),
    /** Quantization (rtn, gptq; with sparsegpt = joint sparse + quantized): weight bits 2/3/4/8. */
    bits: z.number().int().refine((b) => (QUANT_BITS as readonly number[]).includes(b), { message: `bits must be one of ${QUANT_BITS.join(", ")}` }).optional(),
    /** Group size along the input: −1 = one group per output row (default), 32, 64 or 128. */
    groupSize: z.number().int().refine((g) => (QUANT_GROUP_SIZES as readonly number[]).includes(g), { message: `groupSize must be one of ${QUANT_GROUP_SIZES.join(", ")}` }).optional(),
    /** Symmetric grid (zero point 2^(bits−1)); default asymmetric, as the GPTQ reference. */
    sym: z.boolean().default(false),
    /** GPTQ act-order: columns by decreasing diag(H) (needs g_idx unless staticGroups). */
    actOrder: z.boolean().default(false),
    /** GPTQ static groups: group params fixed on the original weights before the solve. */
    staticGroups: z.boolean().default(false),
  })
  .superRefine((s, c) => {
    const m = methodOf(s.method);
    const issue = (path: string, message: string) => c.addIssue({ code: "custom", path: [path], message });
    const nm = parseNM(s.pattern);
    const owlMethods = COMPRESSION_METHODS.filter((x) => x.owl).map((x) => x.id).join(" or ");
    if (nm) {
      const ratio = nm.n / nm.m;
      if (s.sparsity !== undefined && Math.abs(s.sparsity - ratio) > 1e-9) issue("sparsity", `sparsity ${s.sparsity} disagrees with pattern ${s.pattern} (N/M = ${ratio})`);
      if (s.owl) issue("owl", `OWL with pattern ${s.pattern} is not supported (uniform N:M)`);
    } else if (m.prunes && s.sparsity === undefined) issue("sparsity", `method ${s.method} needs a sparsity in [0, 1)`);
    if (s.owl && !m.owl) issue("owl", `OWL applies to ${owlMethods}, not ${s.method}`);
    if (m.quantizes === "always") {
      if (s.bits === undefined) issue("bits", `method ${s.method} needs bits (${QUANT_BITS.join(", ")})`);
      const joint = COMPRESSION_METHODS.find((x) => x.prunes && x.quantizes === "optional")?.id;
      if (s.sparsity !== undefined && s.sparsity !== 0) issue("sparsity", `method ${s.method} does not prune (for sparse + quantized use method ${joint} with bits)`);
      if (s.pattern !== "unstructured") issue("pattern", `method ${s.method} takes no pattern (got ${s.pattern})`);
      if (s.owl) issue("owl", `OWL applies to ${owlMethods}, not ${s.method}`);
    }
    if (s.staticGroups && (s.groupSize ?? -1) === -1) issue("staticGroups", "staticGroups needs a groupSize (32, 64 or 128)");
    if (m.quantizes === "never" && (s.bits !== undefined || s.groupSize !== undefined || s.sym || s.actOrder || s.staticGroups)) {
      const always = COMPRESSION_METHODS.filter((x) => x.quantizes === "always").map((x) => x.id);
      const optional = COMPRESSION_METHODS.filter((x) => x.quantizes === "optional").map((x) => `${x.id} with bits`);
      issue("bits", `method ${s.method} does not quantize (use ${[...always, ""].join(", ")}or ${optional.join(" or ")})`);
    }
    for (const other of COMPRESSION_METHODS)
      for (const k of Object.keys(other.options ?? {}))
        if (!(k in (m.options ?? {})) && (s as Record<string, unknown>)[k] !== undefined) issue(k, `${k} applies to method ${other.id}, not ${s.method}`);
    m.refine?.(s as CompressionSpec & Record<string, unknown>, issue, nm);
  });

export type CompressionSpecInput = z.input<typeof compressionSpecSchema>;
export type CompressionSpec = z.output<typeof compressionSpecSchema> & { sparsity: number };

export class CompressionSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompressionSpecError";
  }
}

export function parseNM(pattern: string): { n: number; m: number } | null {
  const m = /^(\d+):(\d+)$/.exec(pattern);
  return m ? { n: Number(m[1]), m: Number(m[2]) } : null;
}

/** Validates a spec; throws CompressionSpecError naming every bad field and value. */
export function parseCompressionSpec(input: unknown): CompressionSpec {
  const r = compressionSpecSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const path = i.path.length ? i.path.join(".") : "spec";
      const got = getPath(input, i.path);
      return `${path}: ${i.message}${got !== undefined && typeof got !== "object" ? ` (got ${JSON.stringify(got)})` : ""}`;
    });
    throw new CompressionSpecError(`invalid compression spec:\n  ${lines.join("\n  ")}`);
  }
  const s = r.data;
  const nm = parseNM(s.pattern);
  const sparsity = s.sparsity ?? (nm ? nm.n / nm.m : 0);
  return { ...s, sparsity };
}

function getPath(v: unknown, path: PropertyKey[]): unknown {
  let cur = v;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** Checks a layer width against an N:M pattern (throws naming the layer). */
export function checkNMWidth(pattern: string, cols: number, layer: string): void {
  const nm = parseNM(pattern);
  if (nm && cols % nm.m !== 0)
    throw new CompressionSpecError(`layer ${layer}: input width ${cols} is not divisible by M=${nm.m} (pattern ${pattern})`);
}

/** Canonical id, e.g. "sparsegpt-2:4-s0.5-d0.01-b128-calib(corpus,128x2048,seed0)", "gptq-d0.01-b128-w4g128-calib(...)", "rtn-w4g-1". */
export function compressionSpecId(s: CompressionSpec): string {
  if (s.method === "dense") return "dense";
  const m = methodOf(s.method);
  const parts = [s.method];
  if (m.prunes) parts.push(s.pattern === "unstructured" ? "unstr" : s.pattern, `s${round(s.sparsity)}`);
  if (m.stats === "hessian") parts.push(`d${round(s.damping)}`, `b${s.blockSize}`);
  if (s.owl) parts.push(`owl(l${round(s.owl.lambda)},m${round(s.owl.m)})`);
  parts.push(...(m.idParts?.(s as CompressionSpec & Record<string, unknown>) ?? []));
  if (s.bits !== undefined) parts.push(`w${s.bits}${s.groupSize !== undefined ? `g${s.groupSize}` : ""}${s.sym ? "-sym" : ""}${s.actOrder ? "-act" : ""}${s.staticGroups ? "-static" : ""}`);
  if (m.stats !== "none") {
    const c = s.calibration;
    parts.push(`calib(${c.source},${c.samples}x${c.seqLen},seed${c.seed})${s.trueSequential ? "-ts" : ""}`);
  }
  return parts.join("-");
}

export const compressionSpecHash = (s: CompressionSpec) =>
  createHash("sha256").update(compressionSpecId(s)).digest("hex").slice(0, 16);

const round = (x: number) => Number(x.toPrecision(6));
