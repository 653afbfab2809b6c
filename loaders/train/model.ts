/**
 * A trainable Llama on WebGPU (canonical layout, RMSNorm, rope, GQA, SwiGLU, no biases, tied or untied
 * embeddings): forward with stored activations (or per-layer recomputation), backward through the kernels in
 * kernels/backward, gradients for every weight and, optionally, for the input embeddings (soft prompts: pass
 * `inputEmbeds`, `grads: null` and `wantInputGrad`). The loss is the mean next-token cross-entropy over the
 * non-ignored targets, scaled by `lossScale` so that micro-batch gradients add up to the step's gradient.
 */
import {
  add, attention, createContext, crossEntropy, embedding, matmul, rmsNorm, rope, swiglu, Tensor,
  type GpuContext, type RopeTables, attentionBackward, crossEntropyBackward, embeddingBackward,
  weightGradInto, rmsNormBackward, ropeBackward, swigluBackward, viewAs,
} from "../../kernels/index.js";
import type { ModelSpec } from "../model/config.js";
import { ropeInverseFrequencies } from "../model/reference-forward.js";
import { weightSources } from "../model/weights.js";

export const IGNORE = 0xffffffff;

export interface TrainBatch {
  B: number;
  T: number;
  /** token ids [B·T] (rows of T); omit when inputEmbeds is given */
  ids?: Uint32Array;
  /** input embeddings [B·T, hidden] used instead of embedding(ids) (soft prompts, any input embedding) */
  inputEmbeds?: Tensor;
  /** target ids [B·T]; IGNORE (0xFFFFFFFF) = not scored */
  targets: Uint32Array;
}

export interface BackwardOptions {
  /** multiplies d(loss sum): 1 / (scored tokens of the optimiser step) */
  lossScale: number;
  /** gradients are added into these tensors (same names and shapes as the parameters); null: weights frozen */
  grads: Map<string, Tensor> | null;
  /** also return d(loss)/d(input embeddings) [B·T, hidden] */
  wantInputGrad?: boolean;
  /** keep only each layer's input and recompute the layer in the backward pass (less memory, ~1/3 more compute) */
  recompute?: boolean;
}

/**
 * An additive path beside the frozen linears (LoRA, loaders/train/lora.ts): y = x Wᵀ + extra(x). W itself is
 * never changed (a pruned weight stays exactly zero). `name` is the canonical linear, e.g. "layers.0.q".
 */
export interface LinearAdapter {
  /** the extra output [N, out] for input x [N, in], or null when this linear has no adapter */
  forward(name: string, x: Tensor): Tensor | null;
  /** accumulates the adapter's own gradients from dy [N, out] and returns its part of dx [N, in] (or null) */
  backward(name: string, x: Tensor, dy: Tensor): Tensor | null;
}

export interface LossResult {
  /** sum of the per-token losses of the scored targets (float64 on the CPU) */
  lossSum: number;
  count: number;
  inputGrad?: Tensor;
}

/** The spec must be a plain Llama: what this trainer implements. */
export function checkTrainableSpec(spec: ModelSpec): void {
  const bad: string[] = [];
  if (spec.family !== "llama") bad.push(`family ${spec.family}`);
  if (spec.norm.type !== "rms" || spec.normPlacement !== "pre" || !spec.finalNorm) bad.push("norm (needs pre-norm RMSNorm with a final norm)");
  if (spec.mlp !== "gated" || spec.activation !== "silu") bad.push("MLP (needs SwiGLU)");
  if (spec.positions.type !== "rope" || spec.positions.scaling.type !== "none") bad.push("positions (needs rope without scaling)");
  if (spec.bias.qkv || spec.bias.o || spec.bias.mlp) bad.push("biases");
  if (spec.slidingWindow !== null) bad.push("sliding window");
  if (bad.length) throw new Error(`trainable model: unsupported ${bad.join(", ")}; the trainer implements Llama (RMSNorm, rope, GQA, SwiGLU, no biases)`);
}

/** Parameter names and shapes in canonical order. */
export const paramShapes = (spec: ModelSpec) => weightSources(spec).map((s) => ({ name: s.canonical, shape: s.shape }));

/** Rope tables as the inference path builds them: cos/sin of the f32 angle fround(invFreq · p). */
export function ropeTables(spec: ModelSpec, positions: number): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInverseFrequencies(spec), half = spec.headDim / 2;
  const cos = new Float32Array(positions * half), sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++)
    for (let i = 0; i < half; i++) {
      const a = Math.fround(inv[i] * p);
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  return { cos, sin };
}

