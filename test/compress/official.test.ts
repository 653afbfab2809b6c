// kick's pruning kernels vs the OFFICIAL code's outputs (IST-DASLab/sparsegpt fasterprune, Wanda's
// and magnitude's formulas), made on an NVIDIA H200 by test/reference/sparsegpt_prune_fixtures.py
// on layers with 10–100× outlier channels, correlated features and (layer B) two dead inputs.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, hessianAccumulate, magnitudePrune, sparsegptPrune, wandaPrune } from "../../kernels/index.js";
import { reconErrorRef, sparsegptRef } from "../../kernels/reference/prune.js";
import { withContext } from "../kernels/helpers.js";

interface Ent { name: string; kind: "f32" | "bits"; shape: number[]; offset: number; bytes: number }
interface Cfg { name: string; sparsity: number; n: number; m: number; sparsegpt: Ent; wandaMask: Ent; magnitudeMask: Ent; sparsegptRelErr: number }
interface Layer { name: string; rows: number; cols: number; nSeq: number; seqLen: number; dead: number[]; tensors: Ent[]; configs: Cfg[] }

const dir = new URL("../fixtures/compress/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("prune_ref.json", dir), "utf8")) as { layers: Layer[] };
const bin = readFileSync(new URL("prune_ref.bin", dir));
const f32 = (e: Ent) => new Float32Array(bin.buffer.slice(bin.byteOffset + e.offset, bin.byteOffset + e.offset + e.bytes));
const bits = (e: Ent) => {
  const n = e.shape.reduce((a, b) => a * b, 1), out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bin[e.offset + (i >> 3)]! >> (7 - (i & 7))) & 1;
  return out;
};
const tensor = (L: Layer, name: string) => f32(L.tensors.find((t) => t.name === name)!);
const agreeZeros = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let same = 0;
  for (let i = 0; i < a.length; i++) if ((a[i] === 0) === (b[i] === 0)) same++;
  return same / a.length;
};
const agreeMask = (w: ArrayLike<number>, mask: Uint8Array) => {
  let same = 0;
  for (let i = 0; i < w.length; i++) if ((w[i] === 0) === (mask[i] === 1)) same++;
  return same / w.length;
};

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe.each(manifest.layers)("layer $name ($rows×$cols) vs the official code", (L) => {
  const W = tensor(L, "W"), H = tensor(L, "H"), scaler = tensor(L, "scaler");

  it.each(L.configs)("SparseGPT $name: ≥ 98% identical masks, reconstruction error within 2% of the reference's", async (c) => {
    const ref = f32(c.sparsegpt);
    const Wt = ctx.upload(W, [L.rows, L.cols]), Ht = ctx.upload(H, [L.cols, L.cols]);
    const nm = c.n ? { n: c.n, m: c.m } : undefined;
    const r = await sparsegptPrune(ctx, Wt, Ht, { sparsity: c.sparsity, nm, layer: `fixture ${L.name}` });
    const got = await ctx.readF32(Wt);
    Wt.release(); Ht.release();
    expect(r.deadColumns).toBe(L.dead.length);
    for (const d of L.dead) for (let i = 0; i < L.rows; i++) expect(got[i * L.cols + d]).toBe(0);
    const agree = agreeZeros(got, ref);
    const eKick = reconErrorRef(W, got, H, L.rows, L.cols), eRef = reconErrorRef(W, ref, H, L.rows, L.cols);
    console.log(`[official] ${L.name} sparsegpt ${c.name}: mask agreement ${agree.toFixed(5)}, rel err kick ${eKick.toExponential(4)} vs official ${eRef.toExponential(4)} (ratio ${(eKick / eRef).toFixed(4)})`);
    expect(agree).toBeGreaterThanOrEqual(0.98);
    expect(Math.abs(eKick / eRef - 1)).toBeLessThanOrEqual(0.02);
    // N:M: exactly N zeros in every group of M (dead columns may add zeros)
    if (nm && !L.dead.length)
      for (let i = 0; i < got.length; i += nm.m) expect(got.subarray(i, i + nm.m).filter((v) => v === 0).length).toBe(nm.n);
  });

  it.each(L.configs)("the plain-TS SparseGPT reference agrees with the official code ($name)", (c) => {
    const ref = f32(c.sparsegpt);
    const got = sparsegptRef(W, H, L.rows, L.cols, { sparsity: c.sparsity, nm: c.n ? { n: c.n, m: c.m } : undefined });
    expect(agreeZeros(got, ref)).toBeGreaterThanOrEqual(0.98);
  });

  it.each(L.configs)("Wanda and magnitude $name: masks identical to the official formulas", async (c) => {
    const nm = c.n ? { n: c.n, m: c.m } : undefined;
    const Wt = ctx.upload(W, [L.rows, L.cols]), S = ctx.upload(scaler, [L.cols]);
    wandaPrune(ctx, Wt, S, { sparsity: c.sparsity, nm });
    const wanda = await ctx.readF32(Wt);
    const Wm = ctx.upload(W, [L.rows, L.cols]);
    magnitudePrune(ctx, Wm, { sparsity: c.sparsity, nm });
    const mag = await ctx.readF32(Wm);
    Wt.release(); S.release(); Wm.release();
    const aw = agreeMask(wanda, bits(c.wandaMask)), am = agreeMask(mag, bits(c.magnitudeMask));
    console.log(`[official] ${L.name} wanda ${c.name}: mask agreement ${aw}; magnitude: ${am}`);
    expect(aw).toBe(1);
    expect(am).toBe(1);
    // surviving weights are untouched
    for (let i = 0; i < W.length; i++) if (wanda[i] !== 0) expect(wanda[i]).toBe(W[i]);
  });
});

describe("Hessian accumulation vs the official add_batch", () => {
  it("one sequence per call gives the official H (f32, relative error < 1e-5)", async () => {
    const L = manifest.layers.find((l) => l.tensors.some((t) => t.name === "X"))!;
    const X = tensor(L, "X"), Href = tensor(L, "H");
    const H = ctx.zeros([L.cols, L.cols]);
    let n = 0;
    for (let s = 0; s < L.nSeq; s++)
      n = hessianAccumulate(ctx, H, ctx.upload(X.subarray(s * L.seqLen * L.cols, (s + 1) * L.seqLen * L.cols), [L.seqLen, L.cols]), n, 1);
    const got = await ctx.readF32(H);
    let num = 0, den = 0;
    for (let i = 0; i < got.length; i++) { num += (got[i]! - Href[i]!) ** 2; den += Href[i]! ** 2; }
    expect(n).toBe(L.nSeq);
    expect(Math.sqrt(num / den)).toBeLessThan(1e-5);
  });
});
