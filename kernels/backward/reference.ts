// Plain-TypeScript (float64) twins of the backward kernels, plus the float64 forwards they are the
// gradients of, so tests can check each backward against finite differences of its forward and the
// GPU against the backward. Arrays are row-major as in the kernels.
type Arr = ArrayLike<number>;
const F = (n: number) => new Float64Array(n);

// ---- embedding ----
export function embeddingBackwardRef(dY: Arr, ids: Arr, V: number, D: number): Float64Array {
  const g = F(V * D);
  for (let t = 0; t < ids.length; t++) if (ids[t] < V) for (let d = 0; d < D; d++) g[ids[t] * D + d] += dY[t * D + d];
  return g;
}

// ---- RMSNorm ----
export function rmsNormRef64(x: Arr, w: Arr, eps: number): Float64Array {
  const n = w.length, y = F(x.length);
  for (let r = 0; r < x.length / n; r++) {
    let q = 0;
    for (let i = 0; i < n; i++) q += x[r * n + i] ** 2;
    const inv = 1 / Math.sqrt(q / n + eps);
    for (let i = 0; i < n; i++) y[r * n + i] = x[r * n + i] * inv * w[i];
  }
  return y;
}
export function rmsNormBackwardRef(x: Arr, w: Arr, dy: Arr, eps: number): { dx: Float64Array; dw: Float64Array } {
  const n = w.length, dx = F(x.length), dw = F(n);
  for (let r = 0; r < x.length / n; r++) {
    const o = r * n;
    let q = 0, c = 0;
    for (let i = 0; i < n; i++) { q += x[o + i] ** 2; c += w[i] * dy[o + i] * x[o + i]; }
    const inv = 1 / Math.sqrt(q / n + eps);
    for (let i = 0; i < n; i++) {
      dx[o + i] = inv * (w[i] * dy[o + i] - (x[o + i] * inv * inv * c) / n);
      dw[i] += dy[o + i] * x[o + i] * inv;
    }
  }
  return { dx, dw };
}

// ---- rope (rotate_half; cos/sin tables [P, D/2]; position of token t = offset + t) ----
function ropeApply(x: Arr, B: number, T: number, H: number, D: number, cos: Arr, sin: Arr, sign: 1 | -1, offset: number): Float64Array {
  const half = D / 2, y = F(x.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) {
    const o = ((b * T + t) * H + h) * D, p = offset + t;
    for (let d = 0; d < half; d++) {
      const c = cos[p * half + d], s = sign * sin[p * half + d];
      const x1 = x[o + d], x2 = x[o + d + half];
      y[o + d] = x1 * c - x2 * s;
      y[o + d + half] = x2 * c + x1 * s;
    }
  }
  return y;
}
export const ropeRef64 = (x: Arr, B: number, T: number, H: number, D: number, cos: Arr, sin: Arr, offset = 0) => ropeApply(x, B, T, H, D, cos, sin, 1, offset);
/** The transpose of the rotation: rotation by −θ. */
export const ropeBackwardRef = (dy: Arr, B: number, T: number, H: number, D: number, cos: Arr, sin: Arr, offset = 0) => ropeApply(dy, B, T, H, D, cos, sin, -1, offset);

// ---- causal GQA attention, q [B,T,Hq,D], k/v [B,T,Hkv,D] ----
export interface AttnShape { B: number; T: number; Hq: number; Hkv: number; D: number; scale?: number }
function probs(q: Arr, k: Arr, s: AttnShape, b: number, h: number, i: number): Float64Array {
  const { T, Hq, Hkv, D } = s, scale = s.scale ?? 1 / Math.sqrt(D), hk = Math.floor(h / (Hq / Hkv));
  const p = F(i + 1);
  let m = -Infinity;
  for (let j = 0; j <= i; j++) {
    let acc = 0;
    for (let d = 0; d < D; d++) acc += q[((b * T + i) * Hq + h) * D + d] * k[((b * T + j) * Hkv + hk) * D + d];
    p[j] = acc * scale;
    m = Math.max(m, p[j]);
  }
  let sum = 0;
  for (let j = 0; j <= i; j++) { p[j] = Math.exp(p[j] - m); sum += p[j]; }
  for (let j = 0; j <= i; j++) p[j] /= sum;
  return p;
}
export function attentionRef64(q: Arr, k: Arr, v: Arr, s: AttnShape): Float64Array {
  const { B, T, Hq, Hkv, D } = s, out = F(B * T * Hq * D);
  for (let b = 0; b < B; b++) for (let h = 0; h < Hq; h++) {
    const hk = Math.floor(h / (Hq / Hkv));
    for (let i = 0; i < T; i++) {
      const p = probs(q, k, s, b, h, i), o = ((b * T + i) * Hq + h) * D;
      for (let j = 0; j <= i; j++) for (let d = 0; d < D; d++) out[o + d] += p[j] * v[((b * T + j) * Hkv + hk) * D + d];
    }
  }
  return out;
}
export function attentionBackwardRef(q: Arr, k: Arr, v: Arr, dO: Arr, s: AttnShape): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { B, T, Hq, Hkv, D } = s, scale = s.scale ?? 1 / Math.sqrt(D);
  const dq = F(q.length), dk = F(k.length), dv = F(v.length);
  for (let b = 0; b < B; b++) for (let h = 0; h < Hq; h++) {
    const hk = Math.floor(h / (Hq / Hkv));
    for (let i = 0; i < T; i++) {
      const p = probs(q, k, s, b, h, i), qo = ((b * T + i) * Hq + h) * D;
      const dp = F(i + 1);
      let dot = 0;
      for (let j = 0; j <= i; j++) {
        const ko = ((b * T + j) * Hkv + hk) * D;
        for (let d = 0; d < D; d++) { dp[j] += dO[qo + d] * v[ko + d]; dv[ko + d] += p[j] * dO[qo + d]; }
        dot += p[j] * dp[j];
      }
      for (let j = 0; j <= i; j++) {
        const ds = p[j] * (dp[j] - dot) * scale, ko = ((b * T + j) * Hkv + hk) * D;
        for (let d = 0; d < D; d++) { dq[qo + d] += ds * k[ko + d]; dk[ko + d] += ds * q[qo + d]; }
      }
    }
  }
  return { dq, dk, dv };
}

