/**
 * The plain-TypeScript forward pass (CPU, f64 arithmetic on f32 weights) for the canonical layout: the
 * correctness oracle the WebGPU transformer is compared to, itself checked against HF transformers' logits.
 * Readable over fast: one function per block, as in nanoGPT. Covers Llama/Mistral/Qwen2 (RMSNorm, rope incl.
 * linear and llama3 scaling, GQA, SwiGLU, sliding window), OPT (learned positions with offset, pre/post
 * LayerNorm, ReLU), GPT-2 (learned positions, GELU), Qwen3 (q/k norms), Gemma 2/3 ((1 + w) RMSNorm, embedding
 * scaling, sandwich norms, soft-capping, per-layer windows and rope bases) and Phi-3 (fused weights, split on load).
 */
import { layerWindow, type ModelSpec, type RopeScaling } from "./config.js";
import { checkBatch, positionIds, prefixLength } from "./causal-lm.js";
import type { CausalLM, ForwardOptions, Logits, TokenBatch } from "./causal-lm.js";
import type { LinearName } from "./weights.js";

export type WeightMap = Map<string, Float32Array>;

export class ReferenceModel implements CausalLM {
  private readonly invFreq: Float64Array | null;
  /** the sliding layers' rope, when it differs (Gemma 3) */
  private readonly invFreqLocal: Float64Array | null;

  constructor(
    readonly spec: ModelSpec,
    readonly weights: WeightMap,
  ) {
    this.invFreq = spec.positions.type === "rope" ? ropeInverseFrequencies(spec) : null;
    this.invFreqLocal = spec.localRope ? ropeInverseFrequencies(spec, spec.localRope) : null;
  }

  private w(name: string): Float32Array {
    const t = this.weights.get(name);
    if (!t) throw new Error(`reference forward: weight "${name}" missing`);
    return t;
  }
  private maybe(name: string): Float32Array | undefined {
    return this.weights.get(name);
  }

