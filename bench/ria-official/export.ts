// Writes the RIA check's inputs and kick's masks for the official comparison on the GPU host:
//   npx tsx bench/ria-official/export.ts DIR
// DIR/W.f32, DIR/X.f32 (little-endian f32), DIR/meta.json, DIR/kick-<case>.u8 (1 = pruned), then
//   python3 scripts/gpu-host/ria_official_check.py --repo RIA_REPO --dir DIR --out OUT
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createContext, columnSqAccumulate, riaPrune } from "../../kernels/index.js";
import { RIA_CASES, RIA_LAYER, riaLayer } from "./layer.js";

/** kick's RIA mask (1 = pruned) of the check layer for one case, on the GPU kernels. */
export async function kickRiaMask(c: (typeof RIA_CASES)[number], a = 0.5): Promise<Uint8Array> {
  const { rows, cols, nSeq, seqLen } = RIA_LAYER;
  const { W, X } = riaLayer();
  const ctx = await createContext();
  try {
    const S = ctx.zeros([cols]);
    let n = 0; // one sequence per batch, as the official calibration loop
    for (let s = 0; s < nSeq; s++) {
      const x = ctx.upload(X.subarray(s * seqLen * cols, (s + 1) * seqLen * cols), [seqLen, cols]);
      n = columnSqAccumulate(ctx, S, x, n, 1);
      x.release();
    }
    const Wt = ctx.upload(W, [rows, cols]);
    riaPrune(ctx, Wt, S, { sparsity: c.sparsity, nm: "nm" in c ? c.nm : undefined, a });
    const Wh = await ctx.readF32(Wt);
    Wt.release(); S.release();
    return Uint8Array.from(Wh, (v) => (v === 0 ? 1 : 0));
  } finally {
    await ctx.destroy();
  }
}

if (process.argv[1]?.endsWith("export.ts")) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: npx tsx bench/ria-official/export.ts DIR");
  mkdirSync(dir, { recursive: true });
  const { W, X } = riaLayer();
  writeFileSync(join(dir, "W.f32"), W);
  writeFileSync(join(dir, "X.f32"), X);
  writeFileSync(join(dir, "meta.json"), JSON.stringify({ ...RIA_LAYER, cases: RIA_CASES }, null, 1) + "\n");
  for (const c of RIA_CASES) writeFileSync(join(dir, `kick-${c.name.replace(":", "of")}.u8`), await kickRiaMask(c));
  console.error(`wrote ${dir}`);
}
