// Kernel benchmark: GFLOP/s of matmul and attention on LLM shapes (WebGPU side).
//   npx tsx bench/kernels.ts [--small] [--tiles 128x128x16/8x8,...] [--f16-tiles ...] [--out FILE.json] [--iters N]
// Where the adapter has shader-f16, the matmul shapes also run with f16 operands (kind "matmul-f16":
// the subgroup-matrix kernel with a tile sweep where the adapter has f16 subgroup matrices, else
// the tiled kernel reading f16).
// Writes a JSON record per case; bench/kernels_torch.py times PyTorch on the same shapes and
// prints the side-by-side table (see bench/run-gpu-host.sh).
import { writeFileSync } from "node:fs";
import {
  createContext, type GpuContext, matmul, chooseTile, parseTile, parseSgmatTile, GPU_SWEEP,
  canUseSubgroupMatrix, chooseSgmatTile, SGMAT_SWEEP, toF16, capabilitySummary, attention, type Tensor,
} from "../kernels/index.js";
import { sgmatKey, type SgmatTile } from "../kernels/ops/matmul_sgmat_wgsl.js";
import { f16Round } from "../kernels/reference/f16.js";
import { tileKey, type MatmulTile } from "../kernels/ops/matmul_wgsl.js";
import { LLM_MATMULS, rand, spotCheck, time } from "./timing.js";

interface Result { kind: string; name: string; shape: Record<string, number | boolean>; flop: number; ms: number; gflops: number; config: string; timestampMs?: number | null; defaultGflops?: number }

const args = process.argv.slice(2);
const flag = (n: string) => args.includes(n);
const opt = (n: string) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const small = flag("--small");
const outFile = opt("--out");

/** Max abs error of 12 sampled (query, head) output rows against a float64 causal reference. */
function attentionSpotCheck(o: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, T: number, H: number, D: number): number {
  let worst = 0;
  for (let s = 0; s < 12; s++) {
    const i = s === 0 ? 0 : s === 1 ? T - 1 : (s * 7919) % T, h = (s * 13) % H;
    const sc = new Float64Array(i + 1);
    let mx = -Infinity;
    for (let j = 0; j <= i; j++) {
      let d = 0;
      for (let e = 0; e < D; e++) d += q[(i * H + h) * D + e] * k[(j * H + h) * D + e];
      sc[j] = d / Math.sqrt(D);
      mx = Math.max(mx, sc[j]);
    }
    let sum = 0;
    for (let j = 0; j <= i; j++) { sc[j] = Math.exp(sc[j] - mx); sum += sc[j]; }
    for (let e = 0; e < D; e++) {
      let acc = 0;
      for (let j = 0; j <= i; j++) acc += sc[j] * v[(j * H + h) * D + e];
      worst = Math.max(worst, Math.abs(acc / sum - o[(i * H + h) * D + e]));
    }
  }
  return worst;
}

/** The f16 matmul on one shape: the operands cast on the GPU, the best of a tile sweep (or the default tile). */
async function benchF16(ctx: GpuContext, c: { name: string; M: number; N: number; K: number; transB: boolean }, A: Tensor, B: Tensor, C: Tensor, aData: Float32Array, bData: Float32Array, iters: number): Promise<Result | undefined> {
  const sgmat = canUseSubgroupMatrix(ctx);
  const kernel = sgmat ? "subgroup-matrix" : "tiled";
  const A16 = toF16(ctx, A), B16 = toF16(ctx, B);
  const defaultTile = sgmat ? sgmatKey(chooseSgmatTile(ctx, c.M, c.N, 1)) : tileKey(chooseTile(ctx, c.M, c.N, 1));
  const sweep = opt("--f16-tiles") ?? (sgmat && !small ? SGMAT_SWEEP : undefined);
  const tiles: (SgmatTile | undefined)[] = sweep ? sweep.split(",").map(parseSgmatTile) : [undefined];
  const flop = 2 * c.M * c.N * c.K;
  let best: Result | undefined, defaultGflops: number | undefined;
  for (const tile of tiles) {
    const cfg = `${kernel} ${tile ? sgmatKey(tile) : defaultTile}`;
    try {
      const t = await time(ctx, () => matmul(ctx, A16, B16, { transB: c.transB, out: C, tile, kernel }), iters);
      const err = await spotCheck(ctx, C, aData, bData, c, f16Round);
      if (err > 1e-3) throw new Error(`wrong result: max relative error ${err.toExponential(2)} on sampled entries`);
      const r: Result = { kind: "matmul-f16", name: c.name, shape: { M: c.M, N: c.N, K: c.K, transB: c.transB }, flop, ms: t.ms, gflops: flop / t.ms / 1e6, config: cfg, timestampMs: t.ts };
      console.error(`[bench] matmul-f16 ${c.name} ${cfg}: ${t.ms.toFixed(3)} ms ${r.gflops.toFixed(0)} GFLOP/s (timestamps: ${t.ts?.toFixed(3) ?? "n/a"} ms; max relative error ${err.toExponential(2)})`);
      if (!tile || sgmatKey(tile) === defaultTile) defaultGflops = r.gflops;
      if (!best || r.gflops > best.gflops) best = r;
    } catch (e) {
      console.error(`[bench] matmul-f16 ${c.name} ${cfg}: failed: ${(e as Error).message}`);
    }
  }
  A16.release();
  B16.release();
  return best && { ...best, defaultGflops };
}