/** Seeded standard normals (xorshift32 + Box–Muller): weights are the same on every machine. */
export function normalStream(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  const u = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return (s + 0.5) / 4294967296; };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** GPT-2 / Llama-style init: N(0, std), residual outputs (o, down) scaled by 1/sqrt(2·layers), norms 1. */
export function initWeights(spec: ModelSpec, seed: number, std = 0.02): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const { name, shape } of paramShapes(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    if (name.endsWith("norm.weight")) a.fill(1);
    else {
      const z = normalStream(seed ^ hashName(name));
      const sd = /\.(o|down)\.weight$/.test(name) ? std / Math.sqrt(2 * spec.numLayers) : std;
      for (let i = 0; i < n; i++) a[i] = z() * sd;
    }
    out.set(name, a);
  }
  return out;
}

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

interface LayerActs { x: Tensor; a: Tensor; q: Tensor; k: Tensor; v: Tensor; o: Tensor; x1: Tensor; m: Tensor; g: Tensor; u: Tensor; h: Tensor }

export class TrainableLlama {
  private readonly rope: RopeTables;
  /** an additive path on the linears (LoRA); null: none */
  adapter: LinearAdapter | null = null;

  private constructor(
    readonly ctx: GpuContext,
    readonly spec: ModelSpec,
    readonly params: Map<string, Tensor>,
    private readonly ownsCtx: boolean,
  ) {
    checkTrainableSpec(spec);
    const { cos, sin } = ropeTables(spec, spec.maxPositions);
    const half = spec.headDim / 2;
    this.rope = { cos: ctx.upload(cos, [spec.maxPositions, half]), sin: ctx.upload(sin, [spec.maxPositions, half]), headDim: spec.headDim, maxPositions: spec.maxPositions };
  }

  /** Uploads weights (canonical names, all present, right sizes). */
  static async create(spec: ModelSpec, weights: Map<string, Float32Array>, ctx?: GpuContext): Promise<TrainableLlama> {
    checkTrainableSpec(spec);
    const c = ctx ?? (await createContext());
    const params = new Map<string, Tensor>();
    for (const { name, shape } of paramShapes(spec)) {
      const w = weights.get(name);
      const n = shape.reduce((a, b) => a * b, 1);
      if (!w) throw new Error(`trainable model: weight "${name}" missing`);
      if (w.length !== n) throw new Error(`trainable model: weight "${name}" has ${w.length} values, expected [${shape.join(", ")}]`);
      params.set(name, c.upload(w, shape));
    }
    return new TrainableLlama(c, spec, params, !ctx);
  }

