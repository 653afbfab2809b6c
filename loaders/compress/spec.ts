// CompressionSpec: what to compress and how, validated at the boundary, with a canonical id.
import { createHash } from "node:crypto";
import { z } from "zod";

export const METHODS = ["dense", "magnitude", "wanda", "sparsegpt"] as const;
export type Method = (typeof METHODS)[number];

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
    pattern: patternSchema.default("unstructured"),
    /** Fraction of weights set to zero, in [0, 1). For N:M it is N/M (filled in when omitted). */
    sparsity: z.number().min(0, "sparsity must be in [0, 1)").lt(1, "sparsity must be in [0, 1)").optional(),
    /** SparseGPT/GPTQ: damping as a fraction of mean(diag H). */
    damping: z.number().gt(0).lt(10).default(0.01),
    blockSize: z.number().int().positive().max(4096).default(128),
    trueSequential: z.boolean().default(false),
    calibration: calibrationSchema.default({ source: "corpus", samples: 128, seqLen: 2048, seed: 0 }),
    owl: owlSchema.optional(),
    /** Room for quantization (issue 8): weight bits and group size (-1 = per row). */
    bits: z.number().int().min(2).max(16).optional(),
    groupSize: z.number().int().min(-1).optional(),
  })
  .superRefine((s, c) => {
    const nm = parseNM(s.pattern);
    if (nm) {
      const ratio = nm.n / nm.m;
      if (s.sparsity !== undefined && Math.abs(s.sparsity - ratio) > 1e-9)
        c.addIssue({ code: "custom", path: ["sparsity"], message: `sparsity ${s.sparsity} disagrees with pattern ${s.pattern} (N/M = ${ratio})` });
      if (s.method === "sparsegpt" && s.blockSize % nm.m !== 0)
        c.addIssue({ code: "custom", path: ["blockSize"], message: `blockSize ${s.blockSize} is not a multiple of M=${nm.m} (pattern ${s.pattern})` });
      if (s.owl) c.addIssue({ code: "custom", path: ["owl"], message: `OWL with pattern ${s.pattern} is not supported (uniform N:M)` });
    } else if (s.method !== "dense" && s.sparsity === undefined)
      c.addIssue({ code: "custom", path: ["sparsity"], message: `method ${s.method} needs a sparsity in [0, 1)` });
    if (s.owl && s.method !== "wanda" && s.method !== "sparsegpt")
      c.addIssue({ code: "custom", path: ["owl"], message: `OWL applies to wanda or sparsegpt, not ${s.method}` });
    if (s.method === "dense" && s.pattern !== "unstructured")
      c.addIssue({ code: "custom", path: ["pattern"], message: `method dense takes no pattern (got ${s.pattern})` });
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

/** Canonical id, e.g. "sparsegpt-2:4-s0.5-d0.01-b128-calib(corpus,128x2048,seed0)". */
export function compressionSpecId(s: CompressionSpec): string {
  if (s.method === "dense") return "dense";
  const parts = [s.method, s.pattern === "unstructured" ? "unstr" : s.pattern, `s${round(s.sparsity)}`];
  if (s.method === "sparsegpt") parts.push(`d${round(s.damping)}`, `b${s.blockSize}`);
  if (s.owl) parts.push(`owl(l${round(s.owl.lambda)},m${round(s.owl.m)})`);
  if (s.bits !== undefined) parts.push(`w${s.bits}${s.groupSize !== undefined ? `g${s.groupSize}` : ""}`);
  if (s.method !== "magnitude") {
    const c = s.calibration;
    parts.push(`calib(${c.source},${c.samples}x${c.seqLen},seed${c.seed})${s.trueSequential ? "-ts" : ""}`);
  }
  return parts.join("-");
}

export const compressionSpecHash = (s: CompressionSpec) =>
  createHash("sha256").update(compressionSpecId(s)).digest("hex").slice(0, 16);

const round = (x: number) => Number(x.toPrecision(6));
