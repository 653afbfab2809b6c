// Correctness of the f16 matmul kernels on a GPU (the subgroup-matrix kernel cannot run on
// lavapipe): every kernel and tile against the float64 reference on f16-rounded inputs, on ragged
// shapes (edge tiles, K not a multiple of 4, batched, broadcast and untransposed B).
//   npx tsx bench/f16-check.ts [--variants a,b,…]     (on the GPU host: bundled, see docs/kernels.md § f16)
// Prints one line per case and exits 1 if any is outside the tolerance (bench/f16-h100.txt).
import {
  createContext, capabilitySummary, canUseSubgroupMatrix, matmul, parseSgmatTile, SGMAT_SWEEP,
} from "../kernels/index.js";
import { F16_SWEEP } from "./f16-variants.js";
import { matmulRef } from "../kernels/reference/matmul.js";
import { f16Round, toF16Bits } from "../kernels/reference/f16.js";
import { randn } from "../test/kernels/helpers.js";

// f32 accumulation of exact f16 products: |error| ≲ K · 2⁻²⁴ · Σ|a·b|; with K ≤ 300 and |x| ≤ 1
// a bound of 1e-4 + 1e-4·|want| leaves a margin of about 10×.
const ATOL = 1e-4, RTOL = 1e-4;

async function main() {
  const ctx = await createContext();
  console.log(`adapter: ${ctx.adapterDescription}`);
  console.log(`capabilities: ${capabilitySummary(ctx.capabilities)}`);
  if (!ctx.features.has("shader-f16")) throw new Error("no shader-f16 on this adapter: nothing to check");
  const shapes: Array<[number, number, number, number, boolean, boolean]> = [
    // batch, M, N, K, transB, broadcastB
    [1, 256, 256, 128, true, false], // tile multiples: the unchecked kernel
    [1, 256, 512, 128, true, false], // multiples of every tile of the sweep: the direct-load variants
    [1, 256, 512, 128, false, false],
    [1, 256, 128, 96, false, false],
    [1, 37, 29, 45, true, false], // ragged, K % 4 != 0 (scalar loads)
    [1, 130, 200, 72, true, false],
    [2, 70, 96, 300, false, false],
    [3, 64, 48, 40, true, true],
    [1, 1, 19, 33, false, false],
  ];
  const kernels: Array<["tiled" | "subgroup-matrix", string | undefined]> = [["tiled", undefined]];
  const i = process.argv.indexOf("--variants"); // default: every variant of the sweep
  const variants = i > 0 ? process.argv[i + 1].split(",") : [...new Set([...SGMAT_SWEEP.split(","), ...F16_SWEEP])];
  if (canUseSubgroupMatrix(ctx)) for (const t of [undefined, ...variants]) kernels.push(["subgroup-matrix", t]);
  else console.log("no f16 subgroup matrices here: only the tiled kernel is checked");
  let failed = 0;
  for (const [batch, M, N, K, transB, bc] of shapes) {
    const a = randn(batch * M * K, 31 + M), b = randn((bc ? 1 : batch) * K * N, 32 + N);
    const want = matmulRef(a.map(f16Round), b.map(f16Round), batch, M, N, K, { transB, broadcastB: bc });
    const A = ctx.upload(toF16Bits(a), [batch, M, K]);
    const B = ctx.upload(toF16Bits(b), bc ? (transB ? [N, K] : [K, N]) : [batch, ...(transB ? [N, K] : [K, N])]);
    for (const [kernel, tile] of kernels) {
      const what = `batch ${batch} M ${M} N ${N} K ${K} transB ${transB}${bc ? " broadcast" : ""}: ${kernel} ${tile ?? "default tile"}`;
      try {
        const C = matmul(ctx, A, B, { transB, kernel, tile: tile ? parseSgmatTile(tile) : undefined });
        const got = await ctx.readF32(C);
        C.release();
        let worst = 0, bad = 0;
        for (let i = 0; i < want.length; i++) {
          const err = Math.abs(got[i] - want[i]);
          if (!(err <= ATOL + RTOL * Math.abs(want[i]))) bad++;
          worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
        }
        if (bad) failed++;
        console.log(`${bad ? "FAIL" : "ok  "} ${what}: max |err| ${worst.toExponential(2)}${bad ? `, ${bad} of ${want.length} outside ${ATOL} + ${RTOL}·|want|` : ""}`);
      } catch (e) {
        const msg = (e as Error).message.split("\n")[0];
        // big tiles are for tile-multiple shapes: their edge variant does not fit workgroup memory
        if (/bytes of workgroup memory|direct loads need shapes/.test(msg)) {
          console.log(`skip ${what}: ${msg}`);
          continue;
        }
        failed++;
        console.log(`FAIL ${what}: ${msg}`);
      }
    }
    A.release();
    B.release();
  }
  console.log(failed ? `${failed} case(s) failed` : "all cases within tolerance");
  await ctx.destroy();
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
