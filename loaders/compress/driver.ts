// The calibration driver (the reference pipeline of SparseGPT / Wanda, algorithms.md §0): decoder
// layer by decoder layer, gather the statistics of every linear layer's input from a forward pass
// of the model whose earlier layers are already compressed, compress the layer's linears on the
// GPU, and go on — so each layer sees the compressed model's activations. `trueSequential`
// splits a layer into [q,k,v], [o], [gate,up], [down], each gathered after the previous group
// was compressed. OWL first runs the dense model once to set per-layer sparsities.
//
// Two forwards: a `CalibrationModel` (GpuCausalLM) keeps the hidden states entering the current layer
// for every calibration batch on the GPU (the reference's `inps`), runs only that layer to gather
// statistics, writes each compressed linear back with `replaceWeight` and runs the layer again for
// the next layer's inputs — two layer passes per layer (one more per true-sequential group). Or any
// CausalLM with per-linear input hooks that reads its weights from `weights` (ReferenceModel, f64 on
// the CPU: tests and oracles), whose forward is stopped by an exception once it passes layer l (the
// "Catcher" trick): layer l costs l+1 layers there.
import {
  matmul, mul, sumRows, type GpuContext, type Tensor, columnSqAccumulate, hessianAccumulate,
} from "../../kernels/index.js";
import type { CausalLM, LinearSite } from "../model/causal-lm.js";
import type { ModelSpec } from "../model/config.js";
import type { LinearName } from "../model/weights.js";
import { outlierRatio, owlSparsities, wandaScores } from "./owl.js";
import { checkNMWidth, CompressionSpecError, parseNM, type CompressionSpec } from "./spec.js";
import { CompressionError } from "./method.js";
import { methodOf } from "./methods/index.js";
import { bitsPerWeight, packQuantized, type PackedQuantWeight } from "./quant.js";

export { CompressionError };

export interface LayerReport {
  /** canonical weight name, e.g. layers.3.q.weight */
  name: string;
  layer: number;
  linear: LinearName;
  rows: number;
  cols: number;
  targetSparsity: number;
  /** fraction of exact zeros after compression */
  sparsity: number;
  /** ‖(W − Ŵ)X‖² / ‖WX‖² over the calibration tokens (null without calibration data) */
  relError: number | null;
  /** ‖(W − Ŵ)X‖² summed over the calibration tokens */
  sqError: number | null;
  seconds: number;
  damping?: number;
  deadColumns?: number;
  /** quantized layers: weight bits, group size (−1 = per row) and storage bits per weight incl. scales + zeros (f32 scales, 8-bit zeros) */
  bits?: number;
  groupSize?: number;
  bitsPerWeight?: number;
}

export interface CompressResult {
  report: LayerReport[];
  /** per decoder layer (OWL, else uniform) */
  layerSparsity: number[];
  seconds: number;
  /** quantized methods: packed integer weights per linear (loaders/compress/quant.ts layout) */
  packed?: Map<string, PackedQuantWeight>;
}

type GpuHook = (site: LinearSite, input: Tensor) => void | Promise<void>;

/** A forward that runs one decoder layer at a time on GPU activations and takes compressed weights back (GpuCausalLM). */
export interface CalibrationModel {
  readonly ctx: GpuContext;
  /** the hidden states entering layer 0 of a batch, [B·T, hidden] */
  calibrationInputs(ids: number[][]): Tensor;
  /** layer l on x (consumed unless keep) → its output; `hook` sees each linear's input [B·T, in] on the GPU */
  calibrationLayer(ids: number[][], l: number, x: Tensor, hook: GpuHook | null, keep: boolean): Promise<Tensor>;
  replaceWeight(name: string, data: Float32Array): void;
}

export const isCalibrationModel = (m: CausalLM): m is CausalLM & CalibrationModel =>
  typeof (m as Partial<CalibrationModel>).calibrationLayer === "function" && typeof (m as Partial<CalibrationModel>).replaceWeight === "function";

/** Whether a spec's method gathers statistics from calibration samples. */
export const needsCalibration = (cspec: CompressionSpec): boolean => methodOf(cspec.method).stats !== "none";

export interface CompressOptions {
  ctx: GpuContext;
  spec: ModelSpec;
  /** canonical weights (at least every linear); compressed linears are replaced in place */
  weights: Map<string, Float32Array>;
  /** a CalibrationModel on `ctx` gets each compressed linear via replaceWeight; any other model must read `weights` */
  model: CausalLM;
  cspec: CompressionSpec;
  /** calibration token windows (unused by magnitude) */
  samples: number[][];
  /** sequences per forward pass (default 8) */
  batch?: number;
  onLayer?: (r: LayerReport, done: number, total: number) => void;
}

