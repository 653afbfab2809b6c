// Plain-TypeScript twin of kernels/ops/ria.ts (RIA as prune_ria states it, in f32 as torch computes it).
import type { NM } from "./prune.js";

/** score[r, c] = (|W|/Σ_r|W| + |W|/Σ_c|W|) · sqrt(colSq[c])^a; empty lines and silent inputs score 0. */
export function riaScoresRef(W: ArrayLike<number>, colSq: ArrayLike<number>, rows: number, cols: number, a: number): Float32Array {
  const f = Math.fround;
  const colSum = new Float64Array(cols), rowSum = new Float64Array(rows);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const w = Math.abs(W[r * cols + c]!);
      colSum[c] += w;
      rowSum[r] += w;
    }
  const T = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const w = f(Math.abs(W[r * cols + c]!)), cs = f(colSum[c]!), rs = f(rowSum[r]!);
      const rel = f((cs > 0 ? f(w / cs) : 0) + (rs > 0 ? f(w / rs) : 0));
      const x = f(Math.sqrt(colSq[c]!));
      const act = a === 0 ? 1 : x > 0 ? f(x ** a) : 0;
      T[r * cols + c] = f(rel * act);
    }
  return T;
}

/** The boolean mask (1 = pruned) of RIA: whole-layer threshold with <= (unstructured) or N smallest of each M per row. */
export function riaMaskRef(T: Float32Array, rows: number, cols: number, o: { sparsity: number; nm?: NM }): Uint8Array {
  const mask = new Uint8Array(rows * cols);
  if (o.nm) {
    const { n, m } = o.nm;
    for (let g = 0; g < (rows * cols) / m; g++) {
      const idx = Array.from({ length: m }, (_, j) => g * m + j).sort((p, q) => T[p]! - T[q]! || p - q);
      for (const i of idx.slice(0, n)) mask[i] = 1;
    }
    return mask;
  }
  if (o.sparsity === 0) return mask;
  const thresh = Float32Array.from(T).sort()[Math.floor(T.length * o.sparsity)]!;
  for (let i = 0; i < T.length; i++) if (T[i]! <= thresh) mask[i] = 1;
  return mask;
}
