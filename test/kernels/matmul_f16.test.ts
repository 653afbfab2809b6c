// f16 matmul (f16 operands, f32 accumulation) and the f32 ↔ f16 casts, against float64
// references on f16-rounded inputs. On lavapipe (CI) this runs the tiled kernel reading f16;
// the subgroup-matrix kernel is compiled here (test/kernels/matmul_sgmat.test.ts) and run on
// the GPU host (bench/f16-check.ts, results in bench/f16-h100.txt).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, canUseSubgroupMatrix, matmul, parseTile, toF16, toF32 } from "../../kernels/index.js";
import { matmulRef } from "../../kernels/reference/matmul.js";
import { f16Bits, f16Round, f16ToF32, fromF16Bits, toF16Bits } from "../../kernels/reference/f16.js";
import { expectClose, randn, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("f16 reference conversion", () => {
  it("matches IEEE 754 binary16 bit patterns, including ties, subnormals and overflow", () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.1, 0x2e66], [1 / 3, 0x3555],
      [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00], [-Infinity, 0xfc00],
      [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], // ties go to the even significand
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [1.5 * 2 ** -25, 0x0001], [2 ** -14 - 2 ** -25, 0x0400],
    ];
    for (const [x, bits] of cases) expect(f16Bits(x), `f16Bits(${x})`).toBe(bits);
    expect(Number.isNaN(f16ToF32(f16Bits(NaN)))).toBe(true);
    expect(f16ToF32(0x3555)).toBe(0.333251953125);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16Round(65504)).toBe(65504);
  });
});

/** The two halves that bracket x (equal when x is representable). */
function neighbours(x: number): [number, number] {
  const r = f16Round(x), h = f16Bits(x);
  if (r === x) return [r, r];
  const other = f16ToF32(r < x === x > 0 ? h + 1 : h - 1);
  return r < other ? [r, other] : [other, r];
}

describe("toF16 / toF32", () => {
  it("rounds every value to a neighbouring half, saturates at ±65504, and widens exactly", async () => {
    const x = randn(1001, 3, 4); // odd length: the last 32-bit word holds one half
    x[0] = 70000; x[1] = -1e9; x[2] = 65504; x[3] = 2 ** -20; x[4] = 0;
    const X = ctx.upload(x, [7, 143]);
    const H = toF16(ctx, X);
    expect(H.dtype).toBe("f16");
    const bits = (await ctx.read(H)) as Uint16Array;
    expect(bits.length).toBe(1001);
    const got = fromF16Bits(bits);
    expect(got[0]).toBe(65504);
    expect(got[1]).toBe(-65504);
    for (let i = 2; i < x.length; i++) {
      const [lo, hi] = neighbours(x[i]);
      if (got[i] !== lo && got[i] !== hi) expect.fail(`element ${i}: ${x[i]} became ${got[i]}, not ${lo} or ${hi}`);
    }
    const back = await ctx.readF32(toF32(ctx, H));
    expect([...back]).toEqual([...got]);
    const up = ctx.upload(toF16Bits([1.5, -0.25, 3]), [3]);
    expect([...(await ctx.readF32(toF32(ctx, up)))]).toEqual([1.5, -0.25, 3]);
  });

  it("rejects the wrong dtype, naming the op", () => {
    const X = ctx.upload(new Float32Array(4), [4]);
    expect(() => toF32(ctx, X)).toThrow(/toF32: x has dtype f32 \[4\], expected f16/);
  });
});

describe("f16 matmul vs float64 on f16-rounded inputs", () => {
  // Products of two halves are exact in f32 (11 + 11 significant bits); what remains is the f32
  // accumulation over K ≤ 100 terms of magnitude ≤ 1: |error| ≲ K · 2⁻²⁴ · Σ|a·b| < 1e-4 here.
  const cases: Array<[number, number, number, number, boolean, boolean]> = [
    // batch, M, N, K, transB, broadcastB
    [1, 1, 1, 1, true, false],
    [1, 37, 29, 45, true, false], // K % 4 != 0: scalar loads
    [1, 33, 70, 36, true, false],
    [2, 45, 31, 24, false, false],
    [3, 40, 33, 52, true, true],
    [1, 100, 3, 5, false, false],
  ];
  for (const [batch, M, N, K, tB, bc] of cases) {
    it(`batch ${batch} M ${M} N ${N} K ${K} transB ${tB}${bc ? " broadcast B" : ""}`, async () => {
      const a = randn(batch * M * K, 11 + M), b = randn((bc ? 1 : batch) * K * N, 12 + N);
      const A = ctx.upload(toF16Bits(a), [batch, M, K]);
      const B = ctx.upload(toF16Bits(b), bc ? (tB ? [N, K] : [K, N]) : [batch, ...(tB ? [N, K] : [K, N])]);
      const C = matmul(ctx, A, B, { transB: tB });
      expect(C.dtype).toBe("f32");
      const want = matmulRef(a.map(f16Round), b.map(f16Round), batch, M, N, K, { transB: tB, broadcastB: bc });
      expectClose(await ctx.readF32(C), want, 1e-4, 1e-4);
      for (const t of [A, B, C]) t.release();
    });
  }

  it("runs a GPU tile on ragged shapes with f16 operands cast on the GPU", async () => {
    const M = 130, N = 72, K = 40;
    const a = randn(M * K, 21), b = randn(N * K, 22);
    const A = toF16(ctx, ctx.upload(a, [M, K])), B = toF16(ctx, ctx.upload(b, [N, K]));
    const C = matmul(ctx, A, B, { transB: true, tile: parseTile("128x128x16/8x8"), kernel: "tiled" });
    const got = await ctx.readF32(C);
    // the GPU's rounding direction is the implementation's: bound by half an f16 ulp of each input
    const want = matmulRef(a.map(f16Round), b.map(f16Round), 1, M, N, K, { transB: true });
    expectClose(got, want, 2e-3, 1e-3);
  });

  it("rejects mixed f16 / f32 operands and the subgroup-matrix kernel where the adapter lacks it", () => {
    const A = ctx.upload(toF16Bits([1, 2, 3, 4]), [2, 2]), B = ctx.upload(new Float32Array(4), [2, 2]);
    expect(() => matmul(ctx, A, B)).toThrow(/matmul: B has dtype f32 \[2,2\], expected f16/);
    if (!canUseSubgroupMatrix(ctx)) expect(() => matmul(ctx, A, A, { kernel: "subgroup-matrix" })).toThrow(/subgroup-matrix kernel needs f16 → f32 16×16×16/);
  });

  it("names the missing feature and the Dawn toggle where the adapter has no shader-f16", () => {
    const noF16 = Object.assign(Object.create(Object.getPrototypeOf(ctx)), ctx, { features: new Set<string>() }) as GpuContext;
    const A = ctx.upload(toF16Bits([1, 2, 3, 4]), [2, 2]);
    expect(() => matmul(noF16, A, A)).toThrow(/lacks the WebGPU feature shader-f16.*vulkan_enable_f16_on_nvidia/);
  });
});