const GROUP: Record<LinearName, "attn" | "o" | "mlp" | "down"> = { q: "attn", k: "attn", v: "attn", o: "o", gate: "mlp", up: "mlp", down: "down" };
const GROUP_ORDER = ["attn", "o", "mlp", "down"] as const;
type Group = (typeof GROUP_ORDER)[number];

class StopForward extends Error {}

export function linearsOf(spec: ModelSpec): LinearName[] {
  return spec.mlp === "gated" ? ["q", "k", "v", "o", "gate", "up", "down"] : ["q", "k", "v", "o", "up", "down"];
}

interface Stats { H: Tensor | null; S: Tensor; n: number; cols: number; site: string }

/** Checks the pattern against every linear layer's width (throws naming the layer). */
export function checkModelForSpec(spec: ModelSpec, cspec: CompressionSpec): void {
  for (let l = 0; l < spec.numLayers; l++)
    for (const lin of linearsOf(spec)) {
      const cols = inFeaturesOf(spec, lin);
      checkNMWidth(cspec.pattern, cols, `layers.${l}.${lin}.weight`);
      if (cspec.bits !== undefined && cspec.groupSize !== undefined && cspec.groupSize !== -1 && cols % cspec.groupSize !== 0)
        throw new CompressionSpecError(`layers.${l}.${lin}.weight: groupSize ${cspec.groupSize} does not divide the input width ${cols} (use -1 or a divisor of ${cols})`);
    }
}

function inFeaturesOf(spec: ModelSpec, lin: LinearName): number {
  return lin === "o" ? spec.numHeads * spec.headDim : lin === "down" ? spec.intermediateSize : spec.hiddenSize;
}

