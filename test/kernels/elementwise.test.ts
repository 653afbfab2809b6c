import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, binary, unary, type BinaryOp, type UnaryOp } from "../../kernels/index.js";
import { binaryRef, erf, unaryRef, UNARY_REF } from "../../kernels/reference/elementwise.js";
import { expectClose, randn, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("elementwise references", () => {
  it("erf matches tabulated values", () => {
    expect(erf(0)).toBe(0);
    expect(erf(0.5)).toBeCloseTo(0.5204998778, 9);
    expect(erf(1)).toBeCloseTo(0.8427007929, 9);
    expect(erf(-2)).toBeCloseTo(-0.9953222650, 9);
    expect(erf(3)).toBeCloseTo(0.9999779095, 9);
  });
  it("silu, gelu, geluTanh at hand-checked points", () => {
    expect(UNARY_REF.silu(0, 0)).toBe(0);
    expect(UNARY_REF.silu(1, 0)).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(UNARY_REF.gelu(1, 0)).toBeCloseTo(0.8413447461, 9); // x·Φ(x), Φ(1) = 0.8413447461
    expect(UNARY_REF.geluTanh(1, 0)).toBeCloseTo(0.8411919906, 9);
  });
});

describe("elementwise on the GPU vs the reference", () => {
  const unaries: UnaryOp[] = ["silu", "gelu", "geluTanh", "relu", "sigmoid", "tanh", "exp", "neg", "abs", "scale"];
  const x = randn(1000, 3, 4); // values in [-4, 4]
  for (const op of unaries) {
    it(`${op} on 1000 values`, async () => {
      const X = ctx.upload(x, [10, 100]);
      const Y = unary(ctx, op, X, 0.37);
      expectClose(await ctx.readF32(Y), unaryRef(op, x, 0.37), 2e-6, 2e-5, op);
    });
  }
  it("sqrt and rsqrt on positive values", async () => {
    const p = randn(77, 4).map((v) => Math.abs(v) + 0.1);
    const P = ctx.upload(p, [77]);
    expectClose(await ctx.readF32(unary(ctx, "sqrt", P)), unaryRef("sqrt", p), 1e-6, 1e-6);
    expectClose(await ctx.readF32(unary(ctx, "rsqrt", P)), unaryRef("rsqrt", p), 1e-6, 1e-5);
  });
  const binaries: BinaryOp[] = ["add", "sub", "mul", "div", "max", "swiglu", "geglu"];
  for (const op of binaries) {
    it(`${op}, same shape and broadcast over rows`, async () => {
      const a = randn(3 * 5 * 7, 5, 3), b = randn(3 * 5 * 7, 6, 3).map((v) => (op === "div" ? v + 4 : v)), bias = randn(7, 7).map((v) => (op === "div" ? v + 2 : v));
      const A = ctx.upload(a, [3, 5, 7]), B = ctx.upload(b, [3, 5, 7]), Bias = ctx.upload(bias, [7]);
      expectClose(await ctx.readF32(binary(ctx, op, A, B)), binaryRef(op, a, b), 2e-6, 2e-5, op);
      expectClose(await ctx.readF32(binary(ctx, op, A, Bias)), binaryRef(op, a, bias), 2e-6, 2e-5, `${op} broadcast`);
    });
  }
  it("a single element (batch 1, size 1)", async () => {
    const A = ctx.upload([2], [1]), B = ctx.upload([3], [1]);
    expect([...(await ctx.readF32(binary(ctx, "mul", A, B)))]).toEqual([6]);
  });
});
