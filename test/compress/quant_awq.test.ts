// AWQ search kernels vs the plain-TS references written from llm-awq@d6e797a (no official-code
// fixtures yet), plus hand-worked quantizer and folding cases.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, awqClipSearch, awqScaledQuant, awqScaleSearch } from "../../kernels/index.js";
import { awqClipSearchRef, awqParamsRef, awqPseudoQuantRef, awqQuantRef, awqScaleSearchRef } from "../../kernels/reference/awq.js";
import { foldIntoNorm, isClipSkipped, sampleClipTokens, scaleLinearInputs } from "../../loaders/compress/awq.js";
import { randn } from "../kernels/helpers.js";
import { withContext } from "../kernels/helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

/** Activations with a few outlier channels (10–60×), weights with heavier columns. */
function layer(T: number, rows: number, cols: number, seed: number) {
  const X = randn(T * cols, seed, 1);
  for (const c of [3, 17, cols - 5]) for (let t = 0; t < T; t++) X[t * cols + c] *= 10 + c % 50;
  const W = randn(rows * cols, seed + 1, 0.05);
  for (let r = 0; r < rows; r++) W[r * cols + 9] *= 6;
  return { X, W };
}

describe("AWQ quantizer (pseudo_quantize_tensor), hand-worked", () => {
  it("the range is NOT forced to contain 0; zero clamped to 0..maxq", () => {
    const p = awqParamsRef([0.2, 0.6], 4); // scale 0.4/15, zero = clamp(−round(7.5), 0, 15) = 0
    expect(p.zero + 0).toBe(0);
    expect(p.scale).toBeCloseTo(0.4 / 15, 7);
    expect(awqQuantRef(0.2, p, 4)).toBeCloseTo(8 * 0.4 / 15, 6); // round(7.5) = 8 (half to even)
    expect(awqQuantRef(0.6, p, 4)).toBeCloseTo(15 * 0.4 / 15, 6); // round(22.5) = 22 → clamp 15
    const q = awqParamsRef([-1, 2], 2); // scale 1, zero 1
    expect(q).toEqual({ scale: 1, zero: 1 });
  });
});

describe("AWQ kernels vs the references", () => {
  it("pseudo-quantization per group of 32 (s = 1)", async () => {
    const rows = 16, cols = 128;
    const { W } = layer(4, rows, cols, 3);
    const Wt = ctx.upload(W, [rows, cols]), s = ctx.upload(new Float32Array(cols).fill(1), [cols]);
    const Q = awqScaledQuant(ctx, Wt, s, { bits: 4, groupSize: 32 });
    const got = await ctx.readF32(Q);
    Wt.release(); s.release(); Q.release();
    const ref = awqPseudoQuantRef(W, rows, cols, 4, 32);
    let same = 0;
    for (let i = 0; i < got.length; i++) if (Math.abs(got[i]! - ref[i]!) < 1e-6) same++;
    expect(same / got.length).toBeGreaterThanOrEqual(0.999);
  });
  it("scale search (20-point grid, g32, 4-bit): same best ratio, losses within 1%", async () => {
    const T = 96, rows = 24, cols = 64;
    const { X, W } = layer(T, rows, cols, 11);
    const Xt = ctx.upload(X, [T, cols]), Wt = ctx.upload(W, [rows, cols]);
    const r = await awqScaleSearch(ctx, Xt, Wt, { bits: 4, groupSize: 32 });
    Xt.release(); Wt.release();
    const ref = awqScaleSearchRef(X, T, W, rows, cols, 4, 32);
    console.log(`[awq] scale search: best ratio kick ${r.best}/20, ref ${ref.best}/20; loss ${r.losses[r.best]!.toExponential(4)} vs ${ref.losses[ref.best]!.toExponential(4)}; r=0 loss ${r.losses[0]!.toExponential(4)}`);
    expect(r.best).toBe(ref.best);
    for (let i = 0; i < 20; i++) expect(Math.abs(r.losses[i]! / ref.losses[i]! - 1)).toBeLessThan(0.01);
    expect(r.losses[r.best]!).toBeLessThan(r.losses[0]!); // outlier channels: scaling helps
    for (let i = 0; i < cols; i++) expect(r.scales[i]).toBeCloseTo(ref.scales[i]!, 4);
  });
  it("clip search (10 shrink steps, g32, 3-bit): ≥ 95% identical choices; apply clamps", async () => {
    const T = 64, rows = 32, cols = 64;
    const { X, W } = layer(T, rows, cols, 21);
    const Xt = ctx.upload(X, [T, cols]), Wt = ctx.upload(W, [rows, cols]);
    const got = await awqClipSearch(ctx, Xt, Wt, { bits: 3, groupSize: 32, apply: true });
    const Wc = await ctx.readF32(Wt);
    Xt.release(); Wt.release();
    const ref = awqClipSearchRef(X, T, W, rows, cols, 3, 32);
    let same = 0, shrunk = 0;
    for (let i = 0; i < ref.length; i++) { if (got[i] === ref[i]) same++; if (ref[i]! > 0) shrunk++; }
    console.log(`[awq] clip search: ${same}/${ref.length} identical, ${shrunk} groups shrunk`);
    expect(same / ref.length).toBeGreaterThanOrEqual(0.95);
    for (let g = 0; g < ref.length; g++) {
      const r = Math.floor(g / 2), c0 = (g % 2) * 32;
      let amax = 0;
      for (let k = 0; k < 32; k++) amax = Math.max(amax, Math.abs(W[r * cols + c0 + k]!));
      const mx = amax * (1 - got[g]! / 20);
      for (let k = 0; k < 32; k++) expect(Math.abs(Wc[r * cols + c0 + k]!)).toBeLessThanOrEqual(mx * (1 + 1e-6));
    }
  });
  it("bad group size names the layer", async () => {
    const Wt = ctx.upload(new Float32Array(4 * 48), [4, 48]), s = ctx.upload(new Float32Array(48).fill(1), [48]);
    expect(() => awqScaledQuant(ctx, Wt, s, { bits: 4, groupSize: 32, layer: "layers.0.down.weight" })).toThrow(/layers\.0\.down\.weight: group size 32 does not divide the input width 48/);
    Wt.release(); s.release();
  });
});

describe("AWQ folding and sampling", () => {
  it("(x / s)·(W·s)ᵀ = x·Wᵀ; clip skips q/k; token stride", () => {
    const g = Float32Array.from([2, 4]), W = Float32Array.from([1, 2, 3, 4]), s = [2, 0.5];
    foldIntoNorm(g, s);
    scaleLinearInputs(W, 2, 2, s);
    expect(Array.from(g)).toEqual([1, 8]);
    expect(Array.from(W)).toEqual([2, 1, 6, 2]);
    // unit input through the folded norm and the scaled linear = original: W·[2, 4] = [1·2+2·4, 3·2+4·4] = [10, 22]
    expect([0, 1].map((r) => W[2 * r]! * g[0]! + W[2 * r + 1]! * g[1]!)).toEqual([10, 22]);
    expect(isClipSkipped("layers.0.q.weight")).toBe(true);
    expect(isClipSkipped("model.layers.0.self_attn.k_proj")).toBe(true);
    expect(isClipSkipped("layers.0.down.weight")).toBe(false);
    expect(sampleClipTokens(new Float32Array(1100 * 2), 1100, 2).T).toBe(550); // stride 1100 // 512 = 2
    expect(sampleClipTokens(new Float32Array(100 * 2), 100, 2).T).toBe(100);
  });
});