  async forward(batch: TokenBatch, opts: ForwardOptions = {}): Promise<Logits> {
    const s = this.spec;
    const { B, T, mask } = checkBatch(batch, s.vocabSize);
    const h = s.hiddenSize;
    const N = B * T;
    const pos = mask.map(positionIds);
    const realRows = mask.flat().map((m, i) => (m ? i : -1)).filter((i) => i >= 0);

    // embeddings (+ learned positions)
    let x: Float64Array = new Float64Array(N * h);
    const embed = this.w("embed");
    const P = prefixLength(opts, h, T, mask), pre = opts.prefixEmbeds;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const r = b * T + t;
        const id = batch.ids[b][t];
        // HF scales the token embeddings only (a soft prompt is given as inputs_embeds, unscaled)
        const sc = s.embedScale ?? 1;
        if (t < P) for (let i = 0; i < h; i++) x[r * h + i] = pre![t * h + i];
        else for (let i = 0; i < h; i++) x[r * h + i] = embed[id * h + i] * sc;
        if (s.positions.type === "learned") {
          const pe = this.w("pos_embed");
          const row = pos[b][t] + s.positions.offset;
          if (row * h >= pe.length) throw new Error(`position ${pos[b][t]} beyond the model's ${s.maxPositions} positions`);
          for (let i = 0; i < h; i++) x[r * h + i] += pe[row * h + i];
        }
      }
    }

    const linear = (layer: number, name: LinearName, input: Float64Array): Float64Array => {
      const W = this.w(`layers.${layer}.${name}.weight`);
      const bias = this.maybe(`layers.${layer}.${name}.bias`);
      const inF = input.length / N;
      const outF = W.length / inF;
      if (opts.onLinearInput) {
        const rows = new Float32Array(realRows.length * inF);
        realRows.forEach((r, k) => rows.set(input.subarray(r * inF, (r + 1) * inF), k * inF));
        opts.onLinearInput({ layer, linear: name, inFeatures: inF, outFeatures: outF }, rows, realRows.length);
      }
      return matmulT(input, W, bias, N, inF, outF);
    };

    for (let l = 0; l < s.numLayers; l++) {
      const L = `layers.${l}.`;
      const pre = s.normPlacement === "pre";
      // attention block
      const a = pre ? this.norm(x, `${L}attn_norm`) : x;
      const q = linear(l, "q", a);
      const k = linear(l, "k", a);
      const v = linear(l, "v", a);
      const qn = s.qkNorm ? this.norm(q, `${L}q_norm`, s.headDim) : q;
      const kn = s.qkNorm ? this.norm(k, `${L}k_norm`, s.headDim) : k;
      const inv = this.invFreqLocal && layerWindow(s, l) !== null ? this.invFreqLocal : this.invFreq;
      if (inv) {
        applyRope(qn, pos, B, T, s.numHeads, s.headDim, inv);
        applyRope(kn, pos, B, T, s.numKvHeads, s.headDim, inv);
      }
      const ctx = attention(qn, kn, v, mask, B, T, s, l);
      let o = linear(l, "o", ctx);
      if (s.sandwichNorm) o = this.norm(o, `${L}post_attn_norm`);
      for (let i = 0; i < x.length; i++) o[i] += x[i];
      x = pre ? o : this.norm(o, `${L}attn_norm`);
      // MLP block
      const m = pre ? this.norm(x, `${L}mlp_norm`) : x;
      let hidden: Float64Array;
      if (s.mlp === "gated") {
        const g = linear(l, "gate", m);
        const u = linear(l, "up", m);
        for (let i = 0; i < g.length; i++) g[i] = activate(s.activation, g[i]) * u[i];
        hidden = g;
      } else {
        hidden = linear(l, "up", m);
        for (let i = 0; i < hidden.length; i++) hidden[i] = activate(s.activation, hidden[i]);
      }
      let d = linear(l, "down", hidden);
      if (s.sandwichNorm) d = this.norm(d, `${L}post_mlp_norm`);
      for (let i = 0; i < x.length; i++) d[i] += x[i];
      x = pre ? d : this.norm(d, `${L}mlp_norm`);
    }
    if (s.finalNorm) x = this.norm(x, "final_norm");
    const head = s.tiedEmbeddings ? embed : this.w("lm_head");
    const logits = matmulT(x, head, undefined, N, h, s.vocabSize);
    const cap = s.logitSoftcap;
    if (cap !== undefined) for (let i = 0; i < logits.length; i++) logits[i] = cap * Math.tanh(logits[i] / cap);
    return { data: Float32Array.from(logits), batch: B, length: T, vocab: s.vocabSize };
  }

  /** Normalises each row of `width` values (the hidden size; the head dim for q/k norms). */
  private norm(x: Float64Array, name: string, width = this.spec.hiddenSize): Float64Array {
    const h = width;
    const { type, eps } = this.spec.norm;
    const offset = this.spec.norm.offset ?? 0;
    const w = this.w(`${name}.weight`);
    const b = type === "layer" ? this.w(`${name}.bias`) : undefined;
    const out = new Float64Array(x.length);
    for (let r = 0; r < x.length / h; r++) {
      const o = r * h;
      let mean = 0;
      if (type === "layer") {
        for (let i = 0; i < h; i++) mean += x[o + i];
        mean /= h;
      }
      let v = 0;
      for (let i = 0; i < h; i++) v += (x[o + i] - mean) ** 2;
      const inv = 1 / Math.sqrt(v / h + eps);
      for (let i = 0; i < h; i++) out[o + i] = (x[o + i] - mean) * inv * (w[i] + offset) + (b ? b[i] : 0);
    }
    return out;
  }
}

/** y[r, o] = Σ_i x[r, i] W[o, i] + bias[o] — torch's nn.Linear with W as [out, in]. */
function matmulT(x: Float64Array, W: Float32Array, bias: Float32Array | undefined, rows: number, inF: number, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    const xo = r * inF;
    for (let o = 0; o < outF; o++) {
      const wo = o * inF;
      let acc = bias ? bias[o] : 0;
      for (let i = 0; i < inF; i++) acc += x[xo + i] * W[wo + i];
      y[r * outF + o] = acc;
    }
  }
  return y;
}

/**
 * Rope inverse frequencies, with linear or Llama-3 scaling, computed in f32 as HF does (its rotary
 * embedding runs in float32 even for a float64 model), so angles match to the last bit that matters.
 */
