// npm run bench:compress — kick's pruning kernels vs the official PyTorch code on the same GPU.
//   node .gpu-kit/bench-compress.mjs DIR     DIR from `test/reference/sparsegpt_prune_fixtures.py bench DIR`
//                                            (H_*.bin, W_*.bin, S_*.bin, P_*.bin, torch.json)
//   npx tsx bench/compress.ts --small        synthetic small layers, no PyTorch (lavapipe smoke run)
// Prints one table row per layer: SparseGPT per-layer solve (Hessian given), Wanda, Hessian
// accumulation vs kick's matmul, plus mask agreement and relative reconstruction error vs torch.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  createContext, matmul, type GpuContext, type Tensor, hessianInverseFactor, hessianAccumulate,
  sparsegptPrune, wandaPrune,
} from "../kernels/index.js";
import { normalSampler, readF32File } from "./bench-data.js";

const args = process.argv.slice(2);
const small = args.includes("--small");
const dir = args.find((a) => !a.startsWith("--"));
const outJson = args[args.indexOf("--out") + 1] && args.includes("--out") ? args[args.indexOf("--out") + 1]! : null;
const shapes: Array<[number, number]> = small ? [[256, 256], [512, 256], [256, 384]] : [[4096, 4096], [11008, 4096], [4096, 11008]];

const randn = normalSampler(7);

async function timeMs(ctx: GpuContext, fn: () => Promise<unknown> | unknown, reps = 3, setup?: () => void): Promise<number> {
  let best = Infinity;
  for (let r = 0; r <= reps; r++) {
    setup?.();
    await ctx.sync();
    const t = performance.now();
    await fn();
    await ctx.sync();
    const ms = performance.now() - t;
    if (r > 0) best = Math.min(best, ms); // r = 0 warms up (pipelines compiled)
  }
  return best;
}

/** tr(ΔW H ΔWᵀ) / tr(W H Wᵀ) over the first `rows` rows (GPU matmul). */
async function relErr(ctx: GpuContext, W: Float32Array, Wp: Float32Array, H: Tensor, cols: number, rows: number): Promise<number> {
  const D = new Float32Array(rows * cols);
  for (let i = 0; i < D.length; i++) D[i] = W[i]! - Wp[i]!;
  const quad = async (M: Float32Array) => {
    const t = ctx.upload(M, [rows, cols]);
    const mh = await ctx.readF32(matmul(ctx, t, H));
    t.release();
    let s = 0;
    for (let i = 0; i < M.length; i++) s += M[i]! * mh[i]!;
    return s;
  };
  return (await quad(D)) / (await quad(W.subarray(0, rows * cols)));
}

