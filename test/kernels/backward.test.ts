// Backward kernels: each float64 reference against central finite differences of its float64
// forward (the loss is a random linear functional of the output), then each GPU kernel against
// its reference on small shapes that are not multiples of any tile.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GpuContext, matmul, createRopeTables, attention, embeddingBackward, groupRows, rmsNormBackward,
  ropeBackward, attentionBackward, attentionBackwardTiles, swigluBackward, crossEntropyBackward, adamw,
  sumSquaresInto, sumSquaresPartials, splitK, weightGradInto,
} from "../../kernels/index.js";
import { ropeTablesRef } from "../../kernels/reference/rope.js";
import { dkvTiledBytes, dqTiledBytes } from "../../kernels/backward/attention_tiled.js";
import * as R from "../../kernels/backward/reference.js";
import { expectClose, randInt, randn, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

const f64 = (a: ArrayLike<number>) => Float64Array.from(a);
const dotc = (y: ArrayLike<number>, c: ArrayLike<number>) => { let s = 0; for (let i = 0; i < y.length; i++) s += y[i] * c[i]; return s; };

/** Checks an analytic gradient of L(x) = c·f(x) against finite differences at every coordinate. */
function checkFd(label: string, x: Float64Array, grad: ArrayLike<number>, loss: () => number, tol = 1e-7) {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const fd = R.finiteDiff(loss, x, i);
    worst = Math.max(worst, Math.abs(fd - grad[i]) / (1e-3 + Math.abs(fd)));
  }
  expect(worst, `${label}: worst relative error vs finite differences`).toBeLessThan(tol);
}

describe("float64 references vs finite differences", () => {
  it("rmsNorm: dx and dw", () => {
    const n = 7, rows = 3, x = f64(randn(rows * n, 1)), w = f64(randn(n, 2)), c = randn(rows * n, 3);
    const { dx, dw } = R.rmsNormBackwardRef(x, w, c, 1e-5);
    checkFd("dx", x, dx, () => dotc(R.rmsNormRef64(x, w, 1e-5), c));
    checkFd("dw", w, dw, () => dotc(R.rmsNormRef64(x, w, 1e-5), c));
  });
  it("rope: the transpose of the rotation", () => {
    const [B, T, H, D] = [2, 3, 2, 6];
    const { cos, sin } = ropeTablesRef({ headDim: D, maxPositions: 8 });
    const x = f64(randn(B * T * H * D, 4)), c = randn(x.length, 5);
    checkFd("dx", x, R.ropeBackwardRef(c, B, T, H, D, cos, sin, 2), () => dotc(R.ropeRef64(x, B, T, H, D, cos, sin, 2), c));
  });
  it("causal GQA attention: dq, dk, dv", () => {
    const s = { B: 2, T: 5, Hq: 4, Hkv: 2, D: 3 };
    const q = f64(randn(s.B * s.T * s.Hq * s.D, 6)), k = f64(randn(s.B * s.T * s.Hkv * s.D, 7)), v = f64(randn(k.length, 8));
    const c = randn(q.length, 9);
    const g = R.attentionBackwardRef(q, k, v, c, s);
    const L = () => dotc(R.attentionRef64(q, k, v, s), c);
    checkFd("dq", q, g.dq, L);
    checkFd("dk", k, g.dk, L);
    checkFd("dv", v, g.dv, L);
  });
  it("swiglu, cross-entropy, linear, embedding", () => {
    const gt = f64(randn(10, 10, 3)), u = f64(randn(10, 11, 2)), c = randn(10, 12);
    const sg = R.swigluBackwardRef(gt, u, c);
    checkFd("dgate", gt, sg.dGate, () => dotc(R.swigluRef64(gt, u), c));
    checkFd("dup", u, sg.dUp, () => dotc(R.swigluRef64(gt, u), c));
    const V = 6, tg = [2, 0xffffffff, 5, 0], x = f64(randn(4 * V, 13, 3));
    const sum = (a: ArrayLike<number>) => Array.from(a).reduce((p, q) => p + q, 0);
    checkFd("dlogits", x, R.crossEntropyBackwardRef(x, tg, V, 0.25), () => 0.25 * sum(R.crossEntropyRef64(x, tg, V)));
    const [rows, inF, outF] = [3, 4, 5], xi = f64(randn(rows * inF, 14)), W = f64(randn(outF * inF, 15)), cy = randn(rows * outF, 16);
    const lb = R.linearBackwardRef(xi, W, cy, rows, inF, outF);
    checkFd("linear dx", xi, lb.dx, () => dotc(R.linearRef64(xi, W, rows, inF, outF), cy));
    checkFd("linear dW", W, lb.dW, () => dotc(R.linearRef64(xi, W, rows, inF, outF), cy));
    // embedding: gather y[t] = E[ids[t]]
    const E = f64(randn(5 * 3, 17)), ids = [4, 1, 4, 0], ce = randn(ids.length * 3, 18);
    const gather = () => Float64Array.from({ length: ids.length * 3 }, (_, i) => E[ids[Math.floor(i / 3)] * 3 + (i % 3)]);
    checkFd("embedding", E, R.embeddingBackwardRef(ce, ids, 5, 3), () => dotc(gather(), ce));
  });
  it("AdamW: a hand-computed first step", () => {
    // step 1: m̂ = g, v̂ = g², update = lr · g/(|g| + eps) ≈ lr · sign(g); decay p·(1 − lr·wd)
    const r = R.adamwRef([1, -2], [0.5, -3], [0, 0], [0, 0], { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 0, weightDecay: 0.5, step: 1, gradScale: 1 });
    expect(r.p[0]).toBeCloseTo(1 * 0.95 - 0.1, 12);
    expect(r.p[1]).toBeCloseTo(-2 * 0.95 + 0.1, 12);
  });
});

