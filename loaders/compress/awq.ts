// AWQ building blocks on top of kernels/ops/quant_awq.ts (mit-han-lab/llm-awq@d6e797a): token
// sampling for the clip search, folding the searched scales into the preceding op (apply_scale), and
// the names AWQ skips for clipping. The model-level driver (per-block input caching, the q/k/v and
// gate/up groups whose loss is measured on the attention / MLP block output, FP propagation) is
// awq-driver.ts.

/** auto_clip.py skips these (query/key projections) for clipping. */
export const isClipSkipped = (name: string) => ["q_", "k_", "query", "key", "Wqkv", ".q.", ".k."].some((s) => name.includes(s));

/** input_feat[0::n_tok // n] (stride at least 1): the tokens the clip search measures on. */
export function sampleClipTokens(X: Float32Array, T: number, cols: number, n = 512): { X: Float32Array; T: number } {
  const step = Math.max(1, Math.floor(T / n));
  const idx: number[] = [];
  for (let t = 0; t < T; t += step) idx.push(t);
  const out = new Float32Array(idx.length * cols);
  idx.forEach((t, i) => out.set(X.subarray(t * cols, (t + 1) * cols), i * cols));
  return { X: out, T: idx.length };
}

/** apply_scale into a norm: weight /= s (and bias /= s). */
export function foldIntoNorm(weight: Float32Array, s: ArrayLike<number>, bias?: Float32Array): void {
  if (weight.length !== s.length) throw new Error(`AWQ fold: norm width ${weight.length} ≠ ${s.length} scales`);
  for (let i = 0; i < s.length; i++) { weight[i] /= s[i]!; if (bias) bias[i] /= s[i]!; }
}

/** apply_scale into the previous linear (its last s.length output rows): W[r, :] /= s[r] (and bias). */
export function foldIntoPrevLinear(W: Float32Array, rows: number, cols: number, s: ArrayLike<number>, bias?: Float32Array): void {
  const r0 = rows - s.length;
  if (r0 < 0) throw new Error(`AWQ fold: previous linear has ${rows} outputs < ${s.length} scales`);
  for (let i = 0; i < s.length; i++) {
    for (let c = 0; c < cols; c++) W[(r0 + i) * cols + c] /= s[i]!;
    if (bias) bias[r0 + i] /= s[i]!;
  }
}

/** The scaled linear: W[:, j] *= s[j]. */
export function scaleLinearInputs(W: Float32Array, rows: number, cols: number, s: ArrayLike<number>): void {
  if (cols !== s.length) throw new Error(`AWQ fold: linear width ${cols} ≠ ${s.length} scales`);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) W[r * cols + c] *= s[c]!;
}
