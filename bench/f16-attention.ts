// The subgroup-matrix attention (kernels/ops/attention_sgmat.ts) on the GPU host: every case against the
// float64 reference on f16-rounded inputs, then causal T=2048/8192, H=32, D=128 timed beside kick's f32
// attention; writes JSON for bench/f16_attention_torch.py (PyTorch SDPA fp16 in the same run).
//   node f16-attention.mjs --out attention.json      (bundled, see docs/kernels.md § f16 attention)
import { writeFileSync } from "node:fs";
import { createContext, attention, attentionSgmat, toF16 } from "../kernels/index.js";
import { attentionRef } from "../kernels/reference/attention.js";
import { f16Round, toF16Bits } from "../kernels/reference/f16.js";
import { randn } from "../test/kernels/helpers.js";
import { time } from "./timing.js";

const args = process.argv.slice(2);
const opt = (n: string) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
// P is rounded to f16 (relative 2⁻¹¹ per weight) before P·V: the output, a weighted mean of V rows, errs by
// at most about 2⁻¹¹·max|v|; allow 4× that plus f32 rounding.
const TOL = 4 * 2 ** -11;

async function main() {
  const ctx = await createContext();
  console.log(`adapter: ${ctx.adapterDescription}`);
  let failed = 0;
  for (const [B, T, Hq, Hkv, D, causal] of [[1, 128, 4, 2, 64, true], [2, 192, 2, 2, 128, true], [1, 128, 2, 1, 128, false], [1, 256, 4, 4, 64, false]] as const) {
    const q = randn(B * T * Hq * D, 1 + D), k = randn(B * T * Hkv * D, 2 + D), v = randn(B * T * Hkv * D, 3 + D);
    const want = attentionRef(q.map(f16Round), k.map(f16Round), v.map(f16Round), B, T, T, Hq, Hkv, D, { causal });
    const up = (x: Float32Array, H: number) => ctx.upload(toF16Bits(x), [B, T, H, D]);
    const o = attentionSgmat(ctx, up(q, Hq), up(k, Hkv), up(v, Hkv), { causal });
    const got = await ctx.readF32(o);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Number.isNaN(got[i]) ? Infinity : Math.abs(got[i] - want[i]));
    const ok = worst <= TOL; // |v| ≤ 1
    if (!ok) failed++;
    console.log(`${ok ? "ok  " : "FAIL"} B ${B} T ${T} Hq ${Hq} Hkv ${Hkv} D ${D} causal ${causal}: max |err| ${worst.toExponential(2)} (tolerance ${TOL.toExponential(2)})`);
  }
  const rows = [];
  for (const T of [2048, 8192]) {
    const H = 32, D = 128, n = T * H * D;
    const q = ctx.upload(randn(n, 5), [1, T, H, D]), k = ctx.upload(randn(n, 6), [1, T, H, D]), v = ctx.upload(randn(n, 7), [1, T, H, D]);
    const q16 = toF16(ctx, q), k16 = toF16(ctx, k), v16 = toF16(ctx, v);
    const flop = (4 * T * T * D * H) / 2;
    for (const [kernel, run] of [["sgmat f16", () => attentionSgmat(ctx, q16, k16, v16).release()], ["tiled f32", () => attention(ctx, q, k, v).release()]] as const) {
      const t = await time(ctx, run, 5);
      rows.push({ T, H, D, kernel, ms: t.ms, timestampMs: t.ts, flop, gflops: flop / t.ms / 1e6 });
      console.log(`attention causal T=${T} H=${H} D=${D} ${kernel}: ${t.ms.toFixed(3)} ms ${(flop / t.ms / 1e9).toFixed(1)} TFLOP/s`);
    }
    for (const x of [q, k, v, q16, k16, v16]) x.release();
    ctx.trimPool();
  }
  const out = opt("--out");
  if (out) writeFileSync(out, JSON.stringify({ adapter: ctx.adapterDescription, rows }, null, 1));
  console.log(failed ? `${failed} case(s) failed` : "all cases within tolerance");
  await ctx.destroy();
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
