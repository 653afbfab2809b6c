// A plain-TypeScript CPU reference of AWQ end to end (llm-awq@d6e797a run_awq → auto_scale_block →
// apply_scale → auto_clip_block → apply_clip → pseudo_quantize_model_weight), independent of the WGSL
// kernels and of loaders/compress/awq-driver.ts's GPU blocks: the linears' inputs come from
// ReferenceModel's hooks on the ORIGINAL model (AWQ propagates FP activations), the attention and MLP
// blocks are written here in float64, the quantizer / clip search are kernels/reference/awq.ts.
import { actMeanRef, awqCandidateScales, awqClipSearchRef, awqPseudoQuantRef } from "../../kernels/reference/awq.js";
import type { ModelSpec } from "../../loaders/model/config.js";
import { ReferenceModel, ropeInverseFrequencies } from "../../loaders/model/reference-forward.js";
import type { LinearName } from "../../loaders/model/weights.js";

export interface AwqRefResult {
  weights: Map<string, Float32Array>;
  /** per layer: group → best grid index */
  best: Map<string, number>;
  losses: Map<string, number[]>;
  clips: Map<string, Int32Array>;
  relError: Map<string, number>;
}

const LIN: LinearName[] = ["q", "k", "v", "o", "gate", "up", "down"];

