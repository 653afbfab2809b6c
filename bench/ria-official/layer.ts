// The fixed layer of the RIA check against the official code (scripts/gpu-host/ria_official_check.py):
// a 64×128 weight and 8 calibration sequences of 32 tokens, seeded, with a few loud input features
// (as LLM activations have) so the activation factor of the score matters. kick's masks on it are
// compared with the official code's masks committed beside this file (test/compress/ria.test.ts).
import { mulberry32 } from "../../loaders/util/random.js";

export const RIA_LAYER = { rows: 64, cols: 128, nSeq: 8, seqLen: 32 } as const;
/** The cases the check runs: name → sparsity (unstructured) or N:M pattern. */
export const RIA_CASES = [
  { name: "unstructured-0.5", sparsity: 0.5 },
  { name: "unstructured-0.7", sparsity: 0.7 },
  { name: "2:4", sparsity: 0.5, nm: { n: 2, m: 4 } },
  { name: "4:8", sparsity: 0.5, nm: { n: 4, m: 8 } },
] as const;

/** W [rows, cols] and X [nSeq·seqLen, cols], f32. */
export function riaLayer(): { W: Float32Array; X: Float32Array } {
  const { rows, cols, nSeq, seqLen } = RIA_LAYER;
  const rnd = mulberry32(2024);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const W = Float32Array.from({ length: rows * cols }, gauss);
  const loud = Float32Array.from({ length: cols }, (_, c) => (c % 17 === 3 ? 8 : 0.5 + rnd()));
  const X = Float32Array.from({ length: nSeq * seqLen * cols }, (_, i) => gauss() * loud[i % cols]!);
  return { W, X };
}