  p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`trainable model: no parameter "${name}"`);
    return t;
  }

  /** Zeroed gradient tensors for every parameter. */
  zeroGrads(): Map<string, Tensor> {
    return new Map([...this.params].map(([n, t]) => [n, this.ctx.zeros(t.shape)]));
  }

  async readWeights(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [n, t] of this.params) out.set(n, await this.ctx.readF32(t));
    return out;
  }

  async dispose(): Promise<void> {
    for (const t of this.params.values()) t.release();
    this.rope.cos.release();
    this.rope.sin.release();
    if (this.ownsCtx) await this.ctx.destroy();
  }

  /** embedding(ids) as [B·T, hidden] (for building soft-prompt inputs). */
  embed(ids: Uint32Array): Tensor {
    const idT = this.ctx.upload(ids, [ids.length]);
    const x = embedding(this.ctx, this.p("embed"), idT);
    idT.release();
    return x;
  }

  private checkBatch(b: TrainBatch): void {
    const n = b.B * b.T, s = this.spec;
    if (!(b.B >= 1 && b.T >= 1)) throw new Error(`train batch: B ${b.B} and T ${b.T} must be at least 1`);
    if (b.T > s.maxPositions) throw new Error(`train batch: T ${b.T} exceeds the model's ${s.maxPositions} positions`);
    if (b.targets.length !== n) throw new Error(`train batch: ${b.targets.length} targets for B·T = ${n}`);
    if (b.ids) {
      if (b.ids.length !== n) throw new Error(`train batch: ${b.ids.length} ids for B·T = ${n}`);
      for (const id of b.ids) if (id >= s.vocabSize) throw new Error(`train batch: id ${id} outside the vocabulary of ${s.vocabSize}`);
    } else if (!b.inputEmbeds) throw new Error("train batch: give ids or inputEmbeds");
    if (b.ids && b.inputEmbeds) throw new Error("train batch: give ids or inputEmbeds, not both");
    if (b.inputEmbeds && b.inputEmbeds.size !== n * s.hiddenSize) throw new Error(`train batch: inputEmbeds has ${b.inputEmbeds.size} values, expected [${n}, ${s.hiddenSize}]`);
    for (const t of b.targets) if (t !== IGNORE && t >= s.vocabSize) throw new Error(`train batch: target ${t} outside the vocabulary of ${s.vocabSize}`);
  }

  private input(b: TrainBatch): Tensor {
    if (b.inputEmbeds) return this.copy(b.inputEmbeds);
    return this.embed(b.ids!);
  }

  private copy(t: Tensor): Tensor {
    const z = this.ctx.zeros(t.shape);
    const out = add(this.ctx, z, t);
    z.release();
    return out;
  }

  /** One block; returns its output and (when keep) the activations the backward needs. */
  private layer(l: number, x: Tensor, B: number, T: number, keep: boolean): { out: Tensor; acts?: LayerActs } {
    const s = this.spec, ctx = this.ctx, L = `layers.${l}.`;
    const lin = (name: string, inp: Tensor) => {
      const y = matmul(ctx, inp, this.p(`${L}${name}.weight`), { transB: true });
      const e = this.adapter?.forward(`${L}${name}`, inp);
      if (!e) return y;
      const sum = add(ctx, y, e);
      y.release(); e.release();
      return sum;
    };
    const H = s.numHeads, KV = s.numKvHeads, D = s.headDim;
    const a = rmsNorm(ctx, x, this.p(`${L}attn_norm.weight`), s.norm.eps);
    const q0 = lin("q", a), k0 = lin("k", a), v = lin("v", a);
    const q = rope(ctx, viewAs(q0, [B, T, H, D]), this.rope);
    const k = rope(ctx, viewAs(k0, [B, T, KV, D]), this.rope);
    q0.release(); k0.release();
    const o4 = attention(ctx, q, k, viewAs(v, [B, T, KV, D]), { scale: 1 / Math.sqrt(D) });
    const o = new Tensor(ctx, o4.buffer, [B * T, H * D], "f32");
    const ao = lin("o", o);
    const x1 = add(ctx, x, ao);
    ao.release();
    const m = rmsNorm(ctx, x1, this.p(`${L}mlp_norm.weight`), s.norm.eps);
    const g = lin("gate", m), u = lin("up", m);
    const h = swiglu(ctx, g, u);
    const d = lin("down", h);
    const out = add(ctx, x1, d);
    d.release();
    const acts: LayerActs = { x, a, q, k, v, o, x1, m, g, u, h };
    if (keep) return { out, acts };
    for (const [key, t] of Object.entries(acts)) if (key !== "x") t.release();
    return { out };
  }

  private releaseActs(acts: LayerActs): void {
    for (const [key, t] of Object.entries(acts)) if (key !== "x") t.release();
  }

  /** Mean-loss pieces without gradients (held-out evaluation). */
  async loss(b: TrainBatch): Promise<LossResult> {
    this.checkBatch(b);
    const ctx = this.ctx, s = this.spec;
    let x = this.input(b);
    for (let l = 0; l < s.numLayers; l++) {
      const { out } = this.layer(l, x, b.B, b.T, false);
      x.release();
      x = out;
    }
    const hf = rmsNorm(ctx, x, this.p("final_norm.weight"), s.norm.eps);
    x.release();
    const logits = matmul(ctx, hf, this.head(), { transB: true });
    hf.release();
    const tg = ctx.upload(b.targets, [b.targets.length]);
    const loss = crossEntropy(ctx, logits, tg, { ignoreIndex: IGNORE });
    const l = await ctx.readF32(loss);
    [logits, tg, loss].forEach((t) => t.release());
    return sumLoss(l, b.targets);
  }

  private head(): Tensor {
    return this.spec.tiedEmbeddings ? this.p("embed") : this.p("lm_head");
  }

  /** Forward and backward of one micro-batch; gradients are added into opts.grads. */
  async forwardBackward(b: TrainBatch, opts: BackwardOptions): Promise<LossResult> {
    this.checkBatch(b);
    const ctx = this.ctx, s = this.spec, G = opts.grads;
    const { B, T } = b;
    // dW += dyᵀ x (split-K, in a fixed order)
    const acc = (name: string, dy: Tensor, x: Tensor) => {
      if (!G) return;
      const old = G.get(name);
      if (!old) throw new Error(`gradients: no tensor for "${name}"`);
      G.set(name, weightGradInto(ctx, dy, x, old));
    };
    // forward
    const x0 = this.input(b);
    const inputs: Tensor[] = [];
    const acts: (LayerActs | undefined)[] = [];
    let x = x0;
    for (let l = 0; l < s.numLayers; l++) {
      inputs.push(x);
      const r = this.layer(l, x, B, T, !opts.recompute);
      acts.push(r.acts);
      x = r.out;
    }
    const xL = x;
    const hf = rmsNorm(ctx, xL, this.p("final_norm.weight"), s.norm.eps);
    const logits = matmul(ctx, hf, this.head(), { transB: true });
    const tg = ctx.upload(b.targets, [b.targets.length]);
    const { loss, dLogits } = crossEntropyBackward(ctx, logits, tg, { scale: opts.lossScale, ignoreIndex: IGNORE });
    logits.release();
    tg.release();
    // head and final norm
    const dhf = matmul(ctx, dLogits, this.head());
    acc(s.tiedEmbeddings ? "embed" : "lm_head", dLogits, hf);
    dLogits.release();
    hf.release();
    let dx = rmsNormBackward(ctx, xL, this.p("final_norm.weight"), dhf, s.norm.eps, G ? G.get("final_norm.weight")! : null);
    dhf.release();
    xL.release();
    // blocks, last to first
    for (let l = s.numLayers - 1; l >= 0; l--) {
      let a = acts[l];
      if (!a) {
        const r = this.layer(l, inputs[l], B, T, true);
        r.out.release();
        a = r.acts!;
      }
      const next = this.layerBackward(l, a, dx, B, T, G, acc);
      dx.release();
      dx = next;
      this.releaseActs(a);
      if (l > 0) inputs[l].release();
    }
    if (G && b.ids) embeddingBackward(ctx, dx, b.ids, G.get("embed")!);
    x0.release();
    const lossHost = await ctx.readF32(loss);
    loss.release();
    const r = sumLoss(lossHost, b.targets);
    if (opts.wantInputGrad) return { ...r, inputGrad: dx };
    dx.release();
    return r;
  }

  private layerBackward(l: number, a: LayerActs, dOut: Tensor, B: number, T: number, G: Map<string, Tensor> | null, acc: (n: string, dy: Tensor, x: Tensor) => void): Tensor {
    const s = this.spec, ctx = this.ctx, L = `layers.${l}.`;
    const H = s.numHeads, KV = s.numKvHeads, D = s.headDim;
    const W = (n: string) => this.p(`${L}${n}.weight`);
    // dInput of y = x Wᵀ is dy W; dW is dyᵀ x (skipped when frozen)
    const back = (name: string, dy: Tensor, x: Tensor): Tensor => {
      acc(`${L}${name}.weight`, dy, x);
      const dx = matmul(ctx, dy, W(name));
      const e = this.adapter?.backward(`${L}${name}`, x, dy);
      if (!e) return dx;
      const r = add(ctx, dx, e);
      dx.release(); e.release();
      return r;
    };
    const sum = (p: Tensor, q: Tensor) => { const r = add(ctx, p, q); p.release(); q.release(); return r; };
    // MLP: out = x1 + down(swiglu(gate(m), up(m))), m = norm(x1)
    const dh = back("down", dOut, a.h);
    const { dGate, dUp } = swigluBackward(ctx, a.g, a.u, dh);
    dh.release();
    const dm = sum(back("gate", dGate, a.m), back("up", dUp, a.m));
    dGate.release(); dUp.release();
    const dx1n = rmsNormBackward(ctx, a.x1, W("mlp_norm"), dm, s.norm.eps, G ? G.get(`${L}mlp_norm.weight`)! : null);
    dm.release();
    const dx1 = add(ctx, dOut, dx1n);
    dx1n.release();
    // attention: x1 = x + o(attn(rope(q(a)), rope(k(a)), v(a))), a = norm(x)
    const dctx = back("o", dx1, a.o);
    const q4 = a.q, k4 = a.k, v4 = viewAs(a.v, [B, T, KV, D]), o4 = viewAs(a.o, [B, T, H, D]);
    const g = attentionBackward(ctx, q4, k4, v4, o4, viewAs(dctx, [B, T, H, D]), { scale: 1 / Math.sqrt(D) });
    dctx.release();
    const dq = ropeBackward(ctx, g.dq, this.rope), dk = ropeBackward(ctx, g.dk, this.rope);
    g.dq.release(); g.dk.release();
    const N = B * T;
    const da = sum(sum(back("q", viewAs(dq, [N, H * D]), a.a), back("k", viewAs(dk, [N, KV * D]), a.a)), back("v", viewAs(g.dv, [N, KV * D]), a.a));
    dq.release(); dk.release(); g.dv.release();
    const dxn = rmsNormBackward(ctx, a.x, W("attn_norm"), da, s.norm.eps, G ? G.get(`${L}attn_norm.weight`)! : null);
    da.release();
    const dx = add(ctx, dx1, dxn);
    dx1.release(); dxn.release();
    return dx;
  }
}

function sumLoss(l: Float32Array, targets: Uint32Array): LossResult {
  let lossSum = 0, count = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] !== IGNORE) { lossSum += l[i]; count++; }
  return { lossSum, count };
}