describe("GPU backward kernels vs the references", () => {
  it("embeddingBackward: scatter-add with repeated and out-of-range ids, accumulating", async () => {
    const V = 11, D = 5, ids = [3, 7, 3, 3, 10, 0, 7, 99], N = ids.length;
    expect([...groupRows(ids, V).rows]).toEqual([5, 0, 2, 3, 1, 6, 4]);
    const dy = randn(N * D, 20), init = randn(V * D, 21);
    const g = ctx.upload(init, [V, D]), dyT = ctx.upload(dy, [N, D]);
    embeddingBackward(ctx, dyT, ids, g);
    const want = R.embeddingBackwardRef(dy, ids, V, D).map((x, i) => x + init[i]);
    expectClose(await ctx.readF32(g), want, 1e-6, 1e-5, "dE");
    [g, dyT].forEach((t) => t.release());
  });
  it("rmsNormBackward (dw over one and over several chunks of 64 rows)", async () => {
    for (const rows of [6, 150]) {
    const n = 37, x = randn(rows * n, 22), w = randn(n, 23), dy = randn(rows * n, 24);
    const xt = ctx.upload(x, [rows, n]), wt = ctx.upload(w, [n]), dyt = ctx.upload(dy, [rows, n]), dw = ctx.zeros([n]);
    const dx = rmsNormBackward(ctx, xt, wt, dyt, 1e-6, dw);
    const r = R.rmsNormBackwardRef(x, w, dy, 1e-6);
    expectClose(await ctx.readF32(dx), r.dx, 1e-5, 1e-4, "dx");
    expectClose(await ctx.readF32(dw), r.dw, 1e-5, 1e-4, "dw");
    [xt, wt, dyt, dw, dx].forEach((t) => t.release());
    }
  });
  it("weightGradInto: dW += dyᵀ x unsplit and split-K", async () => {
    expect([splitK(12), splitK(128), splitK(16384), splitK(96)]).toEqual([1, 4, 32, 2]);
    for (const [N, split] of [[12, 1], [256, 8], [96, undefined]] as const) {
      const [inF, outF] = [13, 7], x = randn(N * inF, 60 + N), W = randn(outF * inF, 61), dY = randn(N * outF, 62 + N), init = randn(outF * inF, 63);
      const g = weightGradInto(ctx, ctx.upload(dY, [N, outF]), ctx.upload(x, [N, inF]), ctx.upload(init, [outF, inF]), { split });
      const want = R.linearBackwardRef(x, W, dY, N, inF, outF).dW.map((v, i) => v + init[i]);
      expectClose(await ctx.readF32(g), want, 1e-5, 1e-4, `dW N=${N}`);
    }
  });
  it("ropeBackward", async () => {
    const [B, T, H, D] = [2, 5, 3, 8];
    const tables = createRopeTables(ctx, { headDim: D, maxPositions: 16 });
    const { cos, sin } = ropeTablesRef({ headDim: D, maxPositions: 16 });
    const dy = randn(B * T * H * D, 25);
    const out = ropeBackward(ctx, ctx.upload(dy, [B, T, H, D]), tables, { offset: 3 });
    expectClose(await ctx.readF32(out), R.ropeBackwardRef(dy, B, T, H, D, cos, sin, 3), 1e-6, 1e-5, "dx");
  });
  it("attentionBackward (GQA, T not a multiple of anything, head dims 8 and 12)", async () => {
    for (const s of [{ B: 2, T: 7, Hq: 4, Hkv: 2, D: 8 }, { B: 1, T: 13, Hq: 3, Hkv: 1, D: 12 }, { B: 2, T: 70, Hq: 2, Hkv: 1, D: 4 }]) {
      const q = randn(s.B * s.T * s.Hq * s.D, 26), k = randn(s.B * s.T * s.Hkv * s.D, 27), v = randn(k.length, 28), dO = randn(q.length, 29);
      const qt = ctx.upload(q, [s.B, s.T, s.Hq, s.D]), kt = ctx.upload(k, [s.B, s.T, s.Hkv, s.D]), vt = ctx.upload(v, [s.B, s.T, s.Hkv, s.D]);
      const o = attention(ctx, qt, kt, vt, { kernel: "rowwise" });
      const g = attentionBackward(ctx, qt, kt, vt, o, ctx.upload(dO, q.length === 0 ? [0] : [s.B, s.T, s.Hq, s.D]), { kernel: "rowwise" });
      const r = R.attentionBackwardRef(q, k, v, dO, s);
      expectClose(await ctx.readF32(g.dq), r.dq, 2e-5, 2e-4, `dq ${JSON.stringify(s)}`);
      expectClose(await ctx.readF32(g.dk), r.dk, 2e-5, 2e-4, `dk ${JSON.stringify(s)}`);
      expectClose(await ctx.readF32(g.dv), r.dv, 2e-5, 2e-4, `dv ${JSON.stringify(s)}`);
    }
  });
  // Its own limit: with Mesa's shader cache cold (a fresh CI machine) lavapipe compiles every tiled pipeline,
  // 305 s alone on 2 cores and over 600 s beside other work (1 s with the cache warm); 30 min is 6x that.
  it("tiled attentionBackward (head dim 64 and 128, every tile, GQA, T past block edges) against the float64 reference", { timeout: 30 * 60_000 }, async () => {
    const limit = ctx.limits.maxComputeWorkgroupStorageSize;
    const tiles = [{ BQ: 16, BK: 16 }, { BQ: 32, BK: 16 }, { BQ: 16, BK: 32 }, { BQ: 32, BK: 32 }];
    let ran = 0;
    for (const s of [{ B: 2, T: 37, Hq: 4, Hkv: 2, D: 64 }, { B: 1, T: 50, Hq: 3, Hkv: 1, D: 64 }, { B: 1, T: 19, Hq: 2, Hkv: 2, D: 128 }]) {
      const q = randn(s.B * s.T * s.Hq * s.D, 36), k = randn(s.B * s.T * s.Hkv * s.D, 37), v = randn(k.length, 38), dO = randn(q.length, 39);
      const qt = ctx.upload(q, [s.B, s.T, s.Hq, s.D]), kt = ctx.upload(k, [s.B, s.T, s.Hkv, s.D]), vt = ctx.upload(v, [s.B, s.T, s.Hkv, s.D]);
      const o = attention(ctx, qt, kt, vt, { kernel: "rowwise" });
      const r = R.attentionBackwardRef(q, k, v, dO, s);
      const dOt = ctx.upload(dO, [s.B, s.T, s.Hq, s.D]);
      // every tile on the dQ kernel (the dK/dV kernel on the smallest), then every tile on the dK/dV kernel
      for (const t of [...tiles.map((x) => ({ dq: x, dkv: tiles[0] })), ...tiles.slice(1).map((x) => ({ dq: tiles[0], dkv: x }))]) {
        if (dqTiledBytes(s.D, t.dq) > limit || dkvTiledBytes(s.D, t.dkv) > limit) continue;
        const g = attentionBackward(ctx, qt, kt, vt, o, dOt, { kernel: "tiled", tiles: t });
        const label = `${JSON.stringify(s)} tiles ${JSON.stringify(t)}`;
        expectClose(await ctx.readF32(g.dq), r.dq, 2e-5, 2e-4, `dq ${label}`);
        expectClose(await ctx.readF32(g.dk), r.dk, 2e-5, 2e-4, `dk ${label}`);
        expectClose(await ctx.readF32(g.dv), r.dv, 2e-5, 2e-4, `dv ${label}`);
        ran++;
      }
    }
    // lavapipe (32 KiB of workgroup memory): at head dim 64 every tile but 32×32 on either kernel, on two shapes
    expect(ran, "tiled configurations that fit this device's workgroup memory").toBeGreaterThanOrEqual(10);
    // the default picks the tiled kernels for head dim 64 where they fit
    expect(attentionBackwardTiles(ctx, 64)).not.toBeNull();
    expect(attentionBackwardTiles(ctx, 48)).toBeNull();
    const z = (d: number) => ctx.zeros([1, 2, 1, d]);
    expect(() => attentionBackward(ctx, z(8), z(8), z(8), z(8), z(8), { kernel: "tiled" })).toThrow(/multiple of 64/);
    // forced tiles are checked as the defaults are: a head dim the tiles cannot cover, tiles over the memory limit
    expect(() => attentionBackward(ctx, z(96), z(96), z(96), z(96), z(96), { kernel: "tiled", tiles: { dq: tiles[0], dkv: tiles[0] } })).toThrow(/multiple of 64/);
    if (dkvTiledBytes(64, tiles[3]) > limit)
      expect(() => attentionBackward(ctx, z(64), z(64), z(64), z(64), z(64), { kernel: "tiled", tiles: { dq: tiles[0], dkv: tiles[3] } })).toThrow(/workgroup memory/);
  });
  it("swigluBackward and the linear gradients through matmul", async () => {
    const n = 333, g = randn(n, 30, 4), u = randn(n, 31), dy = randn(n, 32);
    const r = swigluBackward(ctx, ctx.upload(g, [n]), ctx.upload(u, [n]), ctx.upload(dy, [n]));
    const want = R.swigluBackwardRef(g, u, dy);
    expectClose(await ctx.readF32(r.dGate), want.dGate, 1e-5, 1e-4, "dgate");
    expectClose(await ctx.readF32(r.dUp), want.dUp, 1e-5, 1e-4, "dup");
    const [rows, inF, outF] = [9, 13, 7], x = randn(rows * inF, 33), W = randn(outF * inF, 34), dY = randn(rows * outF, 35);
    const dyT = ctx.upload(dY, [rows, outF]);
    const dx = matmul(ctx, dyT, ctx.upload(W, [outF, inF]));
    const dW = matmul(ctx, dyT, ctx.upload(x, [rows, inF]), { transA: true });
    const lr = R.linearBackwardRef(x, W, dY, rows, inF, outF);
    expectClose(await ctx.readF32(dx), lr.dx, 1e-5, 1e-4, "linear dx");
    expectClose(await ctx.readF32(dW), lr.dW, 1e-5, 1e-4, "linear dW");
  });
  it("crossEntropyBackward: loss and gradient, ignored rows", async () => {
    const N = 5, V = 77, x = randn(N * V, 36, 5), tg = Uint32Array.from([3, 0xffffffff, 76, 0, 40]);
    const r = crossEntropyBackward(ctx, ctx.upload(x, [N, V]), ctx.upload(tg, [N]), { scale: 0.25 });
    expectClose(await ctx.readF32(r.loss), R.crossEntropyRef64(x, tg, V), 1e-5, 1e-5, "loss");
    expectClose(await ctx.readF32(r.dLogits), R.crossEntropyBackwardRef(x, tg, V, 0.25), 1e-6, 1e-4, "dlogits");
  });
  it("adamw over three steps and the sum of squares", async () => {
    const n = 1000, s = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradScale: 0.5 };
    let p = f64(randn(n, 37)), m = new Float64Array(n), v = new Float64Array(n);
    const P = ctx.upload(Float32Array.from(p), [n]), M = ctx.zeros([n]), Vt = ctx.zeros([n]);
    for (let step = 1; step <= 3; step++) {
      const g = randn(n, 40 + step);
      adamw(ctx, P, ctx.upload(g, [n]), M, Vt, { ...s, step });
      ({ p, m, v } = R.adamwRef(p, g, m, v, { ...s, step }));
    }
    expectClose(await ctx.readF32(P), p, 1e-6, 1e-5, "params");
    expectClose(await ctx.readF32(Vt), v, 1e-9, 1e-4, "v");
    const x = randn(10_000, 50), parts = sumSquaresPartials(x.length);
    const out = ctx.zeros([parts + 3]);
    sumSquaresInto(ctx, ctx.upload(x, [x.length]), out, 3);
    const got = Array.from(await ctx.readF32(out)).reduce((a, b) => a + b, 0);
    expect(got).toBeCloseTo(x.reduce((a, b) => a + b * b, 0), 2);
  });
});
