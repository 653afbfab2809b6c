// The compression-method registry the sweep runner consults. A compression spec is an object with a
// `method`; each method validates its spec, says which results-table columns it fills, and turns a
// loaded model into a compressed CausalLM. "dense" is declared here, the pruning and quantization
// methods and AWQ come from compression-methods.ts (the compression methods' own declarations).
import { SWEEP_METHODS } from "./compression-methods.js";
import { canonicalJson } from "../model/config.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { ModelSpec } from "../model/config.js";

export type CompressionSpecObject = { method: string } & Record<string, unknown>;

/** What the results table records about a compression (DESIGN.md columns). */
export interface CompressionColumns {
  method: string;
  pattern: string;
  sparsity: number;
  bits: number | null;
  group_size: number | null;
  calib_samples: number | null;
  /** the calibration sampling seed (the spec's calibration.seed); null without calibration */
  calib_seed: number | null;
}

/** What a method gets to work on: the model directory, its spec and the uncompressed model. */
export interface CompressionInput {
  modelDir: string;
  spec: ModelSpec;
  model: CausalLM;
  seed: number;
}

export interface CompressionMethod {
  method: string;
  /** Validates and normalises (defaults filled in); throws an Error naming the field and value. */
  parse(spec: CompressionSpecObject, where: string): CompressionSpecObject;
  columns(spec: CompressionSpecObject): CompressionColumns;
  /** Whether the spec uses calibration samples (the calib_samples ablation applies to it). */
  calibrated(spec: CompressionSpecObject): boolean;
  /** Absent: known but not available yet. */
  apply?(spec: CompressionSpecObject, input: CompressionInput): Promise<CausalLM>;
}

const registry = new Map<string, CompressionMethod>();

/** Adds a method (tests register stand-ins; the real ones are listed below). */
export function registerCompressionMethod(m: CompressionMethod): void {
  registry.set(m.method, m);
}

export const availableMethods = (): string[] => [...registry.values()].filter((m) => m.apply).map((m) => m.method).sort();
export const knownMethods = (): string[] => [...registry.keys()].sort();

registerCompressionMethod({
  method: "dense",
  parse(spec, where) {
    const extra = Object.keys(spec).filter((k) => k !== "method");
    if (extra.length) throw new Error(`${where}: method "dense" takes no other fields (got ${extra.map((k) => `"${k}"`).join(", ")})`);
    return { method: "dense" };
  },
  columns: () => ({ method: "dense", pattern: "dense", sparsity: 0, bits: null, group_size: null, calib_samples: null, calib_seed: null }),
  calibrated: () => false,
  apply: async (_spec, input) => input.model,
});
for (const m of SWEEP_METHODS) registerCompressionMethod(m);

/** Validates a compression spec from a plan or the command line. Unknown and unavailable methods fail here. */
export function parseCompression(input: unknown, where: string): CompressionSpecObject {
  if (typeof input === "string") input = { method: input };
  if (!input || typeof input !== "object" || Array.isArray(input)) throw new Error(`${where}: expected an object with a "method", got ${JSON.stringify(input)}`);
  const spec = input as CompressionSpecObject;
  if (typeof spec.method !== "string") throw new Error(`${where}: field "method": expected a string, got ${JSON.stringify(spec.method)}`);
  const m = registry.get(spec.method);
  if (!m) throw new Error(`${where}: unknown compression method "${spec.method}"; known: ${knownMethods().join(", ")}`);
  if (!m.apply) throw new Error(`${where}: compression method "${spec.method}" is not available yet; available: ${availableMethods().join(", ")}`);
  return m.parse(spec, where);
}

export const compressionMethod = (spec: CompressionSpecObject): CompressionMethod => {
  const m = registry.get(spec.method);
  if (!m) throw new Error(`unknown compression method "${spec.method}"`);
  return m;
};

export const compressionJson = (spec: CompressionSpecObject): string => canonicalJson(spec);
