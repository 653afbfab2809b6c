// GPTQ per-layer solve timing (Hessian given), kick's WGSL side.
//   npx tsx bench/compress-gptq.ts DIR [--out FILE]   DIR from `test/reference/sparsegpt_prune_fixtures.py bench DIR`
//                                                   (H_*.bin, W_*.bin); with DIR/gptq_torch.json from
//                                                   `test/reference/gptq_quant_fixtures.py --bench DIR` the
//                                                   official fasterquant times and level agreement are added
//   npx tsx bench/compress-gptq.ts --small           synthetic small layers (lavapipe smoke run)
// Configs: 4-bit per row, 4-bit g128, 4-bit g128 act-order (all asymmetric, damping 0.01, block 128).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createContext, type Tensor, gptqQuantize, hessianAccumulate } from "../kernels/index.js";
import { normalSampler, readF32File } from "./bench-data.js";

const args = process.argv.slice(2);
const small = args.includes("--small");
const dir = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--out");
const outJson = args.includes("--out") ? args[args.indexOf("--out") + 1]! : null;
const shapes: Array<[number, number]> = small ? [[256, 256], [512, 256], [256, 384]] : [[4096, 4096], [11008, 4096], [4096, 11008]];
const CONFIGS = [
  { name: "w4", bits: 4, groupSize: -1, actOrder: false },
  { name: "w4g128", bits: 4, groupSize: 128, actOrder: false },
  { name: "w4g128_act", bits: 4, groupSize: 128, actOrder: true },
];
const readU8 = (p: string) => new Uint8Array(readFileSync(p));
const randn = normalSampler(11);

const ctx = await createContext();
console.error(`[bench:gptq] adapter: ${ctx.adapterDescription}`);
const torch = dir && existsSync(join(dir, "gptq_torch.json")) ? JSON.parse(readFileSync(join(dir, "gptq_torch.json"), "utf8")) : null;
const rowsOut: Record<string, unknown>[] = [];
for (const [rows, cols] of shapes) {
  let Hd: Float32Array, Wd: Float32Array;
  if (dir && !small) { Hd = readF32File(join(dir, `H_${cols}.bin`)); Wd = readF32File(join(dir, `W_${rows}x${cols}.bin`)); }
  else {
    const T = 2 * cols, Ht = ctx.zeros([cols, cols]);
    hessianAccumulate(ctx, Ht, ctx.upload(randn(T * cols), [T, cols]), 0, 1);
    Hd = await ctx.readF32(Ht); Ht.release();
    Wd = randn(rows * cols).map((v) => v * 0.02);
  }
  const H = ctx.upload(Hd, [cols, cols]);
  for (const c of CONFIGS) {
    let best = Infinity, lv: Uint32Array | null = null;
    for (let rep = 0; rep < 6; rep++) { // first = warm-up, then best of 5
      const W: Tensor = ctx.upload(Wd, [rows, cols]);
      await ctx.sync();
      // Timed as the official side: the solve with its inputs on the GPU, until the GPU is done;
      // the results stay there (reading 4 bytes per weight back is not part of the solve).
      const t = performance.now();
      const r = await gptqQuantize(ctx, W, H, { bits: c.bits, groupSize: c.groupSize, sym: false, actOrder: c.actOrder, layer: "bench" });
      await ctx.sync();
      const ms = performance.now() - t;
      const l = await ctx.read(r.levels);
      if (rep) best = Math.min(best, ms);
      lv = new Uint32Array(l.buffer);
      W.release(); r.levels.release(); r.params.release();
    }
    const row: Record<string, unknown> = { rows, cols, config: c.name, kickMs: best };
    const tl = torch?.layers.find((x: { rows: number; cols: number; config: string }) => x.rows === rows && x.cols === cols && x.config === c.name);
    if (tl) {
      row.torchMs = tl.ms; row.ratio = best / tl.ms;
      const f = join(dir!, `L_${c.name}_${rows}x${cols}.u8`);
      if (existsSync(f)) { const ref = readU8(f); let same = 0; for (let i = 0; i < ref.length; i++) if (ref[i] === lv![i]) same++; row.levelAgree = same / ref.length; }
    }
    rowsOut.push(row);
    console.log(JSON.stringify(row));
  }
  H.release();
  ctx.trimPool();
}
if (outJson) writeFileSync(outJson, JSON.stringify({ adapter: ctx.adapterDescription, torch, rows: rowsOut }, null, 1));
await ctx.destroy();
