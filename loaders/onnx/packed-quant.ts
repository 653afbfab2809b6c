// kick's packed quantized weights (loaders/compress/quant.ts) as the ONNX exporter's 4-bit
// `Packed4Weight` (MatMulNBits): here, so that compression never imports an export format.
import { QuantizationError, type PackedQuantWeight } from "../compress/quant.js";
import { blocksOf, checkPacked4, type Packed4Weight } from "./packed4.js";

/**
 * Converts a 4-bit weight to the ONNX exporter's `Packed4Weight` (MatMulNBits). Needs consecutive
 * groups (no act-order g_idx) and a group size that is a power of two ≥ 16 (per row: K itself).
 */
export function toPacked4(p: PackedQuantWeight, layer = "layer"): Packed4Weight {
  if (p.bits !== 4) throw new QuantizationError(`${layer}: Packed4Weight holds 4-bit weights (got ${p.bits} bits)`);
  const G = p.groupSize === -1 ? p.K : p.groupSize;
  for (let k = 0; k < p.K; k++)
    if (p.gIdx[k] !== Math.floor(k / G)) throw new QuantizationError(`${layer}: act-order groups (g_idx) cannot be stored as MatMulNBits blocks; quantize with staticGroups or without actOrder`);
  if (!(G >= 16 && (G & (G - 1)) === 0)) throw new QuantizationError(`${layer}: group size ${G} is not a power of two ≥ 16 (MatMulNBits block_size)`);
  const blocks = blocksOf(p.K, G);
  const out: Packed4Weight = { N: p.N, K: p.K, groupSize: G, q: new Uint8Array(p.N * blocks * (G / 2)), scales: Float32Array.from(p.scales), zeroPoints: new Uint8Array(p.N * Math.ceil(blocks / 2)) };
  // K % G == 0 here, so the row's nibble stream is exactly [blocks, G/2] bytes
  out.q.set(p.q);
  for (let n = 0; n < p.N; n++)
    for (let b = 0; b < blocks; b++) {
      const z = p.zeros[n * blocks + b]!;
      out.zeroPoints[n * Math.ceil(blocks / 2) + (b >> 1)] |= (b & 1) ? z << 4 : z;
    }
  checkPacked4(out, layer);
  return out;
}
