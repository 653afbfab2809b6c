import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, createRopeTables, rope, embedding } from "../../kernels/index.js";
import { ropeInvFreq, ropeRef, type RopeConfig } from "../../kernels/reference/rope.js";
import { embeddingRef } from "../../kernels/reference/rows.js";
import { expectClose, randInt, randn, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("rope reference", () => {
  it("D=2, θ irrelevant: position p rotates (x1, x2) by p radians", () => {
    const y = ropeRef(new Float32Array([1, 0, 1, 0]), 1, 2, 1, 2, { headDim: 2, maxPositions: 4 });
    expect([...y].map((v) => +v.toFixed(6))).toEqual([1, 0, +Math.cos(1).toFixed(6), +Math.sin(1).toFixed(6)]);
  });
  it("inverse frequencies: θ^(-2i/D), linear scaling divides, llama3 keeps high frequencies", () => {
    const base = ropeInvFreq({ headDim: 4, maxPositions: 1, theta: 100 });
    expect([...base]).toEqual([1, 0.1]);
    expect([...ropeInvFreq({ headDim: 4, maxPositions: 1, theta: 100, scaling: { type: "linear", factor: 4 } })]).toEqual([0.25, 0.025]);
    // Llama 3.1 parameters: wavelengths below 8192/4 = 2048 keep their frequency, above 8192 are divided by 8.
    const l3 = ropeInvFreq({ headDim: 128, maxPositions: 1, theta: 500000, scaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 } });
    const raw = ropeInvFreq({ headDim: 128, maxPositions: 1, theta: 500000 });
    expect(l3[0]).toBe(raw[0]);
    expect(l3[63]).toBeCloseTo(raw[63] / 8, 15);
  });
});

describe("rope on the GPU vs the reference", () => {
  const cfgs: RopeConfig[] = [
    { headDim: 8, maxPositions: 64 },
    { headDim: 64, maxPositions: 300, theta: 500000, scaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 } },
    { headDim: 16, maxPositions: 64, theta: 10000, scaling: { type: "linear", factor: 2 } },
  ];
  for (const cfg of cfgs) {
    it(`D ${cfg.headDim} scaling ${cfg.scaling?.type ?? "none"}: offsets and explicit positions`, async () => {
      const [B, T, H, D] = [2, 13, 3, cfg.headDim];
      const x = randn(B * T * H * D, D);
      const tables = createRopeTables(ctx, cfg);
      const X = ctx.upload(x, [B, T, H, D]);
      expectClose(await ctx.readF32(rope(ctx, X, tables)), ropeRef(x, B, T, H, D, cfg), 1e-5, 1e-5, "offset 0");
      expectClose(await ctx.readF32(rope(ctx, X, tables, { offset: 40 })), ropeRef(x, B, T, H, D, cfg, undefined, 40), 1e-5, 1e-5, "offset 40");
      const pos = randInt(B * T, cfg.maxPositions, 5);
      expectClose(await ctx.readF32(rope(ctx, X, tables, { positions: ctx.upload(pos, [B, T]) })), ropeRef(x, B, T, H, D, cfg, pos), 1e-5, 1e-5, "positions");
    });
  }
});

describe("embedding gather", () => {
  it("reference copies rows and zero-fills unknown ids", () => {
    expect([...embeddingRef(new Float32Array([1, 2, 3, 4]), 2, new Uint32Array([1, 5, 0]))]).toEqual([3, 4, 0, 0, 1, 2]);
  });
  for (const [V, D, N] of [[1, 1, 1], [50, 7, 13], [1000, 64, 77]]) {
    it(`V ${V} D ${D} tokens ${N}`, async () => {
      const table = randn(V * D, V), ids = randInt(N, V, D);
      const Y = embedding(ctx, ctx.upload(table, [V, D]), ctx.upload(ids, [N]));
      expect(Y.shape).toEqual([N, D]);
      expectClose(await ctx.readF32(Y), embeddingRef(table, D, ids), 0, 0);
    });
  }
});
