// OWL (luuyin/OWL@dddb7a4 lib/prune_all.py prune_wanda_outlier): layer-wise sparsity from the
// share of outlier Wanda scores per decoder layer.

/** D = 100 · mean(S > M · mean(S)) over the concatenated Wanda scores S of one layer (check_outlier_mean). */
export function outlierRatio(scores: Float32Array[], M: number): number {
  let sum = 0, n = 0;
  for (const s of scores) for (let i = 0; i < s.length; i++) { sum += s[i]!; n++; }
  const thresh = Math.fround((sum / n) * M);
  let count = 0;
  for (const s of scores) for (let i = 0; i < s.length; i++) if (s[i]! > thresh) count++;
  return (count / n) * 100;
}

/**
 * Per-layer sparsities: r = (D − min D)/(max D − min D)·2λ; r ← r − mean(r) + (1 − s); s_l = 1 − r_l,
 * and 0.01 where that is ≤ 0 (the official code). When every D is equal the official code divides
 * by zero; here every layer then gets s.
 */
export function owlSparsities(D: number[], sparsity: number, lambda: number): number[] {
  const min = Math.min(...D), max = Math.max(...D);
  if (!(max > min)) return D.map(() => sparsity);
  const r = D.map((d) => ((d - min) * (1 / (max - min))) * lambda * 2);
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  return r.map((v) => {
    const s = 1 - (v - mean + (1 - sparsity));
    return s <= 0 ? 0.01 : s;
  });
}

/** Wanda score |W|·sqrt(scaler) of one linear (f32 as torch). */
export function wandaScores(W: Float32Array, scaler: Float32Array): Float32Array {
  const cols = scaler.length, out = new Float32Array(W.length);
  const sq = Float32Array.from(scaler, Math.sqrt);
  for (let i = 0; i < W.length; i++) out[i] = Math.abs(W[i]!) * sq[i % cols]!;
  return out;
}
