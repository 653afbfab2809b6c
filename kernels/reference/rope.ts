// Rotary embedding references: inverse frequencies with Llama-3 or linear scaling, cos/sin
// tables in float64, and the rotation itself (Hugging Face rotate_half convention).
export type RopeScaling =
  | { type: "linear"; factor: number }
  | { type: "llama3"; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

export interface RopeConfig {
  headDim: number;
  maxPositions: number;
  theta?: number; // default 10000
  scaling?: RopeScaling;
}

/** inv_freq[i] = θ^(-2i/D), then scaled as transformers' _compute_llama3_parameters / linear. */
export function ropeInvFreq(cfg: RopeConfig): Float64Array {
  const half = cfg.headDim / 2, theta = cfg.theta ?? 10000;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / cfg.headDim);
  const sc = cfg.scaling;
  if (sc?.type === "linear") for (let i = 0; i < half; i++) inv[i] /= sc.factor;
  if (sc?.type === "llama3") {
    const lowWavelen = sc.originalMaxPositions / sc.lowFreqFactor;
    const highWavelen = sc.originalMaxPositions / sc.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen) inv[i] = inv[i] / sc.factor;
      else if (wavelen >= highWavelen) {
        const smooth = (sc.originalMaxPositions / wavelen - sc.lowFreqFactor) / (sc.highFreqFactor - sc.lowFreqFactor);
        inv[i] = (1 - smooth) * (inv[i] / sc.factor) + smooth * inv[i];
      }
    }
  }
  return inv;
}

export function ropeTablesRef(cfg: RopeConfig): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInvFreq(cfg), half = cfg.headDim / 2;
  const cos = new Float32Array(cfg.maxPositions * half), sin = new Float32Array(cfg.maxPositions * half);
  for (let p = 0; p < cfg.maxPositions; p++)
    for (let i = 0; i < half; i++) {
      cos[p * half + i] = Math.cos(p * inv[i]);
      sin[p * half + i] = Math.sin(p * inv[i]);
    }
  return { cos, sin };
}

/** x [B, T, H, D]; positions [B·T] (default t). Angles computed directly in float64. */
export function ropeRef(x: Float32Array, B: number, T: number, H: number, D: number, cfg: RopeConfig, positions?: Uint32Array, offset = 0): Float32Array {
  const inv = ropeInvFreq(cfg), half = D / 2, out = new Float32Array(x.length);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const pos = positions ? positions[b * T + t] : offset + t;
      for (let h = 0; h < H; h++) {
        const o = ((b * T + t) * H + h) * D;
        for (let i = 0; i < half; i++) {
          const a = pos * inv[i], c = Math.cos(a), s = Math.sin(a);
          out[o + i] = x[o + i] * c - x[o + i + half] * s;
          out[o + i + half] = x[o + i + half] * c + x[o + i] * s;
        }
      }
    }
  return out;
}
