// Plain-TypeScript references (float64) for kernels/ops/prune.ts and kernels/ops/linalg.ts,
// written the way the official code states each method (sparsegpt@147d215, wanda@8e8fc87).
// Matrices are row-major Float64Array / Float32Array.

/** Lower Cholesky of an SPD n×n matrix (returns null when a pivot is not positive). */
export function choleskyRef(A: ArrayLike<number>, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]!;
    for (let k = 0; k < j; k++) d -= L[j * n + k]! ** 2;
    if (!(d > 0)) return null;
    const s = Math.sqrt(d);
    L[j * n + j] = s;
    for (let i = j + 1; i < n; i++) {
      let v = A[i * n + j]!;
      for (let k = 0; k < j; k++) v -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = v / s;
    }
  }
  return L;
}

/** SparseGPT's Hinv: upper Cholesky factor of (H with dead diagonals → 1 + damp·mean(diag)·I)⁻¹. */
export function hinvRef(H: ArrayLike<number>, n: number, percdamp: number): Float64Array {
  const A = Float64Array.from(H as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (A[i * n + i] === 0) A[i * n + i] = 1;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += A[i * n + i]!;
  mean /= n;
  for (let i = 0; i < n; i++) A[i * n + i] += percdamp * mean;
  const L = choleskyRef(A, n);
  if (!L) throw new Error("hinvRef: not positive definite");
  // H⁻¹ = L⁻ᵀ L⁻¹ (cholesky_inverse), then upper Cholesky U with UᵀU = H⁻¹
  const Li = new Float64Array(n * n);
  for (let c = 0; c < n; c++)
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= L[i * n + k]! * Li[k * n + c]!;
      Li[i * n + c] = s / L[i * n + i]!;
    }
  const Hi = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = Math.max(i, j); k < n; k++) s += Li[k * n + i]! * Li[k * n + j]!;
      Hi[i * n + j] = s;
    }
  const Lh = choleskyRef(Hi, n)!;
  const U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) U[i * n + j] = Lh[j * n + i]!;
  return U;
}

export interface NM {
  n: number;
  m: number;
}

/** Indices of the N smallest of v (ties → lower index). */
function nSmallest(v: number[], N: number): number[] {
  return v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, N).map((p) => p[1]);
}

/** sparsegpt.py fasterprune (no quantizer), float64. Returns the pruned W (f64). */
export function sparsegptRef(W0: ArrayLike<number>, H: ArrayLike<number>, rows: number, cols: number,
  o: { sparsity: number; nm?: NM; damping?: number; blockSize?: number }): Float64Array {
  const W = Float64Array.from(W0 as ArrayLike<number>);
  for (let c = 0; c < cols; c++) if (H[c * cols + c] === 0) for (let r = 0; r < rows; r++) W[r * cols + c] = 0;
  const Hinv = hinvRef(H, cols, o.damping ?? 0.01);
  const B = o.blockSize ?? 128;
  for (let i1 = 0; i1 < cols; i1 += B) {
    const i2 = Math.min(i1 + B, cols), bw = i2 - i1;
    const mask = new Uint8Array(rows * bw);
    if (!o.nm) {
      const t: number[] = [];
      for (let r = 0; r < rows; r++) for (let j = 0; j < bw; j++) t.push(W[r * cols + i1 + j]! ** 2 / Hinv[(i1 + j) * cols + i1 + j]! ** 2);
      const sorted = Float64Array.from(t).sort();
      const thresh = sorted[Math.floor(t.length * o.sparsity)]!;
      t.forEach((v, i) => (mask[i] = v <= thresh ? 1 : 0));
    }
    const Err = new Float64Array(rows * bw);
    for (let i = 0; i < bw; i++) {
      const d = Hinv[(i1 + i) * cols + i1 + i]!;
      for (let r = 0; r < rows; r++) {
        if (o.nm && i % o.nm.m === 0) {
          const t: number[] = [];
          for (let j = 0; j < o.nm.m; j++) t.push(W[r * cols + i1 + i + j]! ** 2 / Hinv[(i1 + i + j) * cols + i1 + i + j]! ** 2);
          for (const j of nSmallest(t, o.nm.n)) mask[r * bw + i + j] = 1;
        }
        const w = W[r * cols + i1 + i]!;
        const q = mask[r * bw + i] ? 0 : w;
        const err = (w - q) / d;
        for (let j = i; j < bw; j++) W[r * cols + i1 + j] -= err * Hinv[(i1 + i) * cols + i1 + j]!;
        W[r * cols + i1 + i] = q;
        Err[r * bw + i] = err;
      }
    }
    for (let r = 0; r < rows; r++)
      for (let c = i2; c < cols; c++) {
        let s = 0;
        for (let i = 0; i < bw; i++) s += Err[r * bw + i]! * Hinv[(i1 + i) * cols + c]!;
        W[r * cols + c] -= s;
      }
  }
  return W;
}

