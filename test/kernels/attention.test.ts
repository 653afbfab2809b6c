import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, attention, attentionWindow } from "../../kernels/index.js";
import { attentionRef } from "../../kernels/reference/attention.js";
import { expectClose, randn, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("attention reference", () => {
  it("hand case: one head, D=1; causal first query sees only itself, second averages by softmax", () => {
    const q = new Float32Array([0, 1]); // T=2
    const k = new Float32Array([0, Math.log(3)]);
    const v = new Float32Array([10, 20]);
    const out = attentionRef(q, k, v, 1, 2, 2, 1, 1, 1, { scale: 1 });
    // query 0: only key 0 -> 10. query 1: scores [0, ln3] -> weights [1/4, 3/4] -> 17.5
    expect(out[0]).toBeCloseTo(10, 6);
    expect(out[1]).toBeCloseTo(17.5, 6);
  });
  it("fully masked rows give zeros", () => {
    const out = attentionRef(new Float32Array([1]), new Float32Array([1]), new Float32Array([5]), 1, 1, 1, 1, 1, 1, { keyMask: new Uint32Array([0]) });
    expect(out[0]).toBe(0);
  });
});

describe("attention on the GPU vs the reference", () => {
  const cases = [
    // B, T, S, Hq, Hkv, D, causal, mask
    [1, 1, 1, 1, 1, 4, true, false],
    [1, 37, 37, 4, 2, 16, true, false],
    [2, 20, 20, 2, 2, 8, false, false],
    [2, 19, 19, 6, 2, 32, true, true],
    [1, 5, 40, 4, 1, 16, true, false], // queries after a 35-token cache
    [1, 70, 70, 2, 1, 128, true, false],
  ] as const;
  const tiledCases = [
    [1, 1, 1, 1, 1, 64, true, false],
    [1, 70, 70, 2, 1, 64, true, false],
    [2, 19, 19, 4, 2, 64, true, true],
    [1, 5, 140, 2, 2, 64, true, false],
    [1, 33, 33, 1, 1, 64, false, false],
    [1, 70, 70, 2, 1, 128, true, false],
  ] as const;
  const all = [...cases.map((c) => [...c, "rowwise"] as const), ...tiledCases.map((c) => [...c, "tiled"] as const)];
  for (const [B, T, S, Hq, Hkv, D, causal, masked, kernel] of all) {
    it(`${kernel}: B ${B} T ${T} S ${S} Hq ${Hq} Hkv ${Hkv} D ${D} causal ${causal} mask ${masked}`, async () => {
      const q = randn(B * T * Hq * D, 11 + T), k = randn(B * S * Hkv * D, 12 + S), v = randn(B * S * Hkv * D, 13 + D);
      let keyMask: Uint32Array | undefined;
      if (masked) {
        keyMask = new Uint32Array(B * S).fill(1);
        for (let s = 0; s < 4; s++) keyMask[s] = 0; // left padding in sequence 0
        for (let s = S - 5; s < S; s++) keyMask[S + s] = 0; // right padding in sequence 1
      }
      const Q = ctx.upload(q, [B, T, Hq, D]), K = ctx.upload(k, [B, S, Hkv, D]), V = ctx.upload(v, [B, S, Hkv, D]);
      const M = keyMask ? ctx.upload(keyMask, [B, S]) : undefined;
      const O = attention(ctx, Q, K, V, { causal, keyMask: M, kernel });
      expectClose(await ctx.readF32(O), attentionRef(q, k, v, B, T, S, Hq, Hkv, D, { causal, keyMask }), 1e-5, 1e-4);
    });
  }
  it("rejects mismatched heads with a message naming the op and shapes", () => {
    const Q = ctx.zeros([1, 4, 3, 8]), K = ctx.zeros([1, 4, 2, 8]);
    expect(() => attention(ctx, Q, K, K)).toThrow(/attention: .*3 query heads are not a multiple of 2/);
  });
});

// A NaN query row (NaN weights or an overflow upstream) makes every score of its row NaN. The rowwise and tiled
// kernels used to drop NaN scores like masked ones and give such a row zeros, i.e. an empty attention head: the
// model's outputs stayed finite and plausible. NaN must reach the output (and the run then fails), while a row
// whose keys are all masked still gives zeros. (The sliding-window kernel already propagated NaN; covered too.)
describe("attention on the GPU: NaN propagates, masking still gives zeros", () => {
  const [B, T, Hq, Hkv] = [2, 9, 2, 1];
  const nanRow = { b: 1, t: 4, h: 1 };
  for (const [kernel, D] of [["rowwise", 16], ["tiled", 64], ["window", 16]] as const) {
    it(`${kernel}: the NaN query row's output is NaN, every other row as the reference, a fully masked row zeros`, async () => {
      const q = randn(B * T * Hq * D, 5), k = randn(B * T * Hkv * D, 6), v = randn(B * T * Hkv * D, 7);
      const row = ((nanRow.b * T + nanRow.t) * Hq + nanRow.h) * D;
      q.fill(NaN, row, row + D);
      const keyMask = new Uint32Array(B * T).fill(1);
      keyMask[0] = 0; // sequence 0's first query sees only key 0: a fully masked row
      const Q = ctx.upload(q, [B, T, Hq, D]), K = ctx.upload(k, [B, T, Hkv, D]), V = ctx.upload(v, [B, T, Hkv, D]), M = ctx.upload(keyMask, [B, T]);
      const O = kernel === "window" ? attentionWindow(ctx, Q, K, V, { window: T, keyMask: M }) : attention(ctx, Q, K, V, { keyMask: M, kernel });
      const got = await ctx.readF32(O);
      const want = attentionRef(q, k, v, B, T, T, Hq, Hkv, D, { keyMask });
      for (let i = 0; i < got.length; i++) {
        const inNanRow = i >= row && i < row + D;
        expect(Number.isNaN(want[i]), `reference at ${i}`).toBe(inNanRow);
        if (inNanRow) expect(got[i], `output ${i} of the NaN row`).toBeNaN();
      }
      const finite = (a: Float32Array) => Float32Array.from(a, (x, i) => (i >= row && i < row + D ? 0 : x));
      expectClose(finite(got), finite(want), 1e-5, 1e-4);
      expect([...got.subarray(0, Hq * D)].every((x) => x === 0)).toBe(true); // b 0, t 0: no visible key
    });
  }
});