export async function awqReference(spec: ModelSpec, weights: Map<string, Float32Array>, samples: number[][], bits: number, G: number, nGrid = 20, clipTokens = 512): Promise<AwqRefResult> {
  const h = spec.hiddenSize, H = spec.numHeads, KV = spec.numKvHeads, D = spec.headDim, F = spec.intermediateSize;
  const B = samples.length, T = samples[0]!.length, N = B * T;
  const feats = new Map<string, Float32Array>();
  await new ReferenceModel(spec, weights).forward({ ids: samples }, {
    onLinearInput: (site, input, rows) => { feats.set(`${site.layer}.${site.linear}`, input.slice(0, rows * site.inFeatures)); },
  });
  const out = new Map(weights);
  const best = new Map<string, number>(), losses = new Map<string, number[]>(), clips = new Map<string, Int32Array>(), relError = new Map<string, number>();
  const inv = ropeInverseFrequencies(spec);
  const rowsOf = (x: LinearName) => (x === "q" ? H * D : x === "k" || x === "v" ? KV * D : x === "gate" || x === "up" ? F : h);
  const colsOf = (x: LinearName) => (x === "o" ? H * D : x === "down" ? F : h);

  const lin = (X: ArrayLike<number>, W: ArrayLike<number>, rows: number, cols: number) => {
    const y = new Float64Array(N * rows);
    for (let t = 0; t < N; t++) for (let r = 0; r < rows; r++) { let s = 0; for (let c = 0; c < cols; c++) s += X[t * cols + c]! * W[r * cols + c]!; y[t * rows + r] = s; }
    return y;
  };
  const ropeIn = (x: Float64Array, heads: number) => {
    for (let t = 0; t < N; t++) {
      const p = t % T;
      for (let i = 0; i < D / 2; i++) {
        const ang = Math.fround(inv[i]! * p), c = Math.cos(ang), s = Math.sin(ang);
        for (let hd = 0; hd < heads; hd++) {
          const o = t * heads * D + hd * D, x1 = x[o + i]!, x2 = x[o + i + D / 2]!;
          x[o + i] = x1 * c - x2 * s; x[o + i + D / 2] = x2 * c + x1 * s;
        }
      }
    }
  };
  const attn = (a: ArrayLike<number>, Wq: ArrayLike<number>, Wk: ArrayLike<number>, Wv: ArrayLike<number>, Wo: ArrayLike<number>) => {
    const q = lin(a, Wq, H * D, h), k = lin(a, Wk, KV * D, h), v = lin(a, Wv, KV * D, h);
    ropeIn(q, H); ropeIn(k, KV);
    const ctx = new Float64Array(N * H * D), sc = new Float64Array(T);
    for (let b = 0; b < B; b++)
      for (let hq = 0; hq < H; hq++) {
        const hk = Math.floor(hq / (H / KV));
        for (let t = 0; t < T; t++) {
          const qo = (b * T + t) * H * D + hq * D;
          let mx = -Infinity;
          for (let j = 0; j <= t; j++) {
            let s = 0;
            for (let i = 0; i < D; i++) s += q[qo + i]! * k[(b * T + j) * KV * D + hk * D + i]!;
            sc[j] = s / Math.sqrt(D); mx = Math.max(mx, sc[j]!);
          }
          let sum = 0;
          for (let j = 0; j <= t; j++) { sc[j] = Math.exp(sc[j]! - mx); sum += sc[j]!; }
          for (let j = 0; j <= t; j++) for (let i = 0; i < D; i++) ctx[qo + i] += (sc[j]! / sum) * v[(b * T + j) * KV * D + hk * D + i]!;
        }
      }
    return lin(ctx, Wo, h, H * D);
  };
  const mlp = (m: ArrayLike<number>, Wg: ArrayLike<number>, Wu: ArrayLike<number>, Wd: ArrayLike<number>) => {
    const g = lin(m, Wg, F, h), u = lin(m, Wu, F, h);
    for (let i = 0; i < g.length; i++) g[i] = (g[i]! / (1 + Math.exp(-g[i]!))) * u[i]!;
    return lin(g, Wd, h, F);
  };
  const qscaled = (W: Float32Array, rows: number, cols: number, s: Float64Array) => {
    const Ws = Float32Array.from(W, (w, j) => w * s[j % cols]!);
    return awqPseudoQuantRef(Ws, rows, cols, bits, G).map((v, j) => v / s[j % cols]!);
  };

  for (let l = 0; l < spec.numLayers; l++) {
    const w = (x: LinearName) => out.get(`layers.${l}.${x}.weight`)!;
    const X = (x: LinearName) => feats.get(`${l}.${x}`)!;
    const scales = new Map<string, Float64Array>();
    const search = (group: string, x: Float32Array, cols: number, lins: LinearName[], block: (Q: ArrayLike<number>[]) => Float64Array) => {
      const xm = actMeanRef(x, N, cols);
      const org = block(lins.map(w));
      let bi = -1, bl = Infinity;
      const ls: number[] = [];
      for (let i = 0; i < nGrid; i++) {
        const s = awqCandidateScales(xm, i / nGrid);
        const o2 = block(lins.map((n) => qscaled(w(n), rowsOf(n), cols, s)));
        let e = 0;
        for (let j = 0; j < o2.length; j++) e += (o2[j]! - org[j]!) ** 2;
        e /= o2.length;
        ls.push(e);
        if (e < bl) { bl = e; bi = i; }
      }
      best.set(`${l}.${group}`, bi); losses.set(`${l}.${group}`, ls);
      scales.set(group, awqCandidateScales(xm, bi / nGrid));
    };
    search("qkv", X("q"), h, ["q", "k", "v"], (Q) => attn(X("q"), Q[0]!, Q[1]!, Q[2]!, w("o")));
    const withO = KV * D === h && H * D === h;
    if (withO) search("o", X("o"), H * D, ["o"], (Q) => lin(X("o"), Q[0]!, h, H * D));
    search("gate_up", X("gate"), h, ["gate", "up"], (Q) => mlp(X("gate"), Q[0]!, Q[1]!, w("down")));
    search("down", X("down"), F, ["down"], (Q) => lin(X("down"), Q[0]!, h, F));
    // apply_scale
    const cp = (n: string) => { const a = Float32Array.from(out.get(n)!); out.set(n, a); return a; };
    const divNorm = (n: string, s: Float64Array) => { const a = cp(n); for (let i = 0; i < a.length; i++) a[i] = a[i]! / s[i]!; };
    const mulCols = (x: LinearName, s: Float64Array) => { const a = cp(`layers.${l}.${x}.weight`), c = colsOf(x); for (let i = 0; i < a.length; i++) a[i] = a[i]! * s[i % c]!; };
    const divRows = (x: LinearName, s: Float64Array) => { const a = cp(`layers.${l}.${x}.weight`), c = colsOf(x); for (let i = 0; i < a.length; i++) a[i] = a[i]! / s[Math.floor(i / c)]!; };
    const s1 = scales.get("qkv")!, s2 = scales.get("o"), s3 = scales.get("gate_up")!, s4 = scales.get("down")!;
    divNorm(`layers.${l}.attn_norm.weight`, s1); mulCols("q", s1); mulCols("k", s1); mulCols("v", s1);
    if (s2) { divRows("v", s2); mulCols("o", s2); }
    divNorm(`layers.${l}.mlp_norm.weight`, s3); mulCols("gate", s3); mulCols("up", s3);
    divRows("up", s4); mulCols("down", s4);
    // clip (q/k skipped) on X / s, then quantize every linear
    const sIn = (x: LinearName) => (x === "o" ? s2 : x === "down" ? s4 : x === "gate" || x === "up" ? s3 : s1);
    for (const x of LIN) {
      const rows = rowsOf(x), cols = colsOf(x), name = `layers.${l}.${x}.weight`;
      const s = sIn(x) ?? new Float64Array(cols).fill(1);
      const Xs = Float32Array.from(X(x), (v, j) => v / s[j % cols]!);
      const Wp = Float32Array.from(w(x));
      let Wc = Wp;
      if (x !== "q" && x !== "k") {
        const step = Math.max(1, Math.floor(N / clipTokens)), idx: number[] = [];
        for (let t = 0; t < N; t += step) idx.push(t);
        const Xt = new Float32Array(idx.length * cols);
        idx.forEach((t, i) => Xt.set(Xs.subarray(t * cols, (t + 1) * cols), i * cols));
        const c = awqClipSearchRef(Xt, idx.length, Wp, rows, cols, bits, G);
        clips.set(name, c);
        Wc = Float32Array.from(Wp);
        for (let r = 0; r < rows; r++)
          for (let g = 0; g < cols / G; g++) {
            let amax = 0;
            for (let k = 0; k < G; k++) amax = Math.max(amax, Math.abs(Wp[r * cols + g * G + k]!));
            const mx = Math.fround(amax * (1 - c[r * (cols / G) + g]! / nGrid));
            for (let k = 0; k < G; k++) Wc[r * cols + g * G + k] = Math.min(Math.max(Wp[r * cols + g * G + k]!, -mx), mx);
          }
      }
      const Q = Float32Array.from(awqPseudoQuantRef(Wc, rows, cols, bits, G));
      const yw = lin(Xs, Wp, rows, cols), yq = lin(Xs, Q, rows, cols);
      let num = 0, den = 0;
      for (let i = 0; i < yw.length; i++) { num += (yq[i]! - yw[i]!) ** 2; den += yw[i]! ** 2; }
      relError.set(name, num / den);
      out.set(name, Q);
    }
  }
  return { weights: out, best, losses, clips, relError };
}
