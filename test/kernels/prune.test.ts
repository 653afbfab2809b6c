// Pruning / linear-algebra kernels (kernels/ops/prune.ts, linalg.ts) vs their plain-TS references
// (kernels/reference/prune.ts) on small shapes that are not tile multiples, plus hand cases.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GpuContext, CholeskyError, cholBlock, gemmUpdate, hessianInverseFactor, matView, columnSqAccumulate,
  hessianAccumulate, kthSmallest, magnitudePrune, sparsegptPrune, wandaPrune, gptqQuantize,
} from "../../kernels/index.js";
import { matmulWgsl } from "../../kernels/ops/matmul_wgsl.js";
import { choleskyRef, hessianRef, hinvRef, magnitudeRef, sparsegptRef, wandaRef } from "../../kernels/reference/prune.js";
import { gptqRef } from "../../kernels/reference/quant.js";
import { expectClose, randn, rng, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

const gauss = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
};
/** Activations with a few 30× outlier channels. */
const acts = (T: number, n: number, seed: number) => {
  const X = gauss(T * n, seed);
  for (let t = 0; t < T; t++) for (const c of [1, Math.floor(n / 2)]) X[t * n + c] *= 30;
  return X;
};
async function gpuHessian(X: Float32Array, T: number, n: number, c = ctx) {
  const ctx = c;
  const H = ctx.zeros([n, n]);
  hessianAccumulate(ctx, H, ctx.upload(X, [T, n]), 0, 1);
  return { H, Hd: await ctx.readF32(H) };
}

describe("references on hand-worked cases", () => {
  it("Cholesky of [[4,2],[2,5]] is [[2,0],[1,2]]", () => {
    expect(Array.from(choleskyRef([4, 2, 2, 5], 2)!)).toEqual([2, 0, 1, 2]);
    expect(choleskyRef([1, 2, 2, 1], 2)).toBeNull();
  });
  it("Hinv of a diagonal H is diag(1/sqrt(h + 0.01·mean)); a dead diagonal counts as 1", () => {
    const U = hinvRef([3, 0, 0, 0], 2, 0.01); // diag → [3, 1], mean 2, damp 0.02
    expect(U[0]).toBeCloseTo(1 / Math.sqrt(3.02), 12);
    expect(U[3]).toBeCloseTo(1 / Math.sqrt(1.02), 12);
    expect(U[1]).toBe(0);
  });
  it("magnitude: ties at the threshold over-prune (<=), as the reference", () => {
    const W = magnitudeRef([1, -1, 1, 3], 1, 4, { sparsity: 0.25 }); // thresh = sorted[1] = 1
    expect(Array.from(W)).toEqual([0, 0, 0, 3]);
  });
  it("wanda: ties broken by the lower index (stable sort)", () => {
    const W = wandaRef([2, 1, 1, 1], [1, 4, 4, 4], 1, 4, { sparsity: 0.5 }); // scores [2,2,2,2]
    expect(Array.from(W)).toEqual([0, 0, 1, 1]);
  });
});