export async function compressModel(o: CompressOptions): Promise<CompressResult> {
  const { ctx, spec, weights, cspec } = o;
  const t0 = performance.now();
  const L = spec.numLayers, linears = linearsOf(spec);
  const nm = parseNM(cspec.pattern);
  const name = (l: number, lin: LinearName) => `layers.${l}.${lin}.weight`;
  // Everything checkable is checked before any work.
  checkModelForSpec(spec, cspec);
  for (let l = 0; l < L; l++)
    for (const lin of linears) {
      const W = weights.get(name(l, lin));
      if (!W) throw new CompressionError(`${name(l, lin)}: missing from the model`);
      const cols = inFeaturesOf(spec, lin);
      if (W.length !== cols * rowsOf(spec, lin)) throw new CompressionError(`${name(l, lin)}: ${W.length} values, expected [${rowsOf(spec, lin)}, ${cols}]`);
      for (let i = 0; i < W.length; i++)
        if (!Number.isFinite(W[i]!)) throw new CompressionError(`${name(l, lin)}: weight [${Math.floor(i / cols)}, ${i % cols}] is ${W[i]} (a NaN/Inf weight cannot be compressed)`);
    }
  if (isCalibrationModel(o.model) && o.model.ctx !== ctx) throw new CompressionError("the GPU model and the compression must share one GpuContext");
  if (needsCalibration(cspec) && o.samples.length === 0) throw new CompressionError(`method ${cspec.method} needs calibration samples (got none)`);
  for (const s of o.samples) for (const id of s) if (!(id >= 0 && id < spec.vocabSize)) throw new CompressionError(`calibration token id ${id} outside the vocabulary of ${spec.vocabSize}`);

  const report: LayerReport[] = [];
  const method = methodOf(cspec.method);
  const quant = cspec.bits !== undefined && method.quantizes !== "never";
  const packed = quant ? new Map<string, PackedQuantWeight>() : undefined;
  const total = L * linears.length;
  let layerSparsity = Array.from({ length: L }, () => cspec.sparsity);
  if (!method.compressLinear) return { report, layerSparsity, seconds: 0 }; // dense

  const B = o.batch ?? 8;
  const batches: number[][][] = [];
  for (let b0 = 0; b0 < o.samples.length; b0 += B) batches.push(o.samples.slice(b0, b0 + B));
  const gpu = isCalibrationModel(o.model) ? o.model : null;
  /** CalibrationModel: per batch, the hidden states entering the layer being compressed */
  let inps: Tensor[] = [];
  const freeInps = () => { inps.forEach((t) => t.release()); inps = []; };
  try {
    if (cspec.owl) {
      // Pass 1: dense propagation, Wanda statistics of every layer.
      const stats = new Map<string, Stats>();
      if (gpu) {
        inps = batches.map((ids) => gpu.calibrationInputs(ids));
        for (let l = 0; l < L; l++) await layerPass(o, batches, inps, l, (site) => site.layer === l, stats, false, true);
        freeInps();
        await checkFinite(ctx, stats);
      } else await gather(o, batches, (site) => site.layer >= 0, stats, () => false, false); // Wanda statistics only
      const D: number[] = [];
      for (let l = 0; l < L; l++) {
        const scores: Float32Array[] = [];
        for (const lin of linears) {
          const st = stats.get(`${l}:${GROUP[lin]}`)!;
          scores.push(wandaScores(weights.get(name(l, lin))!, await ctx.readF32(st.S)));
        }
        D.push(outlierRatio(scores, cspec.owl.m));
      }
      for (const st of stats.values()) { st.H?.release(); st.S.release(); }
      layerSparsity = owlSparsities(D, cspec.sparsity, cspec.owl.lambda);
    }

    if (gpu) inps = batches.map((ids) => gpu.calibrationInputs(ids));
    for (let l = 0; l < L; l++) {
      const groups: Group[][] = cspec.trueSequential ? GROUP_ORDER.map((g) => [g]) : [[...GROUP_ORDER]];
      for (const gs of groups) {
        const stats = new Map<string, Stats>();
        const want = (site: LinearSite) => site.layer === l && gs.includes(GROUP[site.linear]);
        if (o.samples.length && gpu) {
          await layerPass(o, batches, inps, l, want, stats, true, false);
          await checkFinite(ctx, stats);
        } else if (o.samples.length) {
          const last = gs[gs.length - 1]!;
          await gather(o, batches, want, stats,
            (site) => site.layer > l || (site.layer === l && GROUP_ORDER.indexOf(GROUP[site.linear]) > GROUP_ORDER.indexOf(last)));
        }
        for (const lin of linears.filter((x) => gs.includes(GROUP[x]))) {
          const t = performance.now();
          const wname = name(l, lin);
          const W = weights.get(wname)!, rows = rowsOf(spec, lin), cols = W.length / rows;
          const st = stats.get(`${l}:${GROUP[lin]}`);
          const Wt = ctx.upload(W, [rows, cols]);
          const s = layerSparsity[l]!;
          const extra: Partial<LayerReport> = {};
          let out;
          try {
            out = await method.compressLinear({ ctx, W: Wt, colSq: st?.S ?? null, H: st?.H ?? null, sparsity: s, nm: nm ?? undefined, cspec, layer: wname });
          } catch (e) {
            Wt.release();
            throw e;
          }
          const qr = out.quantized;
          if (out.damping !== undefined) extra.damping = out.damping;
          if (out.deadColumns !== undefined) extra.deadColumns = out.deadColumns;
          const Wh = await ctx.readF32(Wt);
          if (qr) {
            const lv = new Uint32Array((await ctx.read(qr.levels)).buffer);
            const pr = await ctx.readF32(qr.params);
            qr.levels.release(); qr.params.release();
            const G = cspec.groupSize ?? -1;
            try { packed!.set(wname, packQuantized(lv, pr, qr.gIdx, rows, cols, cspec.bits!, G, wname)); }
            catch (e) { Wt.release(); throw new CompressionError((e as Error).message); }
            extra.bits = cspec.bits; extra.groupSize = G; extra.bitsPerWeight = bitsPerWeight(cspec.bits!, cols, G);
          }
          let zeros = 0;
          for (let i = 0; i < Wh.length; i++) {
            if (Wh[i] === 0) zeros++;
            else if (!Number.isFinite(Wh[i]!)) throw new CompressionError(`${wname}: compression produced ${Wh[i]} at [${Math.floor(i / cols)}, ${i % cols}]`);
          }
          let relError: number | null = null, sqError: number | null = null;
          if (st?.H) {
            const e = await quadError(ctx, W, Wh, st.H, rows, cols);
            relError = e.num / e.den;
            sqError = (e.num * st.n) / 2; // H = (2/n)·XᵀX
          }
          Wt.release();
          weights.set(wname, Wh);
          gpu?.replaceWeight(wname, Wh);
          const r: LayerReport = { name: wname, layer: l, linear: lin, rows, cols, targetSparsity: s, sparsity: zeros / Wh.length, relError, sqError, seconds: (performance.now() - t) / 1000, ...extra };
          report.push(r);
          o.onLayer?.(r, report.length, total);
        }
        for (const st of stats.values()) { st.H?.release(); st.S.release(); }
      }
      // the next layer's inputs: this layer's outputs with its compressed weights
      if (gpu && l < L - 1) await layerPass(o, batches, inps, l, () => false, new Map(), false, true);
    }
  } finally {
    freeInps();
  }
  return { report, layerSparsity, seconds: (performance.now() - t0) / 1000, ...(packed ? { packed } : {}) };
}

