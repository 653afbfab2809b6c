import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GpuContext, argmaxRows, maxRows, sumRows, logSoftmax, softmax, layerNorm, rmsNorm, crossEntropy, topk,
} from "../../kernels/index.js";
import * as R from "../../kernels/reference/rows.js";
import { expectClose, randInt, randn, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("row references on hand-computed cases", () => {
  const x = new Float32Array([1, 3, 2, -1, -5, -1]); // two rows of 3
  it("sum, max, argmax (ties -> first index)", () => {
    expect([...R.sumRowsRef(x, 3)]).toEqual([6, -7]);
    expect([...R.maxRowsRef(x, 3)]).toEqual([3, -1]);
    expect([...R.argmaxRowsRef(x, 3)]).toEqual([1, 0]);
  });
  it("softmax of [0, ln 3] is [1/4, 3/4]; log-softmax is its log", () => {
    const s = R.softmaxRef(new Float32Array([0, Math.log(3)]), 2);
    expect(s[0]).toBeCloseTo(0.25, 7); expect(s[1]).toBeCloseTo(0.75, 7);
    expect(R.softmaxRef(new Float32Array([0, Math.log(3)]), 2, true)[0]).toBeCloseTo(Math.log(0.25), 6);
  });
  it("rmsNorm of [3, 4] with w=[1, 2]: rms = sqrt(12.5)", () => {
    const y = R.rmsNormRef(new Float32Array([3, 4]), new Float32Array([1, 2]), 0);
    expect(y[0]).toBeCloseTo(3 / Math.sqrt(12.5), 6); expect(y[1]).toBeCloseTo(8 / Math.sqrt(12.5), 6);
  });
  it("layerNorm of [1, 3]: mean 2, var 1 -> [-1, 1]·w + b", () => {
    const y = R.layerNormRef(new Float32Array([1, 3]), new Float32Array([2, 2]), new Float32Array([0.5, 0.5]), 0);
    expect([...y]).toEqual([-1.5, 2.5]);
  });
  it("cross-entropy of uniform logits is ln V; ignored target gives 0", () => {
    const l = R.crossEntropyRef(new Float32Array([0, 0, 0, 0, 5, 5, 5, 5]), new Uint32Array([2, 0xffffffff]), 4);
    expect(l[0]).toBeCloseTo(Math.log(4), 6); expect(l[1]).toBe(0);
  });
  it("top-2 of [1, 3, 3, 0] is 3@1, 3@2", () => {
    const t = R.topkRef(new Float32Array([1, 3, 3, 0]), 4, 2);
    expect([...t.values]).toEqual([3, 3]); expect([...t.indices]).toEqual([1, 2]);
  });
});

describe("row ops on the GPU vs the references", () => {
  const shapes: number[][] = [[1, 1], [1, 300], [7, 33], [3, 4, 129], [65, 1000]];
  for (const shape of shapes) {
    const n = shape[shape.length - 1], size = shape.reduce((a, b) => a * b, 1);
    it(`reductions, softmax, norms on ${JSON.stringify(shape)}`, async () => {
      const x = randn(size, size + 1, 3);
      const X = ctx.upload(x, shape);
      expectClose(await ctx.readF32(sumRows(ctx, X)), R.sumRowsRef(x, n), 1e-4, 1e-5, "sum");
      expectClose(await ctx.readF32(maxRows(ctx, X)), R.maxRowsRef(x, n), 0, 0, "max");
      expect([...(await ctx.read(argmaxRows(ctx, X)))]).toEqual([...R.argmaxRowsRef(x, n)]);
      expectClose(await ctx.readF32(softmax(ctx, X)), R.softmaxRef(x, n), 1e-7, 1e-5, "softmax");
      expectClose(await ctx.readF32(logSoftmax(ctx, X)), R.softmaxRef(x, n, true), 1e-5, 1e-5, "logSoftmax");
      const w = randn(n, 9), b = randn(n, 10);
      const W = ctx.upload(w, [n]), B = ctx.upload(b, [n]);
      expectClose(await ctx.readF32(rmsNorm(ctx, X, W, 1e-6)), R.rmsNormRef(x, w, 1e-6), 1e-5, 1e-4, "rmsNorm");
      expectClose(await ctx.readF32(layerNorm(ctx, X, W, B, 1e-5)), R.layerNormRef(x, w, b, 1e-5), 1e-5, 1e-4, "layerNorm");
    });
  }
  it("argmax breaks ties toward the lowest index", async () => {
    const x = new Float32Array([1, 7, 7, 7, 2, 2, 0, 2]);
    expect([...(await ctx.read(argmaxRows(ctx, ctx.upload(x, [2, 4]))))]).toEqual([1, 0]);
  });
  for (const [N, V] of [[1, 5], [9, 333], [4, 2000]]) {
    it(`cross-entropy N ${N} V ${V} with an ignored target`, async () => {
      const logits = randn(N * V, V, 5), targets = randInt(N, V, N);
      targets[N - 1] = 0xffffffff;
      const L = crossEntropy(ctx, ctx.upload(logits, [N, V]), ctx.upload(targets, [N]));
      expectClose(await ctx.readF32(L), R.crossEntropyRef(logits, targets, V), 1e-5, 1e-5);
    });
  }
  it("cross-entropy gives NaN for an out-of-range target", async () => {
    const L = await ctx.readF32(crossEntropy(ctx, ctx.upload(new Float32Array(6), [2, 3]), ctx.upload(new Uint32Array([1, 3]), [2])));
    expect(L[0]).toBeCloseTo(Math.log(3), 6); expect(L[1]).toBeNaN();
  });
  for (const [rows, n, k] of [[1, 1, 1], [5, 100, 7], [3, 1500, 40]]) {
    it(`top-k rows ${rows} n ${n} k ${k}`, async () => {
      const x = randn(rows * n, n + k, 2);
      x[3 % (rows * n)] = x[0]; // a tie
      const { values, indices } = topk(ctx, ctx.upload(x, [rows, n]), k);
      const want = R.topkRef(x, n, k);
      expectClose(await ctx.readF32(values), want.values, 0, 0, "values");
      expect([...(await ctx.read(indices))]).toEqual([...want.indices]);
    });
  }
});