describe("GPU kernels vs references", () => {
  it("the strided form of kick's matmul generator reads through lda/ldb and keeps the triangular K ranges", () => {
    for (const transB of [false, true])
      for (const vec of [false, true])
        for (const checked of [false, true]) {
          const v = { BM: 128, BN: 128, BK: 8, TM: 8, TN: 8, transA: false, transB, checked, vecA: vec, vecB: vec, vecC: vec };
          const code = matmulWgsl({ ...v, strided: true }), what = `transB=${transB} vec=${vec} checked=${checked}`;
          // the triangular K ranges (GemmOptions.tri) are in the loop, not silently dropped
          expect(code, what).toContain("for (var t = tS; t < tE; t++)");
          expect(code, what).toContain("tS = gn0 / 8u");
          expect(code, what).toMatch(/p\.beta \* C\[ci\]/);
          // no operand read or batch offset of the dense form is left (they would ignore the views' strides)
          expect(code, what).not.toMatch(/wg\.z \* p\.stride|[^.]p\.K \+ gk|gr \* p\.K|gk \* p\.N/);
          expect(matmulWgsl(v), what).not.toContain("p.lda");
        }
  });

  it("gemmUpdate on strided views, transB and lower, odd shapes", async () => {
    for (const [m, n, k, transB] of [[70, 45, 33, false], [37, 52, 16, true], [5, 3, 1, false]] as const) {
      const lda = k + 3, ldb = (transB ? k : n) + 1, ldc = n + 2;
      const A = randn(m * lda + 7, 1), B = randn((transB ? n : k) * ldb + 5, 2), C0 = randn(m * ldc + 4, 3);
      const want = Float64Array.from(C0);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += A[7 + i * lda + q]! * (transB ? B[5 + j * ldb + q]! : B[5 + q * ldb + j]!);
        want[4 + i * ldc + j] = 0.5 * C0[4 + i * ldc + j]! - 2 * s;
      }
      const a = ctx.upload(A, [A.length]), b = ctx.upload(B, [B.length]), c = ctx.upload(C0, [C0.length]);
      gemmUpdate(ctx, m, n, k, matView(a, 7, lda), matView(b, 5, ldb), matView(c, 4, ldc), { transB, alpha: -2, beta: 0.5 });
      expectClose(await ctx.readF32(c), want, 1e-4, 1e-4, `gemm ${m}x${n}x${k}`);
      a.release(); b.release(); c.release();
    }
  });

  it("gemmUpdate with a lower-triangular operand (tri) skips only K-tiles of zeros", async () => {
    // The triangle's zeros are stored, so the full product is the reference; a wrong K range
    // (tiles skipped that hold nonzeros) changes the result. Shapes span several tiles of K.
    const lowerOf = (d: number, seed: number) => { const L = randn(d * d, seed); for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) L[i * d + j] = 0; return L; };
    const full = (m: number, n: number, k: number, A: ArrayLike<number>, B: ArrayLike<number>, transB: boolean) =>
      Float64Array.from({ length: m * n }, (_, e) => { const i = Math.floor(e / n), j = e % n; let s = 0; for (let q = 0; q < k; q++) s += A[i * k + q]! * (transB ? B[j * k + q]! : B[q * n + j]!); return s; });
    for (const [m, n, k, tri, transB] of [[77, 90, 77, "a", false], [90, 77, 77, "b", false], [90, 77, 77, "b", true], [64, 64, 64, "a", false], [128, 40, 40, "b", true]] as const) {
      const A = tri === "a" ? lowerOf(k, 5) : randn(m * k, 6), B = tri === "b" ? lowerOf(k, 7) : randn(k * n, 8);
      const a = ctx.upload(A, [A.length]), b = ctx.upload(B, [B.length]), c = ctx.zeros([m * n]);
      gemmUpdate(ctx, m, n, k, matView(a, 0, k), matView(b, 0, transB ? k : n), matView(c, 0, n), { transB, alpha: 1, beta: 0, tri });
      expectClose(await ctx.readF32(c), full(m, n, k, A, B, transB), 1e-4, 1e-4, `tri ${tri} ${m}x${n}x${k} transB=${transB}`);
      a.release(); b.release(); c.release();
    }
  });

  it("Hessian accumulation (running average over calls) and Wanda column norms", async () => {
    const n = 45, T1 = 20, T2 = 13, X = acts(T1 + T2, n, 4);
    const H = ctx.zeros([n, n]), S = ctx.zeros([n]);
    let nh = hessianAccumulate(ctx, H, ctx.upload(X.subarray(0, T1 * n), [T1, n]), 0, 1);
    nh = hessianAccumulate(ctx, H, ctx.upload(X.subarray(T1 * n), [T2, n]), nh, 1);
    let ns = columnSqAccumulate(ctx, S, ctx.upload(X.subarray(0, T1 * n), [T1, n]), 0, 1);
    ns = columnSqAccumulate(ctx, S, ctx.upload(X.subarray(T1 * n), [T2, n]), ns, 1);
    const Href = hessianRef(X, T1 + T2, n, 2);
    expectClose(await ctx.readF32(H), Href, 1e-2, 1e-5, "H");
    expectClose(await ctx.readF32(S), Array.from({ length: n }, (_, c) => Href[c * n + c]! / 2), 1e-2, 1e-5, "colSq");
    expect([nh, ns]).toEqual([2, 2]);
  });

  it.each([5, 32, 33, 77, 130, 390])("Hinv (Cholesky → inverse → upper factor) n=%i", async (n) => {
    const T = 3 * n, { H, Hd } = await gpuHessian(acts(T, n, n), T, n);
    const r = await hessianInverseFactor(ctx, H, 0.01);
    const U = await ctx.readF32(r.hinv);
    const want = hinvRef(Hd, n, 0.01);
    let scale = 0;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    expectClose(U, want, 2e-4 * scale, 1e-3, `hinv n=${n}`);
    expect(r.damping).toBe(0.01);
    H.release(); r.hinv.release();
  });

  it("Hinv with 32-wide leaves (GPUs with 16 KiB of workgroup memory): n=300 recurses four levels, uneven splits", async () => {
    const ctx32 = await withContext({ tuning: { cholBlock: 32 } });
    try {
      expect(cholBlock(ctx32)).toBe(32);
      const n = 300, T = 700, { H, Hd } = await gpuHessian(acts(T, n, 5), T, n, ctx32);
      const r = await hessianInverseFactor(ctx32, H, 0.01);
      const want = hinvRef(Hd, n, 0.01);
      expectClose(await ctx32.readF32(r.hinv), want, 2e-4 * Math.max(...Array.from(want, Math.abs)), 1e-3, "hinv bs=32");
    } finally {
      await ctx32.destroy();
    }
  });

  it("damping retry: a Hessian that fails at 1% succeeds at 10%; a hopeless one names the layer", async () => {
    const H = ctx.upload([1, 0, 0, -0.005], [2, 2]); // mean diag 0.4975: 1% → -0.000025 fails, 10% passes
    const r = await hessianInverseFactor(ctx, H, 0.01, "layers.3.q");
    expect(r.damping).toBeCloseTo(0.1, 12);
    expect((await ctx.readF32(r.hinv))[3]).toBeCloseTo(1 / Math.sqrt(-0.005 + 0.1 * 0.4975), 4);
    const bad = ctx.upload([1, 0, 0, -100], [2, 2]);
    await expect(hessianInverseFactor(ctx, bad, 0.01, "layers.7.down")).rejects.toThrow(/layers\.7\.down: .*not positive definite.*damping 1/);
    await expect(hessianInverseFactor(ctx, bad, 0.01, "x")).rejects.toBeInstanceOf(CholeskyError);
  });

  it("kthSmallest is exact with ties and duplicates", async () => {
    const v = Float32Array.from([5, 1, 3, 3, 0, 7, 3, 2, 0.5, 1e-30, 9]);
    const sorted = Array.from(v).sort((a, b) => a - b);
    const T = ctx.upload(v, [v.length]), state = ctx.zeros([2], "u32"), hist = ctx.zeros([256], "u32");
    for (let k = 0; k < v.length; k++) {
      kthSmallest(ctx, T, v.length, k, state, hist);
      const s = await ctx.read(state);
      expect(new Float32Array(new Uint32Array([s[0]!]).buffer)[0]).toBe(Math.fround(sorted[k]!));
    }
  });

  const cases = [
    [40, 96, 0.5, undefined, 32],
    [33, 200, 0.7, undefined, 128],
    [40, 96, 0.5, { n: 2, m: 4 }, 32],
    [17, 136, 0.5, { n: 4, m: 8 }, 128],
    // block 16: lazy spans of 64 columns (LAZY_SPAN_BLOCKS), the last one partial
    [24, 200, 0.5, undefined, 16],
    [24, 200, 0.5, { n: 2, m: 4 }, 16],
  ] as const;
  it.each(cases)("SparseGPT %i×%i s=%f nm=%o block=%i matches the reference", async (rows, cols, s, nm, B) => {
    const T = 4 * cols, X = acts(T, cols, rows);
    for (let t = 0; t < T; t++) X[t * cols + 7] = 0; // a dead input
    const { H, Hd } = await gpuHessian(X, T, cols);
    const W = gauss(rows * cols, cols);
    const Wt = ctx.upload(W, [rows, cols]);
    const r = await sparsegptPrune(ctx, Wt, H, { sparsity: s, nm, blockSize: B });
    const got = await ctx.readF32(Wt);
    const want = sparsegptRef(W, Hd, rows, cols, { sparsity: s, nm, blockSize: B });
    expect(r.deadColumns).toBe(1);
    let same = 0, zeros = 0;
    for (let i = 0; i < got.length; i++) { if ((got[i] === 0) === (want[i] === 0)) same++; if (got[i] === 0) zeros++; }
    expect(same / got.length).toBeGreaterThanOrEqual(0.995);
    expect(zeros / got.length).toBeGreaterThanOrEqual(s);
    expect(zeros / got.length).toBeLessThan(s + 0.02);
    expectClose(got, want, 1e-3, 1e-3, "sparsegpt W");
    Wt.release(); H.release();
  });

  // group 48 does not divide the 64-column span: a group starting mid-span reaches into the next span
  it.each([[false, 32], [true, 32], [false, -1], [false, 48], [true, 48], [false, 96]] as const)("GPTQ across lazy spans (block 16, 192 columns: three spans) matches gptqRef: actOrder=%s group=%i", async (actOrder, groupSize) => {
    const rows = 24, cols = 192, T = 4 * cols, X = acts(T, cols, 9);
    const { H, Hd } = await gpuHessian(X, T, cols);
    const W = gauss(rows * cols, 11).map((v) => v * 0.05);
    const Wt = ctx.upload(W, [rows, cols]);
    const o = { bits: 4, groupSize, sym: false, actOrder, blockSize: 16 };
    const r = await gptqQuantize(ctx, Wt, H, o);
    const lv = new Uint32Array((await ctx.read(r.levels)).buffer);
    const want = gptqRef(W, Hd, rows, cols, o);
    let same = 0;
    for (let i = 0; i < lv.length; i++) if (lv[i] === want.levels[i]) same++;
    expect(same / lv.length).toBeGreaterThanOrEqual(0.99);
    Wt.release(); H.release(); r.levels.release(); r.params.release();
  });

  it("a block below 8 columns is refused (the fused solve's first 8 threads own one row each)", async () => {
    const { H } = await gpuHessian(acts(64, 32, 2), 64, 32);
    const W = ctx.upload(gauss(8 * 32, 3), [8, 32]);
    await expect(sparsegptPrune(ctx, W, H, { sparsity: 0.5, blockSize: 4 })).rejects.toThrow(/blockSize 4 is below 8/);
    await expect(gptqQuantize(ctx, W, H, { bits: 4, groupSize: -1, sym: false, blockSize: 4 })).rejects.toThrow(/blockSize 4 is below 8/);
    W.release(); H.release();
  });

  it.each([[37, 120, 0.5, undefined], [9, 64, 0.3, undefined], [37, 120, 0.5, { n: 2, m: 4 }], [5, 48, 0.5, { n: 5, m: 8 }]] as const)(
    "Wanda and magnitude %i×%i s=%f nm=%o match the references exactly", async (rows, cols, s, nm) => {
      const W = gauss(rows * cols, rows + cols);
      W[3] = W[4] = 0.25; // ties
      const sc = Float32Array.from(gauss(cols, 99), (v) => v * v);
      const Wt = ctx.upload(W, [rows, cols]);
      wandaPrune(ctx, Wt, ctx.upload(sc, [cols]), { sparsity: s, nm });
      expect(Array.from(await ctx.readF32(Wt))).toEqual(Array.from(Float32Array.from(wandaRef(W, sc, rows, cols, { sparsity: s, nm }))));
      const Wm = ctx.upload(W, [rows, cols]);
      magnitudePrune(ctx, Wm, { sparsity: s, nm });
      expect(Array.from(await ctx.readF32(Wm))).toEqual(Array.from(Float32Array.from(magnitudeRef(W, rows, cols, { sparsity: s, nm }))));
    });

  it("bad inputs fail naming the problem", async () => {
    const W = ctx.upload(new Float32Array(6 * 10), [6, 10]);
    expect(() => wandaPrune(ctx, W, ctx.zeros([10]), { sparsity: 0.5, nm: { n: 2, m: 4 } })).toThrow(/width 10 is not divisible by M=4/);
    expect(() => magnitudePrune(ctx, W, { sparsity: 1 })).toThrow(/sparsity 1 outside \[0, 1\)/);
    expect(() => wandaPrune(ctx, W, ctx.zeros([10]), { sparsity: 0.5, nm: { n: 4, m: 4 } })).toThrow(/N:M 4:4/);
    await expect(sparsegptPrune(ctx, W, ctx.zeros([9, 9]), { sparsity: 0.5 })).rejects.toThrow(/H \[9,9\] does not match W \[6,10\]/);
  });
});
