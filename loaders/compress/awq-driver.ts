// AWQ end to end (mit-han-lab/llm-awq@d6e797a pre_quant.py run_awq + auto_scale.py + auto_clip.py, then
// quantizer.py pseudo_quantize_model_weight), on the GPU, for Llama-family decoders (RMSNorm before
// attention and MLP, rope, gated MLP: Llama, Mistral, Qwen2):
//
//   inps = embeddings of the calibration windows (all of them, as one batch, in chunks of sequences)
//   for each decoder layer:
//     run the ORIGINAL layer on inps, caching the inputs of its linears; inps ← its output (FP
//       propagation: later layers never see scaled, clipped or quantized weights)
//     scale search (all four groups on the unscaled layer), 20-point grid, s = x_mean^r / sqrt(max·min):
//       input_layernorm → q, k, v       loss on the self-attention output (o_proj included, FP)
//       v → o                           loss on o's output; only when v and o have the same shape (no GQA)
//       post_attention_layernorm → gate, up   loss on the MLP output (down FP)
//       up → down                       loss on down's output
//     apply_scale: norm /= s or previous linear's rows /= s; the group's weights *= s; cached inputs /= s
//     clip search on the scaled weights (v, o, gate, up, down; q/k skipped), 512 tokens, apply the clamp
//   quantize every linear (pseudo_quantize_tensor: per group of G inputs, asymmetric, min/max NOT
//   forced to contain 0): the dequantized checkpoint + kick's packed layout (loaders/compress/quant.ts).
//
// The search kernels are kernels/ops/quant_awq.ts; the blocks here are kick's ops (matmul, rope,
// attention, swiglu). Nothing is changed in the caller's weight map: a new map is returned.
import {
  add, attention, geglu, matmul, rmsNorm, rope, swiglu, Tensor, type RopeTables, type GpuContext,
  attentionWindow, awqActMean, awqClipSearch, awqGroupScaleSearch, awqQuantize, awqSampleScaled, awqSqDiff,
  type AwqOptions,
} from "../../kernels/index.js";
import { extendedFeatures, type ModelSpec } from "../model/config.js";
import { ropeInverseFrequencies } from "../model/reference-forward.js";
import type { LinearName } from "../model/weights.js";
import { foldIntoNorm, foldIntoPrevLinear, isClipSkipped, scaleLinearInputs } from "./awq.js";
import type { AwqSpec } from "./awq-spec.js";
import type { LayerReport } from "./driver.js";
import { bitsPerWeight, packQuantized, type PackedQuantWeight } from "./quant.js";
import { CompressionSpecError } from "./spec.js";

export class AwqError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AwqError";
  }
}

export type AwqGroupName = "qkv" | "o" | "gate_up" | "down";

/** One searched scale group of one decoder layer. */
export interface AwqGroupReport {
  layer: number;
  group: AwqGroupName;
  /** the op the scales are folded into (canonical name) */
  prev: string;
  linears: LinearName[];
  /** chosen grid index (ratio = best / nGrid) */
  best: number;
  ratio: number;
  /** loss per grid point */
  losses: number[];
  seconds: number;
}

/** Per linear: the driver's LayerReport fields plus AWQ's choices. */
export interface AwqLinearReport extends LayerReport {
  bits: number;
  groupSize: number;
  bitsPerWeight: number;
  /** the scale group's chosen ratio (null: not scaled, e.g. o under GQA or autoScale off) */
  scaleRatio: number | null;
  /** fraction of (row, group) whose clip max was shrunk, and the mean shrink index (null: not clipped) */
  clippedFraction: number | null;
  meanShrink: number | null;
}

export interface AwqResult {
  /** the compressed model: the caller's map with every changed tensor replaced (norms, linears) */
  weights: Map<string, Float32Array>;
  packed: Map<string, PackedQuantWeight>;
  report: AwqLinearReport[];
  groups: AwqGroupReport[];
  /** chosen shrink index per (row, group) of each clipped linear */
  clips: Map<string, Uint32Array>;
  seconds: number;
}