// ---- SwiGLU ----
const sig = (x: number) => 1 / (1 + Math.exp(-x));
export const swigluRef64 = (g: Arr, u: Arr) => Float64Array.from({ length: g.length }, (_, i) => g[i] * sig(g[i]) * u[i]);
export function swigluBackwardRef(g: Arr, u: Arr, dy: Arr): { dGate: Float64Array; dUp: Float64Array } {
  const dGate = F(g.length), dUp = F(g.length);
  for (let i = 0; i < g.length; i++) {
    const s = sig(g[i]);
    dUp[i] = dy[i] * g[i] * s;
    dGate[i] = dy[i] * u[i] * s * (1 + g[i] * (1 - s));
  }
  return { dGate, dUp };
}

// ---- cross-entropy (per-row loss; gradient of scale · Σ loss) ----
export function crossEntropyRef64(x: Arr, targets: Arr, V: number, ignore = 0xffffffff): Float64Array {
  const N = targets.length, loss = F(N);
  for (let r = 0; r < N; r++) {
    if (targets[r] === ignore) continue;
    let m = -Infinity;
    for (let i = 0; i < V; i++) m = Math.max(m, x[r * V + i]);
    let s = 0;
    for (let i = 0; i < V; i++) s += Math.exp(x[r * V + i] - m);
    loss[r] = m + Math.log(s) - x[r * V + targets[r]];
  }
  return loss;
}
export function crossEntropyBackwardRef(x: Arr, targets: Arr, V: number, scale: number, ignore = 0xffffffff): Float64Array {
  const N = targets.length, g = F(N * V);
  for (let r = 0; r < N; r++) {
    if (targets[r] === ignore) continue;
    let m = -Infinity;
    for (let i = 0; i < V; i++) m = Math.max(m, x[r * V + i]);
    let s = 0;
    for (let i = 0; i < V; i++) s += Math.exp(x[r * V + i] - m);
    for (let i = 0; i < V; i++) g[r * V + i] = scale * (Math.exp(x[r * V + i] - m) / s - (i === targets[r] ? 1 : 0));
  }
  return g;
}

// ---- matmul y = x Wᵀ (nn.Linear): dx = dy W, dW = dyᵀ x ----
export function linearRef64(x: Arr, W: Arr, rows: number, inF: number, outF: number): Float64Array {
  const y = F(rows * outF);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) { let a = 0; for (let i = 0; i < inF; i++) a += x[r * inF + i] * W[o * inF + i]; y[r * outF + o] = a; }
  return y;
}
export function linearBackwardRef(x: Arr, W: Arr, dy: Arr, rows: number, inF: number, outF: number): { dx: Float64Array; dW: Float64Array } {
  const dx = F(rows * inF), dW = F(outF * inF);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) {
    const g = dy[r * outF + o];
    for (let i = 0; i < inF; i++) { dx[r * inF + i] += g * W[o * inF + i]; dW[o * inF + i] += g * x[r * inF + i]; }
  }
  return { dx, dW };
}

// ---- AdamW (one step, in float64) ----
export function adamwRef(p: Arr, g: Arr, m: Arr, v: Arr, s: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number; gradScale: number }) {
  const n = p.length, P = F(n), M = F(n), Vv = F(n);
  const bc1 = 1 - s.beta1 ** s.step, sbc2 = Math.sqrt(1 - s.beta2 ** s.step);
  for (let i = 0; i < n; i++) {
    const gi = g[i] * s.gradScale;
    M[i] = s.beta1 * m[i] + (1 - s.beta1) * gi;
    Vv[i] = s.beta2 * v[i] + (1 - s.beta2) * gi * gi;
    P[i] = p[i] * (1 - s.lr * s.weightDecay) - (s.lr / bc1) * M[i] / (Math.sqrt(Vv[i]) / sbc2 + s.eps);
  }
  return { p: P, m: M, v: Vv };
}

/** Central finite difference of a scalar function of one coordinate of x (x is modified and restored). */
export function finiteDiff(f: () => number, x: Float64Array, i: number, h = 1e-5): number {
  const x0 = x[i];
  x[i] = x0 + h; const fp = f();
  x[i] = x0 - h; const fm = f();
  x[i] = x0;
  return (fp - fm) / (2 * h);
}
