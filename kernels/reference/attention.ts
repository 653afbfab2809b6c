// Reference attention: materialises every score row in float64 (fine for small test shapes).
// q [B,T,Hq,D], k/v [B,S,Hkv,D], keyMask [B,S] (1 = attend); query i sits at position S-T+i.
export function attentionRef(
  q: Float32Array, k: Float32Array, v: Float32Array,
  B: number, T: number, S: number, Hq: number, Hkv: number, D: number,
  opts: { causal?: boolean; keyMask?: Uint32Array; scale?: number; softcap?: number } = {},
): Float32Array {
  const causal = opts.causal ?? true, scale = opts.scale ?? 1 / Math.sqrt(D);
  const out = new Float32Array(B * T * Hq * D);
  const scores = new Float64Array(S);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++) {
      const hk = Math.floor(h / (Hq / Hkv));
      for (let i = 0; i < T; i++) {
        const qo = ((b * T + i) * Hq + h) * D;
        let mx = -Infinity;
        for (let s = 0; s < S; s++) {
          const allowed = (!causal || s <= S - T + i) && (!opts.keyMask || opts.keyMask[b * S + s] !== 0);
          if (!allowed) { scores[s] = -Infinity; continue; }
          const ko = ((b * S + s) * Hkv + hk) * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qo + d] * k[ko + d];
          scores[s] = opts.softcap ? opts.softcap * Math.tanh((dot * scale) / opts.softcap) : dot * scale;
          mx = Math.max(mx, scores[s]);
        }
        if (mx === -Infinity) continue; // every key masked: output zeros
        let sum = 0;
        for (let s = 0; s < S; s++) { scores[s] = scores[s] === -Infinity ? 0 : Math.exp(scores[s] - mx); sum += scores[s]; }
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let s = 0; s < S; s++) if (scores[s]) acc += scores[s] * v[((b * S + s) * Hkv + hk) * D + d];
          out[qo + d] = acc / sum;
        }
      }
    }
  return out;
}