async function main() {
  const ctx = await createContext();
  console.error(`[bench] adapter: ${ctx.adapterDescription}; maxBinding ${ctx.maxBinding}; wg storage ${ctx.limits.maxComputeWorkgroupStorageSize}`);
  console.error(`[bench] capabilities: ${capabilitySummary(ctx.capabilities)}`);
  const results: Result[] = [];
  const iters = Number(opt("--iters") ?? (small ? 2 : 10));
  const mm = small
    ? [{ name: "square", M: 256, N: 256, K: 256, transB: false }, { name: "linear", M: 128, N: 256, K: 384, transB: true }]
    : LLM_MATMULS;
  // On GPUs, a small autotune sweep (the runtime's default tile is one of them); --tiles overrides.
  const sweep = opt("--tiles") ?? (small || ctx.isSoftware ? undefined : GPU_SWEEP);
  const tiles: (MatmulTile | undefined)[] = sweep ? sweep.split(",").map(parseTile) : [undefined];
  for (const c of mm) {
    const aData = rand(c.M * c.K), bData = rand(c.K * c.N, 777);
    const A = ctx.upload(aData, [c.M, c.K]);
    const B = ctx.upload(bData, c.transB ? [c.N, c.K] : [c.K, c.N]);
    const C = ctx.empty([c.M, c.N]);
    const flop = 2 * c.M * c.N * c.K;
    let best: Result | undefined;
    const defaultTile = tileKey(chooseTile(ctx, c.M, c.N, 1));
    let defaultGflops: number | undefined;
    console.error(`[bench] matmul ${c.name}: the runtime's default tile is ${defaultTile}`);
    for (const tile of tiles) {
      const cfg = tileKey(tile ?? chooseTile(ctx, c.M, c.N, 1));
      try {
        const t = await time(ctx, () => matmul(ctx, A, B, { transB: c.transB, out: C, tile }), iters);
        const ms = t.ms;
        const err = await spotCheck(ctx, C, aData, bData, c);
        if (err > 1e-3) throw new Error(`wrong result: max relative error ${err.toExponential(2)} on sampled entries`);
        const r: Result = { kind: "matmul", name: c.name, shape: { M: c.M, N: c.N, K: c.K, transB: c.transB }, flop, ms, gflops: flop / ms / 1e6, config: cfg, timestampMs: t.ts };
        console.error(`[bench] matmul ${c.name} tile ${cfg}: ${ms.toFixed(3)} ms ${r.gflops.toFixed(0)} GFLOP/s (timestamps: ${t.ts?.toFixed(3) ?? "n/a"} ms)`);
        if (cfg === defaultTile) defaultGflops = r.gflops;
        if (!best || r.gflops > best.gflops) best = r;
      } catch (e) {
        console.error(`[bench] matmul ${c.name} tile ${cfg}: failed: ${(e as Error).message}`);
      }
    }
    if (best) results.push({ ...best, defaultGflops });
    if (ctx.features.has("shader-f16")) {
      const r16 = await benchF16(ctx, c, A, B, C, aData, bData, iters);
      if (r16) results.push(r16);
    }
    for (const t of [A, B, C]) t.release();
    ctx.trimPool();
  }
  const at = small ? [{ T: 128, H: 4, D: 64 }] : [{ T: 2048, H: 32, D: 128 }, { T: 8192, H: 32, D: 128 }];
  for (const c of at) for (const kernel of ["tiled", "rowwise"] as const) {
    const n = c.T * c.H * c.D;
    const qd = rand(n, 1), kd = rand(n, 2), vd = rand(n, 3);
    const q = ctx.upload(qd, [1, c.T, c.H, c.D]), k = ctx.upload(kd, [1, c.T, c.H, c.D]), v = ctx.upload(vd, [1, c.T, c.H, c.D]);
    let o = attention(ctx, q, k, v, { kernel });
    const flop = (4 * c.T * c.T * c.D * c.H) / 2; // causal: half of QKᵀ and PV
    const t = await time(ctx, () => { o.release(); o = attention(ctx, q, k, v, { kernel }); }, Math.max(2, Math.floor(iters / 2)));
    const r: Result = { kind: "attention", name: `causal T=${c.T} H=${c.H} D=${c.D}`, shape: { B: 1, T: c.T, H: c.H, D: c.D }, flop, ms: t.ms, gflops: flop / t.ms / 1e6, config: `flash, ${kernel} kernel`, timestampMs: t.ts };
    const err = attentionSpotCheck(await ctx.readF32(o), qd, kd, vd, c.T, c.H, c.D);
    console.error(`[bench] attention T=${c.T} ${kernel}: ${t.ms.toFixed(3)} ms ${r.gflops.toFixed(0)} GFLOP/s (max abs error on sampled rows ${err.toExponential(2)})`);
    if (err > 1e-3) throw new Error(`attention ${kernel} T=${c.T}: wrong result (max abs error ${err})`);
    results.push(r);
    for (const x of [q, k, v, o]) x.release();
    ctx.trimPool();
  }
  const record = { adapter: ctx.adapterDescription, capabilities: capabilitySummary(ctx.capabilities), small, results };
  if (outFile) writeFileSync(outFile, JSON.stringify(record, null, 1));
  console.log("| case | WebGPU ms | WebGPU GFLOP/s | config |\n|---|---|---|---|");
  for (const r of results) console.log(`| ${r.kind} ${r.name} | ${r.ms.toFixed(3)} | ${r.gflops.toFixed(0)} | ${r.config} |`);
  await ctx.destroy();
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
