// Plain-TypeScript references (float64 arithmetic, f32 where the quantizer rounds) for AWQ's search
// kernels (kernels/ops/quant_awq.ts), stated as mit-han-lab/llm-awq@d6e797a does them:
// quantizer.py pseudo_quantize_tensor (zero_point=True), auto_scale.py (linear-only groups such as
// up→down and v→o, where the output compared is the linear's own), auto_clip.py auto_clip_layer.
import { roundEven } from "./quant.js";

/** pseudo_quantize_tensor of one group: min/max NOT forced to contain 0; returns scale and zero. */
export function awqParamsRef(w: ArrayLike<number>, bits: number): { scale: number; zero: number } {
  const maxq = 2 ** bits - 1;
  let mn = Infinity, mx = -Infinity;
  for (let i = 0; i < w.length; i++) { mn = Math.min(mn, w[i]!); mx = Math.max(mx, w[i]!); }
  const scale = Math.fround(Math.max(mx - mn, 1e-5) / maxq);
  const zero = Math.min(Math.max(-roundEven(Math.fround(mn / scale)), 0), maxq);
  return { scale, zero };
}

export const awqQuantRef = (w: number, p: { scale: number; zero: number }, bits: number) =>
  Math.fround((Math.min(Math.max(roundEven(Math.fround(w / p.scale)) + p.zero, 0), 2 ** bits - 1) - p.zero) * p.scale);

/** W [rows, cols] pseudo-quantized per group of G consecutive inputs (returns a new array). */
export function awqPseudoQuantRef(W: ArrayLike<number>, rows: number, cols: number, bits: number, G: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let g = 0; g < cols / G; g++) {
      const grp = Array.from({ length: G }, (_, k) => W[r * cols + g * G + k]!);
      const p = awqParamsRef(grp, bits);
      grp.forEach((v, k) => (out[r * cols + g * G + k] = awqQuantRef(v, p, bits)));
    }
  return out;
}

/** get_act_scale: mean over tokens of |x| per input channel. */
export function actMeanRef(X: ArrayLike<number>, T: number, cols: number): Float64Array {
  const m = new Float64Array(cols);
  for (let t = 0; t < T; t++) for (let c = 0; c < cols; c++) m[c] += Math.abs(X[t * cols + c]!);
  return m.map((v) => v / T);
}

/** The candidate scales for grid point r/n: s = clamp(x_mean^r, 1e-4); s /= sqrt(max(s)·min(s)). */
export function awqCandidateScales(xMean: ArrayLike<number>, ratio: number): Float64Array {
  const s = Float64Array.from(xMean as ArrayLike<number>, (v) => Math.max(v ** ratio, 1e-4));
  let mx = -Infinity, mn = Infinity;
  for (const v of s) { mx = Math.max(mx, v); mn = Math.min(mn, v); }
  const d = Math.sqrt(mx * mn);
  return s.map((v) => v / d);
}

/**
 * auto_scale for a linear-only group: for r in {0, 1/n, .., (n−1)/n}, loss = mean((X·Q(W·s)/sᵀ − X·Wᵀ)²);
 * returns the best grid index (first minimum, strict <), its scales and all losses.
 */
export function awqScaleSearchRef(X: ArrayLike<number>, T: number, W: ArrayLike<number>, rows: number, cols: number, bits: number, G: number, nGrid = 20) {
  const xMean = actMeanRef(X, T, cols);
  const org = matT(X, W, T, rows, cols);
  let best = -1, bestLoss = Infinity;
  const losses: number[] = [];
  for (let i = 0; i < nGrid; i++) {
    const s = awqCandidateScales(xMean, i / nGrid);
    const Ws = Float64Array.from({ length: rows * cols }, (_, j) => Math.fround(W[j]! * s[j % cols]!));
    const Q = awqPseudoQuantRef(Ws, rows, cols, bits, G).map((v, j) => v / s[j % cols]!);
    const out = matT(X, Q, T, rows, cols);
    let l = 0;
    for (let j = 0; j < out.length; j++) l += (out[j]! - org[j]!) ** 2;
    l /= out.length;
    losses.push(l);
    if (l < bestLoss) { bestLoss = l; best = i; }
  }
  return { best, scales: awqCandidateScales(xMean, best / nGrid), losses };
}

function matT(X: ArrayLike<number>, W: ArrayLike<number>, T: number, rows: number, cols: number): Float64Array {
  const o = new Float64Array(T * rows);
  for (let t = 0; t < T; t++) for (let r = 0; r < rows; r++) { let s = 0; for (let c = 0; c < cols; c++) s += X[t * cols + c]! * W[r * cols + c]!; o[t * rows + r] = s; }
  return o;
}

/**
 * auto_clip_layer for one weight: per (row, group), max = absmax·(1 − i/nGrid) for i < maxShrink·nGrid,
 * error = mean over tokens of (Σ_G x·q − Σ_G x·w)²; keeps the first minimum (strict <). X holds the
 * sampled tokens [T, cols]. Returns the chosen shrink index per [rows, groups].
 */
export function awqClipSearchRef(X: ArrayLike<number>, T: number, W: ArrayLike<number>, rows: number, cols: number, bits: number, G: number, nGrid = 20, maxShrink = 0.5): Int32Array {
  const ng = cols / G, out = new Int32Array(rows * ng);
  for (let r = 0; r < rows; r++)
    for (let g = 0; g < ng; g++) {
      const w = Array.from({ length: G }, (_, k) => W[r * cols + g * G + k]!);
      const amax = Math.max(...w.map(Math.abs));
      let minErr = 1e9, bestI = 0;
      for (let i = 0; i < Math.floor(maxShrink * nGrid); i++) {
        const mx = Math.fround(amax * (1 - i / nGrid));
        const c = w.map((v) => Math.min(Math.max(v, -mx), mx));
        const p = awqParamsRef(c, bits);
        const q = c.map((v) => awqQuantRef(v, p, bits));
        let err = 0;
        for (let t = 0; t < T; t++) {
          let d = 0;
          for (let k = 0; k < G; k++) d += X[t * cols + g * G + k]! * (q[k]! - w[k]!);
          err += d * d;
        }
        err /= T;
        if (err < minErr) { minErr = err; bestI = i; }
      }
      out[r * ng + g] = bestI;
    }
  return out;
}
