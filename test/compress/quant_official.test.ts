// kick's RTN / GPTQ / joint SparseGPT+quantization kernels vs the OFFICIAL code's outputs
// (IST-DASLab/gptq@2d65066 fasterquant + Quantizer, IST-DASLab/sparsegpt@147d215 wbits path), made on
// an NVIDIA H200 by test/reference/gptq_quant_fixtures.py (layers with 10–100× outlier channels,
// weight outliers, and in layer B two dead inputs). Also checks the plain-TS reference gptqRef.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, gptqQuantize, rtnQuantize } from "../../kernels/index.js";
import { reconErrorRef } from "../../kernels/reference/prune.js";
import { gptqRef, rtnRef } from "../../kernels/reference/quant.js";
import { withContext } from "../kernels/helpers.js";

interface Ent { name: string; dtype: "f32" | "u8" | "i32"; shape: number[]; offset: number; bytes: number }
interface Cfg {
  name: string; method: "rtn" | "gptq" | "sparsegpt"; bits: number; groupSize: number; sym: boolean; actOrder: boolean; staticGroups: boolean;
  sparsity: number; relErr: number; levels: Ent; scales: Ent; zeros: Ent; gIdx: Ent;
}
interface Layer { name: string; rows: number; cols: number; dead: number[]; W: Ent; H: Ent; configs: Cfg[] }

const dir = new URL("../fixtures/compress/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("quant_ref.json", dir), "utf8")) as { layers: Layer[] };
const bin = readFileSync(new URL("quant_ref.bin", dir));
const slice = (e: Ent) => bin.buffer.slice(bin.byteOffset + e.offset, bin.byteOffset + e.offset + e.bytes);
const f32 = (e: Ent) => new Float32Array(slice(e));
const u8 = (e: Ent) => new Uint8Array(slice(e));
const i32 = (e: Ent) => new Int32Array(slice(e));
const agree = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
};

/** The official dequantized weight, scale·(level − zero) per the group of each column (the fixture omits Q itself). */
function officialQ(L: Layer, c: Cfg): Float32Array {
  const lv = u8(c.levels), g = i32(c.gIdx), sc = f32(c.scales), z = f32(c.zeros), Q = new Float32Array(L.rows * L.cols);
  for (let r = 0; r < L.rows; r++)
    for (let k = 0; k < L.cols; k++) Q[r * L.cols + k] = Math.fround(sc[g[k]! * L.rows + r]! * (lv[r * L.cols + k]! - z[g[k]! * L.rows + r]!));
  return Q;
}

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe.each(manifest.layers)("layer $name ($rows×$cols) vs the official GPTQ code", (L) => {
  const W = f32(L.W), H = f32(L.H);

  it.each(L.configs)("$name: ≥ 98% identical levels, output error within 2% of the official", async (c) => {
    const Wt = ctx.upload(W, [L.rows, L.cols]);
    const o = { bits: c.bits, groupSize: c.groupSize, sym: c.sym, layer: `fixture ${L.name}` };
    let r;
    if (c.method === "rtn") r = rtnQuantize(ctx, Wt, o);
    else {
      const Ht = ctx.upload(H, [L.cols, L.cols]);
      r = await gptqQuantize(ctx, Wt, Ht, { ...o, actOrder: c.actOrder, staticGroups: c.staticGroups, sparsity: c.method === "sparsegpt" ? c.sparsity : undefined });
      Ht.release();
    }
    const got = await ctx.readF32(Wt);
    const lv = new Uint32Array((await ctx.read(r.levels)).buffer);
    const pr = await ctx.readF32(r.params);
    Wt.release(); r.levels.release(); r.params.release();
    const refLv = u8(c.levels), refG = i32(c.gIdx), refS = f32(c.scales), refZ = f32(c.zeros);
    const refQ = officialQ(L, c);
    const aLv = agree(lv, refLv);
    const eKick = reconErrorRef(W, got, H, L.rows, L.cols), eRef = reconErrorRef(W, refQ, H, L.rows, L.cols);
    // the same dequantization: got = scale·(level − zero) with kick's own params
    let maxDq = 0;
    for (let rr = 0; rr < L.rows; rr++)
      for (let cc = 0; cc < L.cols; cc++) {
        const s = r.gIdx[cc]!, o2 = (s * L.rows + rr) * 2;
        maxDq = Math.max(maxDq, Math.abs(got[rr * L.cols + cc]! - pr[o2]! * (lv[rr * L.cols + cc]! - pr[o2 + 1]!)));
      }
    // scales of the official run (same slots)
    let sAgree = 0;
    for (let i = 0; i < refS.length; i++) if (Math.abs(pr[2 * i]! - refS[i]!) <= 1e-4 * Math.abs(refS[i]!) && pr[2 * i + 1] === refZ[i]) sAgree++;
    console.log(`[official-quant] ${L.name} ${c.name}: levels ${aLv.toFixed(5)}, params ${(sAgree / refS.length).toFixed(4)}, rel err kick ${eKick.toExponential(4)} vs official ${eRef.toExponential(4)} (ratio ${(eKick / eRef).toFixed(4)}; fixture ${c.relErr.toExponential(4)})`);
    expect(Math.abs(eRef / c.relErr - 1)).toBeLessThan(1e-3); // the fixture is read right
    expect(Array.from(r.gIdx)).toEqual(Array.from(refG));
    expect(aLv).toBeGreaterThanOrEqual(0.98);
    expect(Math.abs(eKick / eRef - 1)).toBeLessThanOrEqual(0.02);
    expect(maxDq).toBeLessThan(1e-6);
    expect(sAgree / refS.length).toBeGreaterThanOrEqual(0.95);
    for (const d of L.dead) if (c.method !== "rtn") for (let i = 0; i < L.rows; i++) expect(got[i * L.cols + d]).toBe(0);
    if (c.method === "sparsegpt") {
      const z = got.filter((v) => v === 0).length / got.length;
      expect(z).toBeGreaterThanOrEqual(0.5); // pruned zeros stay exact zeros on a grid containing 0
    }
  });

  it.each(L.configs.filter((c) => c.method !== "rtn" || L.name === "A"))("plain-TS reference $name agrees with the official code", (c) => {
    const ref = c.method === "rtn" ? rtnRef(W, L.rows, L.cols, c.bits, c.groupSize, c.sym)
      : gptqRef(W, H, L.rows, L.cols, { bits: c.bits, groupSize: c.groupSize, sym: c.sym, actOrder: c.actOrder, staticGroups: c.staticGroups, sparsity: c.method === "sparsegpt" ? c.sparsity : undefined });
    const a = agree(ref.levels, u8(c.levels));
    const e = reconErrorRef(W, ref.Q, H, L.rows, L.cols);
    console.log(`[official-quant-ref] ${L.name} ${c.name}: levels ${a.toFixed(5)}, rel err ref ${e.toExponential(4)} vs official ${c.relErr.toExponential(4)}`);
    expect(a).toBeGreaterThanOrEqual(0.98);
    expect(Math.abs(e / c.relErr - 1)).toBeLessThanOrEqual(0.02);
  });
});
