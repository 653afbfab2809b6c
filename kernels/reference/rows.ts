// Row-wise references (last dim), float64 accumulation: reductions, softmax, norms,
// cross-entropy, top-k.
function rowsOf(x: ArrayLike<number>, n: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < x.length / n; r++) out.push(Array.from({ length: n }, (_, i) => x[r * n + i]));
  return out;
}

export const sumRowsRef = (x: Float32Array, n: number) => Float32Array.from(rowsOf(x, n), (r) => r.reduce((a, b) => a + b, 0));
export const maxRowsRef = (x: Float32Array, n: number) => Float32Array.from(rowsOf(x, n), (r) => Math.max(...r));
export const argmaxRowsRef = (x: Float32Array, n: number) =>
  Uint32Array.from(rowsOf(x, n), (r) => r.reduce((best, v, i) => (v > r[best] ? i : best), 0));

export function softmaxRef(x: Float32Array, n: number, log = false): Float32Array {
  const out = new Float32Array(x.length);
  rowsOf(x, n).forEach((r, k) => {
    const m = Math.max(...r);
    const s = r.reduce((a, v) => a + Math.exp(v - m), 0);
    r.forEach((v, i) => (out[k * n + i] = log ? v - m - Math.log(s) : Math.exp(v - m) / s));
  });
  return out;
}

export function rmsNormRef(x: Float32Array, w: Float32Array, eps: number): Float32Array {
  const n = w.length, out = new Float32Array(x.length);
  rowsOf(x, n).forEach((r, k) => {
    const inv = 1 / Math.sqrt(r.reduce((a, v) => a + v * v, 0) / n + eps);
    r.forEach((v, i) => (out[k * n + i] = v * inv * w[i]));
  });
  return out;
}

export function layerNormRef(x: Float32Array, w: Float32Array, b: Float32Array, eps: number): Float32Array {
  const n = w.length, out = new Float32Array(x.length);
  rowsOf(x, n).forEach((r, k) => {
    const mean = r.reduce((a, v) => a + v, 0) / n;
    const variance = r.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    const inv = 1 / Math.sqrt(variance + eps);
    r.forEach((v, i) => (out[k * n + i] = (v - mean) * inv * w[i] + b[i]));
  });
  return out;
}

export function crossEntropyRef(logits: Float32Array, targets: Uint32Array, V: number, ignoreIndex = 0xffffffff): Float32Array {
  return Float32Array.from(rowsOf(logits, V), (r, k) => {
    const t = targets[k];
    if (t === ignoreIndex >>> 0) return 0;
    const m = Math.max(...r);
    return m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0)) - r[t];
  });
}

export function topkRef(x: Float32Array, n: number, k: number): { values: Float32Array; indices: Uint32Array } {
  const values = new Float32Array((x.length / n) * k), indices = new Uint32Array((x.length / n) * k);
  rowsOf(x, n).forEach((r, row) => {
    const order = r.map((v, i) => i).sort((a, b) => r[b] - r[a] || a - b);
    for (let j = 0; j < k; j++) { values[row * k + j] = r[order[j]]; indices[row * k + j] = order[j]; }
  });
  return { values, indices };
}

export function embeddingRef(table: Float32Array, D: number, ids: Uint32Array): Float32Array {
  const V = table.length / D, out = new Float32Array(ids.length * D);
  ids.forEach((id, t) => { if (id < V) out.set(table.subarray(id * D, id * D + D), t * D); });
  return out;
}
