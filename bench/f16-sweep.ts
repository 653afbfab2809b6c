// The f16 subgroup-matrix variant sweep (issue 26): every variant of bench/f16-variants.ts (or
// --variants a,b,…) on 4096³ and the Llama-7B shapes, each result's sampled entries checked against
// float64 dot products of the f16-rounded inputs, plus kick's f32 matmul (default tile) on the same
// shapes. Writes JSON for bench/f16_sweep_torch.py, which times torch fp16 in the same run and
// prints the tables (bench/f16-sweep-h100.txt).
//   node f16-sweep.mjs --out sweep.json [--iters N] [--variants ...]     (on the GPU host, bundled)
import { writeFileSync } from "node:fs";
import {
  createContext, capabilitySummary, canUseSubgroupMatrix, chooseSgmatTile, chooseTile, matmul,
  parseSgmatTile, toF16,
} from "../kernels/index.js";
import { sgmatKey } from "../kernels/ops/matmul_sgmat_wgsl.js";
import { tileKey } from "../kernels/ops/matmul_wgsl.js";
import { f16Round } from "../kernels/reference/f16.js";
import { F16_SWEEP } from "./f16-variants.js";
import { LLM_MATMULS, rand, spotCheck, time } from "./timing.js";

const args = process.argv.slice(2);
const opt = (n: string) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };

interface Row { shape: string; M: number; N: number; K: number; transB: boolean; kernel: string; variant: string; ms: number; timestampMs: number | null; gflops: number; maxRelErr: number | null; error?: string }

async function main() {
  const ctx = await createContext();
  console.error(`[sweep] adapter: ${ctx.adapterDescription}`);
  console.error(`[sweep] capabilities: ${capabilitySummary(ctx.capabilities)}`);
  if (!canUseSubgroupMatrix(ctx)) throw new Error("this adapter has no f16 → f32 16×16×16 subgroup matrices: nothing to sweep");
  const iters = Number(opt("--iters") ?? 20);
  const variants = (opt("--variants")?.split(",") ?? F16_SWEEP).map(parseSgmatTile);
  const rows: Row[] = [];
  for (const c of LLM_MATMULS) {
    const a = rand(c.M * c.K), b = rand(c.K * c.N, 777);
    const A = ctx.upload(a, [c.M, c.K]), B = ctx.upload(b, c.transB ? [c.N, c.K] : [c.K, c.N]);
    const A16 = toF16(ctx, A), B16 = toF16(ctx, B);
    const C = ctx.empty([c.M, c.N]);
    const flop = 2 * c.M * c.N * c.K;
    const runs: Array<[string, string, () => void, (x: number) => number]> = [
      ["f32", tileKey(chooseTile(ctx, c.M, c.N, 1)), () => matmul(ctx, A, B, { transB: c.transB, out: C }), (x) => x],
      ["f16 default", sgmatKey(chooseSgmatTile(ctx, c.M, c.N, 1)), () => matmul(ctx, A16, B16, { transB: c.transB, out: C, kernel: "subgroup-matrix" }), f16Round],
      ...variants.map((v): [string, string, () => void, (x: number) => number] =>
        ["f16", sgmatKey(v), () => matmul(ctx, A16, B16, { transB: c.transB, out: C, kernel: "subgroup-matrix", tile: v }), f16Round]),
    ];
    for (const [kernel, variant, record, round] of runs) {
      const base = { shape: c.name, M: c.M, N: c.N, K: c.K, transB: c.transB, kernel, variant };
      try {
        const t = await time(ctx, record, iters);
        const err = await spotCheck(ctx, C, a, b, c, round);
        const row: Row = { ...base, ms: t.ms, timestampMs: t.ts, gflops: flop / t.ms / 1e6, maxRelErr: err };
        // f32 accumulation of exact products: relative to Σ|a·b|, a few K·2⁻²⁴ at most
        if (!(err <= 1e-4)) row.error = `wrong result: max relative error ${err.toExponential(2)} on sampled entries`;
        rows.push(row);
        console.error(`[sweep] ${c.name} ${kernel} ${variant}: ${t.ms.toFixed(3)} ms ${(row.gflops / 1000).toFixed(1)} TFLOP/s (timestamps ${t.ts?.toFixed(3) ?? "n/a"} ms) max rel err ${err.toExponential(2)}${row.error ? " WRONG" : ""}`);
      } catch (e) {
        const msg = (e as Error).message.split("\n")[0];
        rows.push({ ...base, ms: NaN, timestampMs: null, gflops: 0, maxRelErr: null, error: msg });
        console.error(`[sweep] ${c.name} ${kernel} ${variant}: failed: ${msg}`);
      }
    }
    for (const t of [A, B, A16, B16, C]) t.release();
    ctx.trimPool();
  }
  const out = opt("--out");
  if (out) writeFileSync(out, JSON.stringify({ adapter: ctx.adapterDescription, capabilities: capabilitySummary(ctx.capabilities), iters, rows }, null, 1));
  await ctx.destroy();
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
