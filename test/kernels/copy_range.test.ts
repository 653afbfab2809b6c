import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, copyRange, copyRangeRef } from "../../kernels/index.js";
import { randn, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("copyRange", () => {
  it("copies an unaligned range into an unaligned offset, leaving the rest", async () => {
    const src = randn(1000, 1), dst = randn(700, 2);
    const want = dst.slice();
    copyRangeRef(src, 13, want, 101, 517);
    expect(want[101]).toBe(src[13]);
    const ts = ctx.upload(src, [1000]), td = ctx.upload(dst, [700]);
    copyRange(ctx, ts, 13, td, 101, 517);
    expect(Array.from(await ctx.readF32(td))).toEqual(Array.from(want));
  });
  it("rejects ranges outside the tensors", () => {
    const a = ctx.upload(new Float32Array(10), [10]), b = ctx.upload(new Float32Array(10), [10]);
    expect(() => copyRange(ctx, a, 5, b, 0, 6)).toThrow(/range/);
  });
});
