import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, matmul, parseTile } from "../../kernels/index.js";
import { matmulRef } from "../../kernels/reference/matmul.js";
import { expectClose, randn, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("matmul reference", () => {
  it("matches a hand-computed 2x3 · 3x2 product, and its transposes", () => {
    const a = new Float32Array([1, 2, 3, 4, 5, 6]); // [[1,2,3],[4,5,6]]
    const b = new Float32Array([7, 8, 9, 10, 11, 12]); // [[7,8],[9,10],[11,12]]
    expect([...matmulRef(a, b, 1, 2, 2, 3)]).toEqual([58, 64, 139, 154]);
    const aT = new Float32Array([1, 4, 2, 5, 3, 6]);
    const bT = new Float32Array([7, 9, 11, 8, 10, 12]);
    expect([...matmulRef(aT, bT, 1, 2, 2, 3, { transA: true, transB: true })]).toEqual([58, 64, 139, 154]);
  });
});

describe("matmul on the GPU vs the reference", () => {
  const cases: Array<[number, number, number, number, boolean, boolean, boolean]> = [
    // batch, M, N, K, transA, transB, broadcastB
    [1, 1, 1, 1, false, false, false],
    [1, 1, 37, 19, false, true, false],
    [1, 33, 31, 17, false, false, false],
    [1, 64, 64, 64, false, false, false],
    [2, 45, 70, 36, false, true, false],
    [3, 20, 12, 9, true, false, false],
    [2, 29, 40, 24, true, true, false],
    [3, 40, 33, 50, false, true, true],
    [1, 100, 3, 5, false, false, false],
  ];
  for (const [batch, M, N, K, tA, tB, bc] of cases) {
    it(`batch ${batch} M ${M} N ${N} K ${K} transA ${tA} transB ${tB}${bc ? " broadcast B" : ""}`, async () => {
      const a = randn(batch * M * K, 1 + M), b = randn((bc ? 1 : batch) * K * N, 2 + N);
      const A = ctx.upload(a, [batch, ...(tA ? [K, M] : [M, K])]);
      const B = ctx.upload(b, bc ? (tB ? [N, K] : [K, N]) : [batch, ...(tB ? [N, K] : [K, N])]);
      const C = matmul(ctx, A, B, { transA: tA, transB: tB });
      expect(C.shape).toEqual([batch, M, N]);
      expectClose(await ctx.readF32(C), matmulRef(a, b, batch, M, N, K, { transA: tA, transB: tB, broadcastB: bc }), 1e-4, 1e-4);
      for (const t of [A, B, C]) t.release();
    });
  }

  // The GPU tiles (the runtime's default and a sweep alternative) run here too, on ragged shapes.
  for (const tile of ["256x128x8/16x8", "128x128x16/8x8"]) {
    it(`runs the GPU tile ${tile} correctly on ragged shapes`, async () => {
      const M = 260, N = 136, K = 40; // not tile multiples; N%4==0 (vec4 stores)
      const a = randn(M * K, 5), b = randn(N * K, 6);
      const A = ctx.upload(a, [M, K]), B = ctx.upload(b, [N, K]);
      const C = matmul(ctx, A, B, { transB: true, tile: parseTile(tile) });
      expectClose(await ctx.readF32(C), matmulRef(a, b, 1, M, N, K, { transB: true }), 1e-4, 1e-4);
    });
  }
});