function rowsOf(spec: ModelSpec, lin: LinearName): number {
  const h = spec.hiddenSize, hd = spec.headDim;
  switch (lin) {
    case "q": return spec.numHeads * hd;
    case "k": case "v": return spec.numKvHeads * hd;
    case "o": case "down": return h;
    case "gate": case "up": return spec.intermediateSize;
  }
}

/** A linear-input hook that accumulates the wanted sites' H (optional) and Σx² into `stats` (q/k/v and gate/up share one input). */
function statsHook(ctx: GpuContext, want: (s: LinearSite) => boolean, stats: Map<string, Stats>, withH: boolean, nb: number) {
  const seen = new Set<string>();
  return (site: LinearSite, X: Tensor) => {
    if (!want(site)) return;
    const key = `${site.layer}:${GROUP[site.linear]}`;
    if (seen.has(key)) return;
    seen.add(key);
    let st = stats.get(key);
    const cols = site.inFeatures;
    if (!st) { st = { H: withH ? ctx.zeros([cols, cols]) : null, S: ctx.zeros([cols]), n: 0, cols, site: `layers.${site.layer}.${site.linear}` }; stats.set(key, st); }
    if (st.H) hessianAccumulate(ctx, st.H, X, st.n, nb);
    columnSqAccumulate(ctx, st.S, X, st.n, nb);
    st.n += nb;
  };
}

/**
 * CalibrationModel: layer l over every batch, from inps[b]; the wanted linear inputs go into `stats`.
 * `advance`: inps[b] is replaced by the layer's output (the next layer's input); else the output is dropped.
 */
async function layerPass(o: CompressOptions, batches: number[][][], inps: Tensor[], l: number, want: (s: LinearSite) => boolean,
  stats: Map<string, Stats>, withH: boolean, advance: boolean): Promise<void> {
  const model = o.model as CausalLM & CalibrationModel;
  for (let b = 0; b < batches.length; b++) {
    const ids = batches[b]!;
    const out = await model.calibrationLayer(ids, l, inps[b]!, statsHook(o.ctx, want, stats, withH, ids.length), !advance);
    if (advance) inps[b] = out;
    else out.release();
  }
}

/** Activations gathered on the GPU never came to the CPU: a NaN/Inf among them shows up in Σx². */
async function checkFinite(ctx: GpuContext, stats: Map<string, Stats>): Promise<void> {
  for (const st of stats.values()) {
    const S = await ctx.readF32(st.S);
    const c = S.findIndex((x) => !Number.isFinite(x));
    if (c >= 0) throw new CompressionError(`${st.site}: calibration activations of input feature ${c} contain NaN/Inf (Σx² = ${S[c]})`);
  }
}

/**
 * Any CausalLM with linear-input hooks (the CPU reference): runs the calibration batches through the
 * model, cut short by `stop` (an exception, the "Catcher" trick); `want` selects the inputs to accumulate.
 */
async function gather(o: CompressOptions, batches: number[][][], want: (s: LinearSite) => boolean, stats: Map<string, Stats>, stop: (s: LinearSite) => boolean, withH = true): Promise<void> {
  const { ctx, model } = o;
  for (const ids of batches) {
    const hook = statsHook(ctx, want, stats, withH, ids.length);
    try {
      await model.forward({ ids }, {
        onLinearInput: (site, input, rows) => {
          if (stop(site)) throw new StopForward();
          if (!want(site)) return;
          const cols = site.inFeatures;
          for (let i = 0; i < rows * cols; i++)
            if (!Number.isFinite(input[i]!))
              throw new CompressionError(`layers.${site.layer}.${site.linear}: calibration activation [token ${Math.floor(i / cols)}, ${i % cols}] is ${input[i]} (NaN/Inf in the model's activations)`);
          const X = ctx.upload(input.subarray(0, rows * cols), [rows, cols]);
          hook(site, X);
          X.release();
        },
      });
    } catch (e) {
      if (!(e instanceof StopForward)) throw e;
    }
  }
}

/** tr(ΔW H ΔWᵀ) and tr(W H Wᵀ) on the GPU. */
async function quadError(ctx: GpuContext, W: Float32Array, Wh: Float32Array, H: Tensor, rows: number, cols: number): Promise<{ num: number; den: number }> {
  const D = new Float32Array(W.length);
  for (let i = 0; i < W.length; i++) D[i] = W[i]! - Wh[i]!;
  const quad = async (M: Float32Array) => {
    const t = ctx.upload(M, [rows, cols]);
    const th = matmul(ctx, t, H);
    const p = mul(ctx, t, th);
    const s = sumRows(ctx, p);
    const v = await ctx.readF32(s);
    t.release(); th.release(); p.release(); s.release();
    let acc = 0;
    for (const x of v) acc += x;
    return acc;
  };
  return { num: await quad(D), den: await quad(W) };
}
