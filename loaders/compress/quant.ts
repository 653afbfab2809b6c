// Packed integer weights for quantized layers (RTN / GPTQ / joint SparseGPT+quant), the layout the
// browser export reads (the ONNX exporter converts it to MatMulNBits: loaders/onnx/packed-quant.ts).
//
// PackedQuantWeight (any bits in 2, 3, 4, 8), for a canonical [out = N, in = K] linear weight:
// - `q`: uint8, N rows of ceil(K·bits/8) bytes; the level of column k sits at bit offset k·bits of
//   its row, least significant bit first (4-bit: even k in the low nibble, as MatMulNBits).
// - `scales`: float32 [N, groups]; `zeros`: uint8 [N, groups] (integer zero points 0..2^bits−1;
//   symmetric = 2^(bits−1)); groups = 1 (per row, groupSize −1) or K / groupSize.
// - `gIdx`: int32 [K], the group of each input column (k / groupSize unless GPTQ act-order without
//   static groups permuted the group membership; then inference needs g_idx).
// - Dequantized weight: W[n, k] = scales[n, g] · (level[n, k] − zeros[n, g]), g = gIdx[k].

export interface PackedQuantWeight {
  bits: number;
  N: number;
  K: number;
  /** −1 = one group per row */
  groupSize: number;
  q: Uint8Array;
  scales: Float32Array;
  zeros: Uint8Array;
  gIdx: Int32Array;
}

export class QuantizationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QuantizationError";
  }
}

export const rowBytes = (K: number, bits: number) => Math.ceil((K * bits) / 8);
export const groupsOf = (K: number, groupSize: number) => (groupSize === -1 ? 1 : K / groupSize);

/**
 * Packs levels (u32 [N, K]) and params (f32 [groups, N, 2] = scale, zero per group slot and row, as
 * the kernels return them) into the layout above. Throws naming the layer on a scale that is not
 * finite and positive or a zero point outside 0..maxq.
 */
export function packQuantized(levels: ArrayLike<number>, params: ArrayLike<number>, gIdx: Int32Array, N: number, K: number, bits: number, groupSize: number, layer = "layer"): PackedQuantWeight {
  const maxq = 2 ** bits - 1, ng = groupsOf(K, groupSize), rb = rowBytes(K, bits);
  if (levels.length !== N * K) throw new QuantizationError(`${layer}: ${levels.length} levels, expected ${N}×${K}`);
  if (params.length !== ng * N * 2) throw new QuantizationError(`${layer}: ${params.length / 2} quantizer params, expected ${ng} groups × ${N} rows`);
  const p: PackedQuantWeight = { bits, N, K, groupSize, q: new Uint8Array(N * rb), scales: new Float32Array(N * ng), zeros: new Uint8Array(N * ng), gIdx: Int32Array.from(gIdx) };
  for (let g = 0; g < ng; g++)
    for (let n = 0; n < N; n++) {
      const s = params[(g * N + n) * 2]!, z = params[(g * N + n) * 2 + 1]!;
      if (!Number.isFinite(s) || !(s > 0)) throw new QuantizationError(`${layer}: scale ${s} of row ${n}, group ${g} is not finite and positive (NaN/Inf weights?)`);
      if (!(Number.isInteger(z) && z >= 0 && z <= maxq)) throw new QuantizationError(`${layer}: zero point ${z} of row ${n}, group ${g} is outside 0..${maxq} for ${bits} bits`);
      p.scales[n * ng + g] = s;
      p.zeros[n * ng + g] = z;
    }
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      const v = levels[n * K + k]!;
      if (!(v >= 0 && v <= maxq)) throw new QuantizationError(`${layer}: level ${v} at [${n}, ${k}] outside 0..${maxq}`);
      let bit = k * bits;
      for (let b = 0; b < bits; b++, bit++) if ((v >> b) & 1) p.q[n * rb + (bit >> 3)] |= 1 << (bit & 7);
    }
  return p;
}

/** The level of [n, k]. */
export function levelAt(p: PackedQuantWeight, n: number, k: number): number {
  const rb = rowBytes(p.K, p.bits);
  let v = 0, bit = k * p.bits;
  for (let b = 0; b < p.bits; b++, bit++) v |= ((p.q[n * rb + (bit >> 3)]! >> (bit & 7)) & 1) << b;
  return v;
}

/** Dequantized f32 weight [N, K]. */
export function dequantizePacked(p: PackedQuantWeight): Float32Array {
  const ng = groupsOf(p.K, p.groupSize), W = new Float32Array(p.N * p.K);
  for (let n = 0; n < p.N; n++)
    for (let k = 0; k < p.K; k++) {
      const g = p.gIdx[k]!;
      W[n * p.K + k] = Math.fround(p.scales[n * ng + g]! * (levelAt(p, n, k) - p.zeros[n * ng + g]!));
    }
  return W;
}

/**
 * Storage bits per weight including scales and zero points, for a layout storing `scaleBits`-bit
 * scales and `zeroBits`-bit zero points per group (this layout: f32 scales, 8-bit zeros; MatMulNBits:
 * f32 scales, 4-bit zeros; the GPTQ checkpoint convention: f16 scales, bits-bit zeros). g_idx not counted.
 */
export function bitsPerWeight(bits: number, K: number, groupSize: number, scaleBits = 32, zeroBits = 8): number {
  return bits + (groupsOf(K, groupSize) * (scaleBits + zeroBits)) / K;
}
