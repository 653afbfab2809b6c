// Where a GPTQ layer's time goes, on the GPU (timestamp queries): Hinv, then per phase summed over
// the blocks of one solve — find_params (grouped only), the fused in-block sweep, the lazy GEMM
// updates (one per block, and grouped per span as kernels/ops/prune.ts lazyBlocks does). Not a PyTorch comparison (that is bench/compress-gptq.ts); it says which kernel to work on.
//   node .gpu-kit/bench-gptq-phases.mjs [ROWSxCOLS ...]     default 11008x4096 4096x4096 4096x11008
//   npx tsx bench/gptq-phases.ts 512x256                      lavapipe smoke run
import { performance } from "node:perf_hooks";
import {
  createContext, gemmUpdate, hessianInverseFactor, matView, hessianAccumulate, lazySpanBlocks, obsSolveWgsl,
  SOLVE_ROWS, findParams,
} from "../kernels/index.js";
import { grid1d, params } from "../kernels/ops/common.js";
import { normalSampler } from "./bench-data.js";

const shapes = (process.argv.slice(2).length ? process.argv.slice(2) : ["11008x4096", "4096x4096", "4096x11008"]).map((s) => s.split("x").map(Number) as [number, number]);
const randn = normalSampler(3);

const ctx = await createContext();
console.error(`[gptq-phases] ${ctx.adapterDescription}`);
const B = 128;
for (const [rows, cols] of shapes) {
  const H = ctx.zeros([cols, cols]), X = ctx.upload(randn(2 * cols * cols), [2 * cols, cols]);
  hessianAccumulate(ctx, H, X, 0, 1);
  X.release();
  let hinvMs = Infinity;
  for (let r = 0; r < 4; r++) {
    await ctx.sync();
    const t = performance.now();
    const h = await hessianInverseFactor(ctx, H, 0.01, "phases");
    await ctx.sync();
    if (r) hinvMs = Math.min(hinvMs, performance.now() - t);
    h.hinv.release();
  }
  const { hinv } = await hessianInverseFactor(ctx, H, 0.01, "phases");
  const W = ctx.upload(randn(rows * cols).map((v) => v * 0.02), [rows, cols]);
  const ng = cols / B;
  const PR = ctx.zeros([ng, rows, 2]), LV = ctx.zeros([rows, cols], "u32"), E = ctx.zeros([rows, B]), T = ctx.zeros([rows * B]);
  const state = ctx.zeros([2], "u32");
  const row: Record<string, number | string> = { shape: `${rows}x${cols}`, hinvMs };
  for (const grouped of [false, true]) {
    const slot = ctx.upload(Uint32Array.from({ length: cols }, (_, c) => (grouped ? Math.floor(c / B) : 0)), [cols], "u32");
    if (!grouped) findParams(ctx, W, PR, { rows, cols, c0: 0, G: cols, ngroups: 1, slot0: 0, bits: 4, sym: false });
    const solve = ctx.pipeline(`obs:solve:${B}:false:false:true:${grouped}`, () => obsSolveWgsl(B, { threshold: false, quantize: true, grouped }), { layout: "declared" });
    const time = async (what: (i1: number) => void) => {
      let best = Infinity;
      for (let r = 0; r < 3; r++) best = Math.min(best, (await ctx.gpuTimeMs(() => { for (let i1 = 0; i1 < cols; i1 += B) what(i1); })) ?? NaN);
      return best;
    };
    const tag = grouped ? "slotPerColumn" : "slotPerBlock"; // G < block or static act-order groups : per row or G a multiple of the block
    if (grouped) row.findParamsMs = await time((i1) => findParams(ctx, W, PR, { rows, cols, c0: i1, G: B, ngroups: 1, slot0: i1 / B, bits: 4, sym: false }));
    row[`solve_${tag}Ms`] = await time((i1) => ctx.dispatch({ pipeline: solve, bindings: [W, hinv, T, state, E, PR, slot, LV], uniforms: params([rows, cols, i1, B, B, 0, { f: 15 }]), workgroups: grid1d(ctx, Math.ceil(rows / SOLVE_ROWS)) }));
    slot.release();
  }
  // the lazy updates: one GEMM per block (K = 128, the official order) against lazyBlocks' grouping
  const span = B * lazySpanBlocks(ctx), Es = ctx.zeros([rows, span]);
  const gemms = async (grouped: boolean) => {
    let best = Infinity;
    for (let r = 0; r < 3; r++) best = Math.min(best, (await ctx.gpuTimeMs(() => {
      if (!grouped) for (let i1 = 0; i1 + B < cols; i1 += B) gemmUpdate(ctx, rows, cols - i1 - B, B, matView(E, 0, B), matView(hinv, i1 * cols + i1 + B, cols), matView(W, i1 + B, cols), { alpha: -1, beta: 1 });
      else for (let s1 = 0; s1 < cols; s1 += span) {
        const s2 = Math.min(s1 + span, cols);
        for (let i1 = s1; i1 + B < s2; i1 += B) gemmUpdate(ctx, rows, s2 - i1 - B, B, matView(Es, i1 - s1, span), matView(hinv, i1 * cols + i1 + B, cols), matView(W, i1 + B, cols), { alpha: -1, beta: 1 });
        if (s2 < cols) gemmUpdate(ctx, rows, cols - s2, s2 - s1, matView(Es, 0, span), matView(hinv, s1 * cols + s2, cols), matView(W, s2, cols), { alpha: -1, beta: 1 });
      }
    })) ?? NaN);
    return best;
  };
  row.gemmPerBlockMs = await gemms(false);
  row.gemmLazySpanMs = await gemms(true);
  Es.release();
  console.log(JSON.stringify(row));
  [H, hinv, W, PR, LV, E, T, state].forEach((t) => t.release());
  ctx.trimPool();
}
await ctx.destroy();