/** wanda prune_wanda: per-row stable sort of |W|·sqrt(colSq); N:M per group. */
export function wandaRef(W0: ArrayLike<number>, colSq: ArrayLike<number>, rows: number, cols: number, o: { sparsity: number; nm?: NM }): Float64Array {
  const W = Float64Array.from(W0 as ArrayLike<number>);
  const f = Math.fround;
  for (let r = 0; r < rows; r++) {
    const s = Array.from({ length: cols }, (_, c) => f(Math.abs(W[r * cols + c]!) * f(Math.sqrt(colSq[c]!))));
    const prune = o.nm
      ? Array.from({ length: cols / o.nm.m }, (_, g) => nSmallest(s.slice(g * o.nm!.m, (g + 1) * o.nm!.m), o.nm!.n).map((j) => g * o.nm!.m + j)).flat()
      : nSmallest(s, Math.floor(cols * o.sparsity));
    for (const c of prune) W[r * cols + c] = 0;
  }
  return W;
}

/** magnitude: whole-matrix threshold with <=, or N:M per row. */
export function magnitudeRef(W0: ArrayLike<number>, rows: number, cols: number, o: { sparsity: number; nm?: NM }): Float64Array {
  const W = Float64Array.from(W0 as ArrayLike<number>);
  if (o.nm) {
    for (let r = 0; r < rows; r++)
      for (let g = 0; g < cols / o.nm.m; g++) {
        const s = Array.from({ length: o.nm.m }, (_, j) => Math.abs(W[r * cols + g * o.nm!.m + j]!));
        for (const j of nSmallest(s, o.nm.n)) W[r * cols + g * o.nm.m + j] = 0;
      }
    return W;
  }
  if (o.sparsity === 0) return W;
  const a = Float64Array.from(W, Math.abs).sort();
  const thresh = a[Math.floor(a.length * o.sparsity)]!;
  for (let i = 0; i < W.length; i++) if (Math.abs(W[i]!) <= thresh) W[i] = 0;
  return W;
}

/** H = (2/N_seq) Σ x xᵀ over the tokens of all sequences (the running average's closed form). */
export function hessianRef(X: ArrayLike<number>, tokens: number, cols: number, nSeq: number): Float64Array {
  const H = new Float64Array(cols * cols);
  for (let t = 0; t < tokens; t++)
    for (let i = 0; i < cols; i++) {
      const xi = X[t * cols + i]!;
      if (xi === 0) continue;
      for (let j = 0; j < cols; j++) H[i * cols + j] += xi * X[t * cols + j]!;
    }
  for (let i = 0; i < H.length; i++) H[i] *= 2 / nSeq;
  return H;
}

/** Relative reconstruction error ‖WX − ŴX‖² / ‖WX‖² via H ∝ XXᵀ: tr(ΔW H ΔWᵀ) / tr(W H Wᵀ). */
export function reconErrorRef(W: ArrayLike<number>, Wh: ArrayLike<number>, H: ArrayLike<number>, rows: number, cols: number): number {
  let num = 0, den = 0;
  const d = new Float64Array(cols), w = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) { d[c] = W[r * cols + c]! - Wh[r * cols + c]!; w[c] = W[r * cols + c]!; }
    for (let i = 0; i < cols; i++) {
      let sd = 0, sw = 0;
      for (let j = 0; j < cols; j++) { sd += H[i * cols + j]! * d[j]!; sw += H[i * cols + j]! * w[j]!; }
      num += d[i]! * sd; den += w[i]! * sw;
    }
  }
  return num / den;
}