export interface AwqCompressOptions {
  ctx: GpuContext;
  /** calibration windows (rectangular: every window the same length) */
  samples: number[][];
  /** sequences per chunk of the batch (default: as many as fit a quarter of the largest binding) */
  chunkSequences?: number;
  /** called after each linear is quantized */
  onLayer?: (r: AwqLinearReport, done: number, total: number) => void;
  /** called after each scale group's search */
  onGroup?: (g: AwqGroupReport) => void;
  /** a line per decoder-layer phase (stderr progress) */
  onProgress?: (message: string) => void;
}

const W_ = (l: number, lin: LinearName) => `layers.${l}.${lin}.weight`;
const B_ = (l: number, lin: LinearName) => `layers.${l}.${lin}.bias`;
const LINEARS: LinearName[] = ["q", "k", "v", "o", "gate", "up", "down"];

export function awqInFeatures(spec: ModelSpec, lin: LinearName): number {
  return lin === "o" ? spec.numHeads * spec.headDim : lin === "down" ? spec.intermediateSize : spec.hiddenSize;
}
export function awqOutFeatures(spec: ModelSpec, lin: LinearName): number {
  switch (lin) {
    case "q": return spec.numHeads * spec.headDim;
    case "k": case "v": return spec.numKvHeads * spec.headDim;
    case "o": case "down": return spec.hiddenSize;
    case "gate": case "up": return spec.intermediateSize;
  }
}
/** auto_scale.py searches v → o only when v_proj and o_proj have the same shape (skipped for GQA). */
export const awqScalesO = (spec: ModelSpec) => awqOutFeatures(spec, "v") === awqOutFeatures(spec, "o") && awqInFeatures(spec, "v") === awqInFeatures(spec, "o");

/** Everything checkable before any work: architecture, group size per layer width (names layer and option). */
export function checkAwqModel(spec: ModelSpec, a: AwqSpec): void {
  const why: string[] = [];
  if (spec.norm.type !== "rms") why.push(`norm ${spec.norm.type} (needs RMSNorm)`);
  if (spec.normPlacement !== "pre") why.push("post-norm layers");
  if (spec.mlp !== "gated") why.push("a non-gated MLP");
  if (spec.positions.type !== "rope") why.push(`${spec.positions.type} positions (needs rope)`);
  if (spec.activation !== "silu" && spec.activation !== "gelu") why.push(`activation ${spec.activation}`);
  why.push(...extendedFeatures(spec)); // its layer replica implements the first five architectures' decoder only
  if (why.length) throw new AwqError(`AWQ: model family ${spec.family} is not supported (${why.join(", ")}); the AWQ driver handles Llama-family decoders (Llama, Mistral, Qwen2)`);
  for (let l = 0; l < spec.numLayers; l++)
    for (const lin of LINEARS) {
      const cols = awqInFeatures(spec, lin);
      if (cols % a.groupSize !== 0)
        throw new CompressionSpecError(`${W_(l, lin)}: groupSize (--group) ${a.groupSize} does not divide the input width ${cols} (use a group size that divides ${cols})`);
    }
}

