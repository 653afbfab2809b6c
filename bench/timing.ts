// What the GPU benchmarks share: deterministic inputs, wall-clock + timestamp timing of recorded
// dispatches, and a sampled check of a matmul result against float64 dot products.
import { type GpuContext, type Tensor } from "../kernels/index.js";

/** Uniform values in [-0.1, 0.1) from a linear congruential generator (reproducible across runs). */
export function rand(n: number, seed = 12345): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; a[i] = (s / 4294967296 - 0.5) * 0.2; }
  return a;
}

/** Mean wall time per call of `record` over `iters` calls submitted together, after a warm-up. */
export async function time(ctx: GpuContext, record: () => void, iters: number): Promise<{ ms: number; ts: number | null }> {
  record();
  await ctx.sync();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) record();
  await ctx.sync();
  const ms = (performance.now() - t0) / iters;
  const ts = await ctx.gpuTimeMs(() => { for (let i = 0; i < iters; i++) record(); });
  return { ms, ts: ts === null ? null : ts / iters };
}

/** Largest relative error of 64 sampled entries of C against float64 dot products. */
export async function spotCheck(ctx: GpuContext, C: Tensor, a: Float32Array, b: Float32Array, c: { M: number; N: number; K: number; transB: boolean }, round = (x: number) => x): Promise<number> {
  const got = await ctx.readF32(C);
  let worst = 0;
  for (let s = 0; s < 64; s++) {
    const i = (s * 7919) % c.M, j = (s * 104729 + 13) % c.N;
    let want = 0, mag = 0;
    for (let k = 0; k < c.K; k++) {
      const p = round(a[i * c.K + k]) * round(c.transB ? b[j * c.K + k] : b[k * c.N + j]);
      want += p; mag += Math.abs(p);
    }
    worst = Math.max(worst, Math.abs(got[i * c.N + j] - want) / (mag + 1e-30));
  }
  return worst;
}

/** The four matmul shapes of the GPU benchmarks: 4096³ and the Llama-7B linears at 2048 tokens. */
export const LLM_MATMULS = [
  { name: "4096^3", M: 4096, N: 4096, K: 4096, transB: false },
  { name: "2048x4096 . W[4096,4096]", M: 2048, N: 4096, K: 4096, transB: true },
  { name: "2048x4096 . W[11008,4096]", M: 2048, N: 11008, K: 4096, transB: true },
  { name: "2048x11008 . W[4096,11008]", M: 2048, N: 4096, K: 11008, transB: true },
];