const ctx = await createContext();
console.error(`[bench:compress] adapter: ${ctx.adapterDescription}`);
const torch = dir && existsSync(join(dir, "torch.json")) ? JSON.parse(readFileSync(join(dir, "torch.json"), "utf8")) : null;
const rowsOut: Record<string, unknown>[] = [];
for (const [rows, cols] of shapes) {
  const tl = torch?.layers.find((l: { rows: number; cols: number }) => l.rows === rows && l.cols === cols);
  let Hd: Float32Array, Wd: Float32Array, Sd: Float32Array;
  if (dir && !small) {
    Hd = readF32File(join(dir, `H_${cols}.bin`)); Wd = readF32File(join(dir, `W_${rows}x${cols}.bin`)); Sd = readF32File(join(dir, `S_${cols}.bin`));
  } else {
    const T = 2 * cols, X = randn(T * cols);
    const Ht = ctx.zeros([cols, cols]);
    hessianAccumulate(ctx, Ht, ctx.upload(X, [T, cols]), 0, 1);
    Hd = await ctx.readF32(Ht); Ht.release();
    Wd = randn(rows * cols).map((v) => v * 0.02);
    Sd = Float32Array.from({ length: cols }, (_, c) => Hd[c * cols + c]! / 2);
  }
  const H = ctx.upload(Hd, [cols, cols]);
  let W: Tensor | null = null;
  const fresh = () => { W?.release(); W = ctx.upload(Wd, [rows, cols]); };
  const hinvMs = await timeMs(ctx, async () => (await hessianInverseFactor(ctx, H, 0.01, "bench")).hinv.release(), 4);
  const sgptMs = await timeMs(ctx, () => sparsegptPrune(ctx, W!, H, { sparsity: 0.5 }), 4, fresh);
  const Wp = await ctx.readF32(W!);
  const sgpt24Ms = await timeMs(ctx, () => sparsegptPrune(ctx, W!, H, { sparsity: 0.5, nm: { n: 2, m: 4 } }), 2, fresh);
  const S = ctx.upload(Sd, [cols]);
  const wandaMs = await timeMs(ctx, () => wandaPrune(ctx, W!, S, { sparsity: 0.5 }), 5, fresh);
  const row: Record<string, unknown> = { rows, cols, hinvMs, sparsegptMs: sgptMs, sparsegpt24Ms: sgpt24Ms, wandaMs };
  let zeros = 0;
  for (const v of Wp) if (v === 0) zeros++;
  row.sparsity = zeros / Wp.length;
  const nErr = Math.min(rows, 512);
  row.relErr = await relErr(ctx, Wd, Wp, H, cols, nErr);
  if (tl && dir) {
    const P = readF32File(join(dir, `P_${rows}x${cols}.bin`));
    let same = 0;
    for (let i = 0; i < P.length; i++) if ((P[i] === 0) === (Wp[i] === 0)) same++;
    row.maskAgree = same / P.length;
    row.torchRelErr = await relErr(ctx, Wd, P, H, cols, nErr);
    row.torchSparsegptMs = tl.sparsegptMs; row.torchSparsegpt24Ms = tl.sparsegpt24Ms; row.torchWandaMs = tl.wandaMs;
    row.ratioSparsegpt = sgptMs / tl.sparsegptMs; row.ratio24 = sgpt24Ms / tl.sparsegpt24Ms; row.ratioWanda = wandaMs / tl.wandaMs;
  }
  if (rows === cols) {
    const T = small ? 256 : 2048;
    const X = ctx.upload(randn(T * cols), [T, cols]), A = ctx.upload(randn(cols * T), [cols, T]);
    const Hacc = ctx.zeros([cols, cols]);
    // GPU timestamps over 10 back-to-back calls: a single call is a few ms, near the cost of a sync
    const gpuMs = async (record: () => void) => {
      await timeMs(ctx, record, 1); // warm-up (pipelines compiled)
      const ms = await ctx.gpuTimeMs(() => { for (let i = 0; i < 10; i++) record(); });
      return ms === null ? await timeMs(ctx, record, 5) : ms / 10;
    };
    const hessMs = await gpuMs(() => { hessianAccumulate(ctx, Hacc, X, 1, 1); });
    const mmMs = await gpuMs(() => matmul(ctx, A, X).release());
    Object.assign(row, { hessianMs: hessMs, matmulMs: mmMs, hessianVsMatmul: mmMs / hessMs, hessianTflops: (2 * T * cols * cols) / hessMs / 1e9 });
    if (tl) Object.assign(row, { torchHessianMs: tl.hessianMs, torchMatmulMs: tl.matmulMs });
    X.release(); A.release(); Hacc.release();
  }
  (W as Tensor | null)?.release(); H.release(); S.release();
  ctx.trimPool();
  rowsOut.push(row);
  console.log(JSON.stringify(row));
}
const f = (v: unknown, d = 1) => (typeof v === "number" ? v.toFixed(d) : "—");
console.log(`\n## bench:compress on ${ctx.adapterDescription}${torch ? ` vs torch ${torch.torch} on ${torch.device}` : ""}`);
console.log("| layer (out×in) | SparseGPT kick ms | torch ms | ratio | 2:4 kick | 2:4 torch | ratio | Hinv ms | Wanda kick | Wanda torch | ratio | mask agree | rel err kick / torch | Hessian vs matmul |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rowsOut)
  console.log(`| ${r.rows}×${r.cols} | ${f(r.sparsegptMs)} | ${f(r.torchSparsegptMs)} | ${f(r.ratioSparsegpt, 3)} | ${f(r.sparsegpt24Ms)} | ${f(r.torchSparsegpt24Ms)} | ${f(r.ratio24, 3)} | ${f(r.hinvMs)} | ${f(r.wandaMs, 2)} | ${f(r.torchWandaMs, 2)} | ${f(r.ratioWanda, 2)} | ${f(r.maskAgree, 4)} | ${f(r.relErr, 5)} / ${f(r.torchRelErr, 5)} | ${r.hessianVsMatmul === undefined ? "—" : `${f(r.hessianVsMatmul, 2)} (${f(r.hessianMs, 2)} vs ${f(r.matmulMs, 2)} ms)`} |`);
if (outJson) writeFileSync(outJson, JSON.stringify({ adapter: ctx.adapterDescription, torch, rows: rowsOut }, null, 1));
await ctx.destroy();