/** The AWQ pipeline (see the file comment). */
export async function awqCompress(model: { spec: ModelSpec; weights: Map<string, Float32Array> }, a: AwqSpec, o: AwqCompressOptions): Promise<AwqResult> {
  const t0 = performance.now();
  const { spec } = model, { ctx, samples } = o;
  const say = o.onProgress ?? (() => {});
  checkAwqModel(spec, a);
  // ---- inputs, checked before any GPU work ----
  const src = model.weights;
  const need = (n: string) => {
    const w = src.get(n);
    if (!w) throw new AwqError(`${n}: missing from the model`);
    return w;
  };
  for (let l = 0; l < spec.numLayers; l++) {
    for (const n of [`layers.${l}.attn_norm.weight`, `layers.${l}.mlp_norm.weight`]) {
      const w = need(n);
      if (w.length !== spec.hiddenSize) throw new AwqError(`${n}: ${w.length} values, expected ${spec.hiddenSize}`);
      checkFinite(n, w, spec.hiddenSize);
    }
    for (const lin of LINEARS) {
      const w = need(W_(l, lin)), rows = awqOutFeatures(spec, lin), cols = awqInFeatures(spec, lin);
      if (w.length !== rows * cols) throw new AwqError(`${W_(l, lin)}: ${w.length} values, expected [${rows}, ${cols}]`);
      checkFinite(W_(l, lin), w, cols);
    }
  }
  const embed = need("embed");
  if (samples.length === 0) throw new AwqError("AWQ needs calibration samples (got none)");
  const T = samples[0]!.length;
  if (T === 0) throw new AwqError("AWQ: empty calibration window");
  for (const [i, s] of samples.entries()) {
    if (s.length !== T) throw new AwqError(`AWQ: calibration windows must have one length (window 0 has ${T} tokens, window ${i} has ${s.length})`);
    for (const id of s) if (!(Number.isInteger(id) && id >= 0 && id < spec.vocabSize)) throw new AwqError(`calibration token id ${id} outside the vocabulary of ${spec.vocabSize}`);
  }
  if (T > spec.maxPositions) throw new AwqError(`AWQ: calibration windows of ${T} tokens exceed the model's ${spec.maxPositions} positions`);

  const qo: AwqOptions = { bits: a.bits, groupSize: a.groupSize, nGrid: a.nGrid };
  const h = spec.hiddenSize, H = spec.numHeads, KV = spec.numKvHeads, D = spec.headDim;
  const widest = Math.max(h, H * D, spec.intermediateSize);
  const per = o.chunkSequences ?? Math.max(1, Math.floor(ctx.maxBinding / 4 / (T * widest * 4)));
  const chunks: number[][][] = [];
  for (let i = 0; i < samples.length; i += per) chunks.push(samples.slice(i, i + per));
  const tables = ropeTables(ctx, spec, T);
  const out = new Map(src);
  const own = (n: string) => { // copy-on-write of the caller's tensors
    let w = out.get(n)!;
    if (w === src.get(n)) { w = Float32Array.from(w); out.set(n, w); }
    return w;
  };
  const report: AwqLinearReport[] = [], groups: AwqGroupReport[] = [];
  const packed = new Map<string, PackedQuantWeight>(), clips = new Map<string, Uint32Array>();
  const total = spec.numLayers * LINEARS.length;
  const live: Tensor[] = [];
  const keep = <T extends Tensor>(t: T) => (live.push(t), t);

  // layer-0 inputs: token embeddings (on the CPU: the table may exceed a binding)
  let xs: Tensor[] = chunks.map((c) => {
    const x = new Float32Array(c.length * T * h);
    c.flat().forEach((id, r) => x.set(embed.subarray(id * h, (id + 1) * h), r * h));
    return ctx.upload(x, [c.length * T, h]);
  });

  try {
    for (let l = 0; l < spec.numLayers; l++) {
      const tl = performance.now();
      const up = (n: string, shape: number[]) => keep(ctx.upload(out.get(n)!, shape));
      const upMaybe = (n: string, len: number) => (out.has(n) ? keep(ctx.upload(out.get(n)!, [len])) : undefined);
      const Wt = Object.fromEntries(LINEARS.map((lin) => [lin, up(W_(l, lin), [awqOutFeatures(spec, lin), awqInFeatures(spec, lin)])])) as Record<LinearName, Tensor>;
      const Bt = Object.fromEntries(LINEARS.map((lin) => [lin, upMaybe(B_(l, lin), awqOutFeatures(spec, lin))])) as Record<LinearName, Tensor | undefined>;
      const nAttn = up(`layers.${l}.attn_norm.weight`, [h]), nMlp = up(`layers.${l}.mlp_norm.weight`, [h]);
      const lin = (X: Tensor, W: Tensor, b?: Tensor) => {
        const y = matmul(ctx, X, W, { transB: true });
        if (!b) return y;
        const z = add(ctx, y, b);
        y.release();
        return z;
      };
      /** self-attention: context [n, H·D] (o's input) from the normed input a. */
      const attnCtx = (A: Tensor, Wq: Tensor, Wk: Tensor, Wv: Tensor): Tensor => {
        const B = A.shape[0]! / T;
        const q = lin(A, Wq, Bt.q), k = lin(A, Wk, Bt.k), v = lin(A, Wv, Bt.v);
        const qr = rope(ctx, ctx.reshape(q, [B, T, H, D]), tables), kr = rope(ctx, ctx.reshape(k, [B, T, KV, D]), tables);
        const v4 = ctx.reshape(v, [B, T, KV, D]);
        const scale = (1 / Math.sqrt(D)) / (spec.scaleAttnByInverseLayer ? l + 1 : 1);
        const att = spec.slidingWindow !== null && spec.slidingWindow < T
          ? attentionWindow(ctx, qr, kr, v4, { window: spec.slidingWindow, scale })
          : attention(ctx, qr, kr, v4, { scale });
        [q, k, v, qr, kr].forEach((t) => t.release());
        return new Tensor(ctx, att.buffer, [B * T, H * D], "f32");
      };
      const mlpHidden = (M: Tensor, Wg: Tensor, Wu: Tensor): Tensor => {
        const g = lin(M, Wg, Bt.gate), u = lin(M, Wu, Bt.up);
        const z = spec.activation === "silu" ? swiglu(ctx, g, u) : geglu(ctx, g, u);
        g.release(); u.release();
        return z;
      };

      // ---- the original layer on every chunk, caching the linears' inputs ----
      const A: Tensor[] = [], C: Tensor[] = [], M: Tensor[] = [], Z: Tensor[] = [], Oo: Tensor[] = [], Do: Tensor[] = [];
      const next: Tensor[] = [];
      for (const x of xs) {
        const a = keep(rmsNorm(ctx, x, nAttn, spec.norm.eps));
        const c = keep(attnCtx(a, Wt.q, Wt.k, Wt.v));
        const oo = keep(lin(c, Wt.o, Bt.o));
        const hh = add(ctx, x, oo);
        const m = keep(rmsNorm(ctx, hh, nMlp, spec.norm.eps));
        const z = keep(mlpHidden(m, Wt.gate, Wt.up));
        const d = keep(lin(z, Wt.down, Bt.down));
        next.push(add(ctx, hh, d));
        hh.release();
        A.push(a); C.push(c); M.push(m); Z.push(z); Oo.push(oo); Do.push(d);
      }
      xs.forEach((x) => x.release());
      xs = next;

      // ---- scale search (every group on the unscaled layer, as auto_scale_block) ----
      const scaleOf = new Map<AwqGroupName, Float32Array>();
      const search = async (group: AwqGroupName, prev: string, lins: LinearName[], X: Tensor[], org: Tensor[], block: (Q: Tensor[], c: number) => Tensor) => {
        const tg = performance.now();
        const where = `layers.${l} ${group} (${lins.map((x) => W_(l, x)).join(", ")})`;
        let r;
        try {
          r = await awqGroupScaleSearch(ctx, { xMean: await awqActMean(ctx, X), weights: lins.map((x) => Wt[x]), org, block }, { ...qo, layer: where });
        } catch (e) { throw new AwqError((e as Error).message); }
        scaleOf.set(group, r.scales);
        const g: AwqGroupReport = { layer: l, group, prev, linears: lins, best: r.best, ratio: r.ratio, losses: r.losses, seconds: (performance.now() - tg) / 1000 };
        groups.push(g);
        o.onGroup?.(g);
      };
      if (a.autoScale) {
        await search("qkv", `layers.${l}.attn_norm`, ["q", "k", "v"], A, Oo, (Q, i) => {
          const c = attnCtx(A[i]!, Q[0]!, Q[1]!, Q[2]!);
          const y = lin(c, Wt.o, Bt.o);
          c.release();
          return y;
        });
        if (awqScalesO(spec)) await search("o", `layers.${l}.v`, ["o"], C, Oo, (Q, i) => lin(C[i]!, Q[0]!, Bt.o));
        await search("gate_up", `layers.${l}.mlp_norm`, ["gate", "up"], M, Do, (Q, i) => {
          const z = mlpHidden(M[i]!, Q[0]!, Q[1]!);
          const y = lin(z, Wt.down, Bt.down);
          z.release();
          return y;
        });
        await search("down", `layers.${l}.up`, ["down"], Z, Do, (Q, i) => lin(Z[i]!, Q[0]!, Bt.down));
        // apply_scale, in the order of scales_list
        const s1 = scaleOf.get("qkv")!, s2 = scaleOf.get("o"), s3 = scaleOf.get("gate_up")!, s4 = scaleOf.get("down")!;
        foldIntoNorm(own(`layers.${l}.attn_norm.weight`), s1);
        for (const x of ["q", "k", "v"] as const) scaleLinearInputs(own(W_(l, x)), awqOutFeatures(spec, x), h, s1);
        if (s2) {
          foldIntoPrevLinear(own(W_(l, "v")), awqOutFeatures(spec, "v"), h, s2, out.has(B_(l, "v")) ? own(B_(l, "v")) : undefined);
          scaleLinearInputs(own(W_(l, "o")), h, H * D, s2);
        }
        foldIntoNorm(own(`layers.${l}.mlp_norm.weight`), s3);
        for (const x of ["gate", "up"] as const) scaleLinearInputs(own(W_(l, x)), spec.intermediateSize, h, s3);
        foldIntoPrevLinear(own(W_(l, "up")), spec.intermediateSize, h, s4, out.has(B_(l, "up")) ? own(B_(l, "up")) : undefined);
        scaleLinearInputs(own(W_(l, "down")), h, spec.intermediateSize, s4);
        for (const [n, w] of out) if (n.startsWith(`layers.${l}.`) && w !== src.get(n)) checkFinite(`${n} (after folding the AWQ scales)`, w, w.length);
        say(`layer ${l + 1}/${spec.numLayers}: scales ${groups.filter((g) => g.layer === l).map((g) => `${g.group} r=${g.ratio.toFixed(2)}`).join(", ")}`);
      }
      const inputScale = (lin: LinearName): Float32Array | undefined =>
        lin === "o" ? scaleOf.get("o") : lin === "down" ? scaleOf.get("down") : lin === "gate" || lin === "up" ? scaleOf.get("gate_up") : scaleOf.get("qkv");
      const feats = (lin: LinearName) => (lin === "o" ? C : lin === "down" ? Z : lin === "gate" || lin === "up" ? M : A);

      // ---- clip search on the scaled weights, then quantization ----
      const scaledFp = new Map<LinearName, Float32Array>();
      for (const x of LINEARS) scaledFp.set(x, Float32Array.from(out.get(W_(l, x))!));
      let clipped = 0;
      for (const x of LINEARS) {
        const tq = performance.now();
        const name = W_(l, x), rows = awqOutFeatures(spec, x), cols = awqInFeatures(spec, x);
        const s = inputScale(x) ?? new Float32Array(cols).fill(1);
        const sT = keep(ctx.upload(s, [cols]));
        const W = keep(ctx.upload(out.get(name)!, [rows, cols]));
        let clip: Uint32Array | null = null;
        let q;
        try {
          if (a.autoClip && !isClipSkipped(name)) {
            const Xs = awqSampleScaled(ctx, feats(x), sT, a.clipTokens);
            clip = await awqClipSearch(ctx, Xs, W, { ...qo, maxShrink: a.maxShrink, apply: true, layer: name });
            Xs.release();
            clips.set(name, clip);
            clipped++;
          }
          q = awqQuantize(ctx, W, { ...qo, layer: name });
        } catch (e) { throw new AwqError((e as Error).message); }
        const Wq = await ctx.readF32(W);
        const lv = new Uint32Array((await ctx.read(q.levels)).buffer), pr = await ctx.readF32(q.params);
        q.levels.release(); q.params.release();
        try { packed.set(name, packQuantized(lv, pr, q.gIdx, rows, cols, a.bits, a.groupSize, name)); }
        catch (e) { throw new AwqError((e as Error).message); }
        checkFinite(`${name} (quantized)`, Wq, cols);
        // ‖X'Q̂ᵀ − X'W'ᵀ‖² / ‖X'W'ᵀ‖² with X' = input / s (the scaled model's input), W' = the scaled FP weight
        const eff = (w: Float32Array) => { const e = Float32Array.from(w); for (let i = 0; i < e.length; i++) e[i] /= s[i % cols]!; return e; };
        const Wf = keep(ctx.upload(eff(scaledFp.get(x)!), [rows, cols])), Qf = keep(ctx.upload(eff(Wq), [rows, cols]));
        let num = 0, den = 0;
        for (const X of feats(x)) {
          const yw = matmul(ctx, X, Wf, { transB: true }), yq = matmul(ctx, X, Qf, { transB: true });
          const zero = ctx.zeros(yw.shape);
          num += await awqSqDiff(ctx, yq, yw);
          den += await awqSqDiff(ctx, yw, zero);
          [yw, yq, zero].forEach((t) => t.release());
        }
        out.set(name, Wq);
        let zeros = 0;
        for (const v of Wq) if (v === 0) zeros++;
        let shrunk = 0, sum = 0;
        if (clip) for (const v of clip) { if (v > 0) shrunk++; sum += v; }
        const grp = x === "o" ? "o" : x === "down" ? "down" : x === "gate" || x === "up" ? "gate_up" : "qkv";
        const g = groups.find((gg) => gg.layer === l && gg.group === grp);
        const r: AwqLinearReport = {
          name, layer: l, linear: x, rows, cols, targetSparsity: 0, sparsity: zeros / Wq.length, relError: den > 0 ? num / den : 0, sqError: num,
          seconds: (performance.now() - tq) / 1000, bits: a.bits, groupSize: a.groupSize, bitsPerWeight: bitsPerWeight(a.bits, cols, a.groupSize),
          scaleRatio: g ? g.ratio : null, clippedFraction: clip ? shrunk / clip.length : null, meanShrink: clip ? sum / clip.length : null,
        };
        report.push(r);
        o.onLayer?.(r, report.length, total);
      }
      say(`layer ${l + 1}/${spec.numLayers}: clipped ${clipped} linears, quantized ${LINEARS.length} (${((performance.now() - tl) / 1000).toFixed(1)} s)`);
      [...A, ...C, ...M, ...Z, ...Oo, ...Do].forEach((t) => t.release());
      live.splice(0).forEach((t) => { if (!t.isReleased) t.release(); });
    }
  } finally {
    xs.forEach((x) => { if (!x.isReleased) x.release(); });
    live.forEach((t) => { if (!t.isReleased) t.release(); });
    tables.cos.release(); tables.sin.release();
  }
  return { weights: out, packed, report, groups, clips, seconds: (performance.now() - t0) / 1000 };
}

function checkFinite(name: string, w: Float32Array, cols: number): void {
  for (let i = 0; i < w.length; i++)
    if (!Number.isFinite(w[i]!)) throw new AwqError(`${name}: value [${Math.floor(i / cols)}, ${i % cols}] is ${w[i]} (NaN/Inf weights cannot be AWQ-quantized)`);
}

/** Rope tables for positions 0..T−1 from the model's f32 inverse frequencies (as GpuCausalLM builds them). */
function ropeTables(ctx: GpuContext, spec: ModelSpec, T: number): RopeTables {
  const inv = ropeInverseFrequencies(spec), half = spec.headDim / 2;
  const cos = new Float32Array(T * half), sin = new Float32Array(T * half);
  for (let p = 0; p < T; p++)
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(inv[i]! * p);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  return { cos: ctx.upload(cos, [T, half]), sin: ctx.upload(sin, [T, half]), headDim: spec.headDim, maxPositions: T };
}
