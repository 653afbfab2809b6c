/**
 * The packed 4-bit grouped weight layout the ONNX exporter turns into `com.microsoft.MatMulNBits`, and a
 * stand-in round-to-nearest quantizer that produces it from f32 weights.
 *
 * This is the interface the quantization issue (RTN/GPTQ/AWQ) is expected to feed: whatever method chose the
 * integers, it hands the exporter one `Packed4Weight` per linear layer. The layout is exactly MatMulNBits'
 * (onnxruntime contrib op, bits = 4), so the exporter copies the arrays into the graph unchanged:
 *
 * - W is the canonical `[out = N, in = K]` linear weight (torch `nn.Linear`). Each row is cut along K into
 *   `blocks = ceil(K / groupSize)` groups of `groupSize` consecutive input features (the last one padded).
 * - `q`: uint8 `[N, blocks, groupSize / 2]`; element k of a group sits in byte k >> 1, the even element in
 *   the low nibble, the odd one in the high nibble. Values 0..15. Padding elements are 0 (never multiplied).
 * - `scales`: float32 `[N, blocks]`.
 * - `zeroPoints`: uint8 `[N, ceil(blocks / 2)]`: the zero point of block b of row n in byte b >> 1 of the row,
 *   low nibble for even b. Values 0..15 (asymmetric quantization; symmetric = all 8).
 * - Dequantized weight: `W[n, k] = (q[n, k] - zero[n, k / groupSize]) * scale[n, k / groupSize]`.
 */

export interface Packed4Weight {
  /** output features (rows of the canonical [out, in] weight) */
  N: number;
  /** input features */
  K: number;
  /** a power of two ≥ 16 (MatMulNBits' block_size) */
  groupSize: number;
  q: Uint8Array;
  scales: Float32Array;
  zeroPoints: Uint8Array;
}

export function blocksOf(K: number, groupSize: number): number {
  return Math.ceil(K / groupSize);
}

/** Checks the arrays' lengths against N, K, groupSize; throws naming the field. */
export function checkPacked4(p: Packed4Weight, what = "packed weight"): void {
  const { N, K, groupSize } = p;
  if (!Number.isInteger(N) || !Number.isInteger(K) || N <= 0 || K <= 0) throw new Error(`${what}: N and K must be positive integers (got ${N}, ${K})`);
  if (!(groupSize >= 16 && (groupSize & (groupSize - 1)) === 0)) {
    throw new Error(`${what}: group size ${groupSize} is not supported; MatMulNBits needs a power of two ≥ 16 (e.g. 32, 64, 128)`);
  }
  const blocks = blocksOf(K, groupSize);
  const want = { q: N * blocks * (groupSize / 2), scales: N * blocks, zeroPoints: N * Math.ceil(blocks / 2) };
  for (const [k, n] of Object.entries(want)) {
    const got = (p as unknown as Record<string, ArrayLike<number>>)[k].length;
    if (got !== n) throw new Error(`${what}: ${k} has ${got} elements, expected ${n} for N=${N}, K=${K}, group ${groupSize}`);
  }
}

/**
 * Stand-in quantizer: asymmetric round-to-nearest per group (the GPTQ repository's `Quantizer` with
 * sym=False, 4 bits): the range [min(0, w), max(0, w)] of each group maps onto 0..15, so 0 is exactly
 * representable (a pruned weight stays 0). A group of zeros gets scale 1, zero point 0.
 */
export function quantizeRtn4(w: Float32Array, N: number, K: number, groupSize: number): Packed4Weight {
  if (w.length !== N * K) throw new Error(`quantizeRtn4: weight has ${w.length} elements, expected ${N}×${K}`);
  const blocks = blocksOf(K, groupSize);
  const half = groupSize / 2;
  const p: Packed4Weight = {
    N,
    K,
    groupSize,
    q: new Uint8Array(N * blocks * half),
    scales: new Float32Array(N * blocks),
    zeroPoints: new Uint8Array(N * Math.ceil(blocks / 2)),
  };
  checkPacked4(p, "quantizeRtn4");
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const k0 = b * groupSize;
      const k1 = Math.min(K, k0 + groupSize);
      let lo = 0;
      let hi = 0;
      for (let k = k0; k < k1; k++) {
        const v = w[n * K + k];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      let scale = Math.fround((hi - lo) / 15);
      let zero = 0;
      if (scale === 0) scale = 1;
      else zero = Math.min(15, Math.max(0, Math.round(-lo / scale)));
      p.scales[n * blocks + b] = scale;
      p.zeroPoints[n * Math.ceil(blocks / 2) + (b >> 1)] |= zero << ((b & 1) * 4);
      const base = (n * blocks + b) * half;
      for (let k = k0; k < k1; k++) {
        const v = Math.min(15, Math.max(0, Math.round(w[n * K + k] / scale) + zero));
        const i = k - k0;
        p.q[base + (i >> 1)] |= v << ((i & 1) * 4);
      }
    }
  }
  return p;
}

/** The f32 weight [N, K] the packed one stands for (what kick's forward runs for the cross-check). */
export function dequantize4(p: Packed4Weight): Float32Array {
  checkPacked4(p);
  const { N, K, groupSize } = p;
  const blocks = blocksOf(K, groupSize);
  const half = groupSize / 2;
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const scale = p.scales[n * blocks + b];
      const zero = (p.zeroPoints[n * Math.ceil(blocks / 2) + (b >> 1)] >> ((b & 1) * 4)) & 15;
      const base = (n * blocks + b) * half;
      for (let k = b * groupSize; k < Math.min(K, (b + 1) * groupSize); k++) {
        const i = k - b * groupSize;
        const q = (p.q[base + (i >> 1)] >> ((i & 1) * 4)) & 15;
        out[n * K + k] = Math.fround((q - zero) * scale);
      }
    }
  }
  return out;
}

/** Bytes the packed weight occupies in the ONNX file (q + scales + zero points). */
export function packed4Bytes(p: Packed4Weight): number {
  return p.q.byteLength + p.scales.byteLength + p.zeroPoints.byteLength;
}