export function ropeInverseFrequencies(spec: ModelSpec, rope?: { theta: number; scaling: RopeScaling }): Float64Array {
  if (spec.positions.type !== "rope") throw new Error("not a rope model");
  const { theta, scaling } = rope ?? spec.positions;
  const d = spec.headDim;
  const f = Math.fround;
  const inv = new Float64Array(d / 2);
  for (let i = 0; i < d / 2; i++) inv[i] = f(1 / f(f(theta) ** f((2 * i) / d)));
  if (scaling.type === "linear") for (let i = 0; i < inv.length; i++) inv[i] = f(inv[i] / scaling.factor);
  if (scaling.type === "llama3") {
    const { factor, lowFreqFactor: lo, highFreqFactor: hi, originalMaxPositions: old } = scaling;
    const lowWavelen = old / lo;
    const highWavelen = old / hi;
    for (let i = 0; i < inv.length; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen) inv[i] = f(inv[i] / factor); // long wavelengths: interpolate
      else if (wavelen >= highWavelen) {
        // in between: blend interpolated and original frequencies
        const smooth = (old / wavelen - lo) / (hi - lo);
        inv[i] = f((1 - smooth) * (inv[i] / factor) + smooth * inv[i]);
      } // short wavelengths: unchanged
    }
  }
  return inv;
}

/** HF's rotate_half convention: dimension i pairs with i + d/2 (not interleaved). In place. */
function applyRope(x: Float64Array, pos: number[][], B: number, T: number, heads: number, d: number, invFreq: Float64Array): void {
  const half = d / 2;
  const width = heads * d;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const p = pos[b][t];
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(invFreq[i] * p);
        const c = Math.cos(angle);
        const sn = Math.sin(angle);
        for (let hd = 0; hd < heads; hd++) {
          const o = (b * T + t) * width + hd * d;
          const x1 = x[o + i];
          const x2 = x[o + i + half];
          x[o + i] = x1 * c - x2 * sn;
          x[o + i + half] = x2 * c + x1 * sn;
        }
      }
    }
  }
}

/**
 * Causal softmax attention with grouped kv heads. Query t of row b sees key j when j ≤ t, mask[b][j] = 1 and,
 * with a sliding window w, t - j < w. A query that sees nothing (padding) outputs zeros.
 */
function attention(q: Float64Array, k: Float64Array, v: Float64Array, mask: number[][], B: number, T: number, s: ModelSpec, layer: number): Float64Array {
  const { numHeads: H, numKvHeads: KV, headDim: d } = s;
  const group = H / KV;
  let scale = s.attnScale ?? 1 / Math.sqrt(d);
  if (s.scaleAttnByInverseLayer) scale /= layer + 1;
  const window = layerWindow(s, layer);
  const cap = s.attnSoftcap;
  const out = new Float64Array(B * T * H * d);
  const scores = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let hq = 0; hq < H; hq++) {
      const hk = Math.floor(hq / group);
      for (let t = 0; t < T; t++) {
        const qo = (b * T + t) * H * d + hq * d;
        let max = -Infinity;
        let seen = 0;
        for (let j = 0; j <= t; j++) {
          const visible = mask[b][j] && (window === null || t - j < window);
          if (!visible) {
            scores[j] = -Infinity;
            continue;
          }
          seen++;
          const ko = (b * T + j) * KV * d + hk * d;
          let acc = 0;
          for (let i = 0; i < d; i++) acc += q[qo + i] * k[ko + i];
          scores[j] = cap === undefined ? acc * scale : cap * Math.tanh((acc * scale) / cap);
          if (scores[j] > max) max = scores[j];
        }
        // empty only when no key is visible: a row of NaN scores (max stays -Infinity) must give NaN, not zeros
        if (seen === 0) continue;
        let sum = 0;
        for (let j = 0; j <= t; j++) {
          scores[j] = scores[j] === -Infinity ? 0 : Math.exp(scores[j] - max);
          sum += scores[j];
        }
        for (let j = 0; j <= t; j++) {
          if (scores[j] === 0) continue;
          const p = scores[j] / sum;
          const vo = (b * T + j) * KV * d + hk * d;
          for (let i = 0; i < d; i++) out[qo + i] += p * v[vo + i];
        }
      }
    }
  }
  return out;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function activate(kind: ModelSpec["activation"], x: number): number {
  switch (kind) {
    case "silu":
      return x / (1 + Math.exp(-x));
    case "relu":
      return x > 0 ? x : 0;
    case "gelu":
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case "gelu_tanh":
      return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
  }
}

/** erf to ~1e-15 relative: Taylor series near 0, continued fraction for erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc x = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) evaluated backwards
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}
