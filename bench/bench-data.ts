// Inputs shared by the compression benchmarks: raw f32 files written by the PyTorch side, and a
// seeded normal sampler for the synthetic (--small, lavapipe) layers.
import { readFileSync } from "node:fs";

export const readF32File = (p: string) => { const b = readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };

/** n standard normal values per call (Box–Muller over a 32-bit LCG), the stream fixed by `seed`. */
export function normalSampler(seed: number): (n: number) => Float32Array {
  let s = seed >>> 0;
  const next = () => (s = (s * 1664525 + 1013904223) >>> 0);
  return (n) => Float32Array.from({ length: n }, () => {
    const u = (next() + 1) / 4294967297;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * next()) / 4294967296);
  });
}
