// Tensors over maxStorageBufferBindingSize: the ops bind them in several ranges. The context is
// created with a 128 KiB binding cap so that small, fast shapes take the splitting paths; one
// test uses a real table over lavapipe's 128 MiB limit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GpuContext, matmul, embedding, softmax, crossEntropy, rmsNorm, add, silu, swiglu, attention, topk,
} from "../../kernels/index.js";
import { matmulRef } from "../../kernels/reference/matmul.js";
import { attentionRef } from "../../kernels/reference/attention.js";
import { binaryRef, unaryRef } from "../../kernels/reference/elementwise.js";
import * as R from "../../kernels/reference/rows.js";
import { expectClose, randInt, randn, withContext } from "./helpers.js";

const CAP = 128 * 1024;
let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext({ maxStorageBufferBindingSize: CAP }); });
afterAll(async () => { await ctx?.destroy(); });

describe(`ops split over bindings (cap ${CAP} bytes)`, () => {
  it("matmul with A, Bᵀ (nn.Linear weight) and C all over the cap", async () => {
    const [M, N, K] = [600, 600, 64]; // not multiples of the 32-wide software tile
    const a = randn(M * K, 1), w = randn(N * K, 2);
    const A = ctx.upload(a, [M, K]), W = ctx.upload(w, [N, K]);
    expect(W.byteSize).toBeGreaterThan(CAP);
    const before = ctx.dispatchCount;
    const C = matmul(ctx, A, W, { transB: true });
    expect(ctx.dispatchCount - before).toBeGreaterThan(4); // really split
    expectClose(await ctx.readF32(C), matmulRef(a, w, 1, M, N, K, { transB: true }), 1e-4, 1e-4);
  });
  it("matmul whose A rows (272 bytes) and C rows (768 bytes) need different offset alignments", async () => {
    const [M, N, K] = [600, 192, 68];
    const a = randn(M * K, 21), w = randn(N * K, 22);
    const C = matmul(ctx, ctx.upload(a, [M, K]), ctx.upload(w, [N, K]), { transB: true });
    expectClose(await ctx.readF32(C), matmulRef(a, w, 1, M, N, K, { transB: true }), 1e-4, 1e-4);
  });
  it("embedding gather from a table over the cap", async () => {
    const [V, D] = [1000, 40];
    const table = randn(V * D, 3), ids = randInt(97, V, 4);
    ids[0] = V - 1; ids[1] = 0; ids[2] = V + 5; // last row, first row, out of range
    const Y = embedding(ctx, ctx.upload(table, [V, D]), ctx.upload(ids, [97]));
    expectClose(await ctx.readF32(Y), R.embeddingRef(table, D, ids), 0, 0);
  });
  it("softmax, rmsNorm, cross-entropy and top-k over rows of a tensor over the cap", async () => {
    const [N, V] = [200, 300];
    const x = randn(N * V, 5, 3), t = randInt(N, V, 6), w = randn(V, 7);
    const X = ctx.upload(x, [N, V]);
    expectClose(await ctx.readF32(softmax(ctx, X)), R.softmaxRef(x, V), 1e-7, 1e-5, "softmax");
    expectClose(await ctx.readF32(rmsNorm(ctx, X, ctx.upload(w, [V]))), R.rmsNormRef(x, w, 1e-6), 1e-5, 1e-4, "rmsNorm");
    expectClose(await ctx.readF32(crossEntropy(ctx, X, ctx.upload(t, [N]))), R.crossEntropyRef(x, t, V), 1e-5, 1e-5, "ce");
    const tk = topk(ctx, X, 3);
    expect([...(await ctx.read(tk.indices))]).toEqual([...R.topkRef(x, V, 3).indices]);
  });
  it("elementwise: unary, broadcast and same-shape binary over the cap", async () => {
    const n = 40000, a = randn(n, 8), b = randn(n, 9), bias = randn(100, 10);
    const A = ctx.upload(a, [400, 100]), B = ctx.upload(b, [400, 100]), Bias = ctx.upload(bias, [100]);
    expectClose(await ctx.readF32(silu(ctx, A)), unaryRef("silu", a), 1e-6, 1e-5, "silu");
    expectClose(await ctx.readF32(add(ctx, A, Bias)), binaryRef("add", a, bias), 1e-6, 1e-6, "bias");
    expectClose(await ctx.readF32(swiglu(ctx, A, B)), binaryRef("swiglu", a, b), 1e-6, 1e-5, "swiglu");
  });
  it("attention split over the batch", async () => {
    const [B, T, H, D] = [4, 80, 2, 64];
    const q = randn(B * T * H * D, 11), k = randn(B * T * H * D, 12), v = randn(B * T * H * D, 13);
    const O = attention(ctx, ctx.upload(q, [B, T, H, D]), ctx.upload(k, [B, T, H, D]), ctx.upload(v, [B, T, H, D]), { kernel: "rowwise" }); // the split logic is shared by both kernels
    expect(O.byteSize).toBeGreaterThan(CAP);
    expectClose(await ctx.readF32(O), attentionRef(q, k, v, B, T, T, H, H, D), 1e-5, 1e-4);
  });
  it("fails clearly where a tensor cannot be split", () => {
    const B = ctx.zeros([64, 600]); // [K, N] over the cap: not splittable
    expect(() => matmul(ctx, ctx.zeros([2, 64]), B)).toThrow(/matmul: .*B is 153600 bytes, over maxStorageBufferBindingSize 131072.*Fix: store the weight as \[N, K\] and pass transB: true/);
    const q = ctx.zeros([1, 300, 2, 64]);
    expect(() => attention(ctx, q, q, q)).toThrow(/attention: .*over maxStorageBufferBindingSize 131072.*Fix: use fewer tokens/);
  });
});

describe("a real tensor over lavapipe's binding limit", () => {
  it("gathers rows from an embedding table larger than maxStorageBufferBindingSize", async () => {
    const big = await withContext();
    try {
      const limit = big.limits.maxStorageBufferBindingSize;
      const D = 4096, V = Math.floor(limit / (D * 4)) + 100; // 100 rows past the limit
      const table = new Float32Array(V * D);
      for (let r = 0; r < V; r += 97) table.fill(r + 0.5, r * D, r * D + D); // rows 0, 97, ... hold their index
      const ids = new Uint32Array([0, 97, Math.floor((V - 1) / 97) * 97]);
      const T = big.upload(table, [V, D]);
      expect(T.byteSize).toBeGreaterThan(limit);
      const y = await big.readF32(embedding(big, T, big.upload(ids, [3])));
      expect([y[0], y[D - 1], y[D], y[2 * D], y[3 * D - 1]]).toEqual([0.5, 0.5, 97.5, ids[2] + 0.5, ids[2] + 0.5]);
    } finally {
      await big.destroy();
    }
  });
});
