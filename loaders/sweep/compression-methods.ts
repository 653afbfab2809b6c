// The pruning and quantization methods of the sweep registry (compression.ts), derived from the
// compression methods' own declarations (loaders/compress/methods/): a plan's compression entry is a
// CompressionSpec (loaders/compress/spec.ts, the same fields as `kick compress`'s compression.json)
// whose method is one of the methods' sweep names ("sparsegpt+gptq" is the joint sparse + quantized
// SparseGPT, spec method "sparsegpt" with bits), plus AWQ with its own spec. Validation is the
// spec's own; the stored form keeps only the fields the method uses, so a spec spelled two ways is one run.
import { awqCompressionMethod } from "../compress/awq-method.js";
import { compressLoadedModel } from "../compress/loaded-model.js";
import type { SpecField } from "../compress/method.js";
import { COMPRESSION_METHODS } from "../compress/methods/index.js";
import { parseCompressionSpec, type CompressionSpec } from "../compress/spec.js";
import type { CompressionColumns, CompressionMethod, CompressionSpecObject } from "./compression.js";

/** Sweep method → spec method and the spec fields that change its result (each method's `sweep` names). */
const METHODS: Record<string, { spec: string; fields: SpecField[] }> = Object.fromEntries(
  COMPRESSION_METHODS.flatMap((m) => m.sweep.map((n) => [n.name, { spec: m.id, fields: n.fields }])),
);

/** The CompressionSpec of a plan entry; errors name the plan entry, the field and the value. */
export function toCompressionSpec(entry: CompressionSpecObject, where: string): CompressionSpec {
  const m = METHODS[entry.method];
  if (!m) throw new Error(`${where}: "${entry.method}" is not a compression method of the spec`);
  // a spec method that quantizes only under another sweep name (sparsegpt → sparsegpt+gptq)
  const quantName = Object.keys(METHODS).find((k) => k !== entry.method && METHODS[k]!.spec === m.spec && METHODS[k]!.fields.includes("bits"));
  if (!m.fields.includes("bits") && quantName && entry.bits !== undefined)
    throw new Error(`${where}: field "bits": method "${entry.method}" does not quantize in a plan; joint sparse + quantized is method "${quantName}"`);
  // a calibration (seed, samples) on a method that reads none would be dropped from the key: one run under two specs
  if (!m.fields.includes("calibration") && entry.calibration !== undefined)
    throw new Error(`${where}: field "calibration": method "${entry.method}" uses no calibration samples (no seed or sample count applies)`);
  if (m.fields.includes("bits") && m.fields.includes("sparsity") && entry.bits === undefined) throw new Error(`${where}: field "bits": method "${entry.method}" needs bits (2, 3, 4 or 8)`);
  try {
    return parseCompressionSpec({ ...entry, method: m.spec });
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message.replace(/\n\s*/g, " ")}`);
  }
}

/**
 * The results table's method name: the sweep method plus the options that change the algorithm but have no
 * column of their own (DESIGN.md's columns are method, pattern, sparsity, bits, group_size, calib_samples), so
 * that OWL or act-order runs are not mistaken for repeats of the plain method: "sparsegpt+owl",
 * "gptq+act-order+true-seq". The full spec stays in the runs table's compression column.
 */
export function methodLabel(method: string, s: CompressionSpec): string {
  const { fields } = METHODS[method]!;
  const on = (f: SpecField) => fields.includes(f) && s[f as keyof CompressionSpec] !== undefined && s[f as keyof CompressionSpec] !== false;
  return [method, on("owl") && "owl", on("actOrder") && "act-order", on("staticGroups") && "static-groups", on("trueSequential") && "true-seq", on("sym") && "sym"]
    .filter(Boolean)
    .join("+");
}

/** The results-table columns of a parsed plan entry (DESIGN.md): group_size −1 = one group per row. */
export function compressionColumns(method: string, s: CompressionSpec): CompressionColumns {
  const { fields } = METHODS[method]!;
  const quant = fields.includes("bits");
  return {
    method: methodLabel(method, s),
    pattern: fields.includes("pattern") ? s.pattern : "dense",
    sparsity: s.sparsity,
    bits: quant ? s.bits! : null,
    group_size: quant ? (s.groupSize ?? -1) : null,
    calib_samples: fields.includes("calibration") ? s.calibration.samples : null,
    calib_seed: fields.includes("calibration") ? s.calibration.seed : null,
  };
}

function normalise(method: string, s: CompressionSpec): CompressionSpecObject {
  const out: CompressionSpecObject = { method };
  for (const f of METHODS[method]!.fields) if ((s as Record<string, unknown>)[f] !== undefined) out[f] = (s as Record<string, unknown>)[f];
  if (out.bits !== undefined) out.groupSize = s.groupSize ?? -1;
  return out;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function specMethod(method: string): CompressionMethod {
  return {
    method,
    parse: (entry, where) => normalise(method, toCompressionSpec(entry, where)),
    columns: (entry) => compressionColumns(method, toCompressionSpec(entry, `compression ${entry.method}`)),
    calibrated: () => METHODS[method]!.fields.includes("calibration"),
    apply: async (entry, input) => {
      const { model } = await compressLoadedModel(input, toCompressionSpec(entry, `compression ${entry.method}`), {
        onLayer: (r, done, total) => {
          if (done === total || r.linear === "down") log(`[compress ${method}] ${input.modelDir}: ${done}/${total} linears (layer ${r.layer} sparsity ${r.sparsity.toFixed(3)})`);
        },
      });
      return model;
    },
  };
}

/** The sweep registry's pruning and quantization methods; AWQ has its own spec and block driver (loaders/compress/awq-*.ts). */
export const SWEEP_METHODS: readonly CompressionMethod[] = [...Object.keys(METHODS).map(specMethod), awqCompressionMethod];
