// The CompressionMethod interface: what one compression method declares so that the spec, the
// layer-by-layer driver, `kick compress`, the sweep registry and the report all follow from it.
// Each method is one module in ./methods/, listed explicitly in ./methods/index.ts; its report
// metadata (label, kind, rank, colour) lives in src/components/method-meta.ts, which the site reads
// without loading any compression code.
import type { ZodType } from "zod";
import { type Quantized, type GpuContext, type Tensor } from "../../kernels/index.js";
import type { CompressionSpec } from "./spec.js";

export class CompressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompressionError";
  }
}

/** A spec field a method's result depends on (its own options included, e.g. RIA's "alpha"). */
export type SpecField = Exclude<keyof CompressionSpec, "method"> | string;
export const PRUNE_FIELDS: SpecField[] = ["pattern", "sparsity"];
export const CALIBRATION_FIELDS: SpecField[] = ["calibration", "trueSequential"];
export const SOLVE_FIELDS: SpecField[] = ["damping", "blockSize"];
export const QUANT_FIELDS: SpecField[] = ["bits", "groupSize", "sym"];

/**
 * The calibration statistics a linear method reads: none (magnitude, RTN), Wanda's per-input Σx²/n
 * ("columnNorms"), or the Hessian 2XᵀX/n ("hessian", which the driver gathers with the column norms).
 */
export type MethodStats = "none" | "columnNorms" | "hessian";

/** One linear layer to compress, on the GPU. */
export interface LinearJob {
  ctx: GpuContext;
  /** the weight [out, in], compressed in place */
  W: Tensor;
  /** per input column Σx²/n (null without calibration) */
  colSq: Tensor | null;
  /** 2XᵀX/n (null without calibration) */
  H: Tensor | null;
  /** this layer's target sparsity (OWL's, else the spec's) */
  sparsity: number;
  nm?: { n: number; m: number };
  cspec: CompressionSpec;
  /** canonical weight name for messages, e.g. layers.3.q.weight */
  layer: string;
}

export interface LinearResult {
  /** quantizing methods: levels and group params for packing */
  quantized?: Quantized;
  damping?: number;
  deadColumns?: number;
}

/** How a results-table method name maps onto the spec (one spec method may run under several names). */
export interface SweepName {
  /** the results table's method column (an id of src/components/method-meta.ts) */
  name: string;
  /** the spec fields that change the result: the rest are dropped, so one spec spelled two ways is one run */
  fields: SpecField[];
}

/** A command-line option of `kick compress` that sets one of the method's own spec fields. */
export interface MethodFlag {
  flag: string;
  field: string;
  help: string;
}

export interface CompressionMethod {
  /** the spec's method name */
  id: string;
  stats: MethodStats;
  /** takes a pattern and a sparsity */
  prunes: boolean;
  /** quantizes always (needs bits), optionally (with bits), or never */
  quantizes: "always" | "optional" | "never";
  /** OWL's layer-wise sparsity applies */
  owl: boolean;
  /** the method's own spec fields (zod schemas; optional, the method applies defaults) */
  options?: Record<string, ZodType>;
  /** checks beyond the generic ones; `issue` records a problem with one field; `nm`: the parsed N:M pattern */
  refine?(s: CompressionSpec & Record<string, unknown>, issue: (path: string, message: string) => void, nm: { n: number; m: number } | null): void;
  /** canonical-id parts of the method's own settings, after the sparsity */
  idParts?(s: CompressionSpec & Record<string, unknown>): string[];
  sweep: SweepName[];
  flags?: MethodFlag[];
  /** compresses one linear (absent: nothing to do, the dense model) */
  compressLinear?(job: LinearJob): LinearResult | Promise<LinearResult>;
}
