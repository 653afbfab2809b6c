// Gemma 2's attention soft-capping, scores → cap·tanh(scores/cap) before the mask and softmax, in all three
// attention kernels (rowwise, tiled, sliding window) against the float64 reference.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, attention, attentionWindow } from "../../kernels/index.js";
import { attentionRef } from "../../kernels/reference/attention.js";
import { expectClose, randn, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("attention reference: soft-capping", () => {
  it("hand case: cap 1 turns scores [0, ln 3] into [0, tanh(ln 3)]", () => {
    const out = attentionRef(new Float32Array([0, 1]), new Float32Array([0, Math.log(3)]), new Float32Array([10, 20]), 1, 2, 2, 1, 1, 1, { scale: 1, softcap: 1 });
    const w = Math.exp(Math.tanh(Math.log(3))); // tanh(ln 3) = 0.8
    expect(out[1]).toBeCloseTo((10 + 20 * w) / (1 + w), 5);
  });
});

describe("attention kernels: soft-capping matches the reference", () => {
  const [B, T, Hq, Hkv, cap, scale] = [2, 11, 4, 2, 2.0, 0.9];
  for (const [kernel, D] of [["rowwise", 24], ["tiled", 64], ["window", 24]] as const) {
    it(`${kernel} (D=${D})`, async () => {
      // large scores, so that the cap changes the result
      const q = randn(B * T * Hq * D, 11).map((x) => 2 * x), k = randn(B * T * Hkv * D, 12), v = randn(B * T * Hkv * D, 13);
      const keyMask = Uint32Array.from({ length: B * T }, (_, i) => (i === T || i === T + 1 ? 0 : 1)); // row 1 left-padded
      const Q = ctx.upload(q, [B, T, Hq, D]), K = ctx.upload(k, [B, T, Hkv, D]), V = ctx.upload(v, [B, T, Hkv, D]), M = ctx.upload(keyMask, [B, T]);
      const O = kernel === "window"
        ? attentionWindow(ctx, Q, K, V, { window: T, keyMask: M, scale, softcap: cap })
        : attention(ctx, Q, K, V, { keyMask: M, kernel, scale, softcap: cap });
      const got = await ctx.readF32(O);
      const want = attentionRef(q, k, v, B, T, T, Hq, Hkv, D, { keyMask, scale, softcap: cap });
      expectClose(got, want, 1e-5, 1e-4);
      const uncapped = attentionRef(q, k, v, B, T, T, Hq, Hkv, D, { keyMask, scale });
      let diff = 0;
      for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(uncapped[i] - want[i]));
      expect(diff, "the cap must matter in this test").toBeGreaterThan(1e-2);
      [Q, K, V, M, O].forEach((t) => t.release());
    });
  }
});
