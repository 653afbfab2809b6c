// Bad input fails with a message naming the op, the shapes or limits, and the fix.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GpuContext, matmul, softmax, rmsNorm, add, embedding, crossEntropy, topk, attention, createRopeTables,
  rope,
} from "../../kernels/index.js";
import { requireFeature } from "../../kernels/ops/common.js";
import { withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("bad input", () => {
  it("shape mismatches", () => {
    expect(() => matmul(ctx, ctx.zeros([2, 3]), ctx.zeros([4, 5]))).toThrow(/matmul: A \[2,3\] · B \[4,5\]: inner dimensions 3 and 4 differ\. Fix: /);
    expect(() => matmul(ctx, ctx.zeros([2, 2, 3]), ctx.zeros([3, 3, 5]))).toThrow(/matmul: .*batch dims \[2\] and \[3\] differ/);
    expect(() => add(ctx, ctx.zeros([2, 3]), ctx.zeros([2]))).toThrow(/add: shapes \[2,3\] and \[2\] do not match/);
    expect(() => rmsNorm(ctx, ctx.zeros([2, 8]), ctx.zeros([7]))).toThrow(/rmsNorm: weight \[7\] has last dim 7, expected 8/);
    expect(() => crossEntropy(ctx, ctx.zeros([3, 5]), ctx.zeros([2], "u32"))).toThrow(/crossEntropy: logits \[3,5\] has 3 rows but targets \[2\] has 2 entries/);
    expect(() => topk(ctx, ctx.zeros([2, 5]), 6)).toThrow(/topk: k = 6 for rows of 5.*Fix: pass 1 <= k <= 5/);
    expect(() => attention(ctx, ctx.zeros([1, 4, 2, 6]), ctx.zeros([1, 4, 2, 6]), ctx.zeros([1, 4, 2, 6]))).toThrow(/attention: .*head dim 6 is not a multiple of 4/);
    const tables = createRopeTables(ctx, { headDim: 8, maxPositions: 4 });
    expect(() => rope(ctx, ctx.zeros([1, 5, 1, 8]), tables)).toThrow(/rope: positions up to 4 exceed the tables' 4 positions/);
    expect(() => ctx.upload([1, 2, 3], [2, 2])).toThrow(/upload: 3 values do not fill shape \[2,2\]/);
  });
  it("wrong dtypes", () => {
    expect(() => softmax(ctx, ctx.zeros([2, 3], "u32"))).toThrow(/softmax: x has dtype u32 \[2,3\], expected f32\. Fix: convert x to f32/);
    expect(() => embedding(ctx, ctx.zeros([4, 2]), ctx.zeros([3]))).toThrow(/embedding: ids have dtype f32 \[3\]\. Fix: pass token ids as a u32 tensor/);
    expect(() => matmul(ctx, ctx.zeros([2, 2], "i32"), ctx.zeros([2, 2]))).toThrow(/matmul: A has dtype i32/);
  });
  it("a missing feature", () => {
    expect(() => requireFeature(ctx, "int8 matmul", "chromium-experimental-subgroup-matrix")).toThrow(
      /int8 matmul: the adapter .* lacks the WebGPU feature chromium-experimental-subgroup-matrix\. Fix: /,
    );
  });
  it("using a released tensor", async () => {
    const t = ctx.zeros([2]);
    t.release();
    await expect(ctx.read(t)).rejects.toThrow(/read: tensor was released/);
    expect(() => softmax(ctx, t)).toThrow(/dispatch: a bound tensor was released/);
  });
});
