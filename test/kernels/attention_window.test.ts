import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, attentionWindow, attentionWindowRef } from "../../kernels/index.js";
import { attentionRef } from "../../kernels/reference/attention.js";
import { expectClose, randn, withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("sliding-window attention", () => {
  it("reference: a window as wide as the sequence is plain causal attention", () => {
    const [B, T, H, D] = [1, 6, 2, 4];
    const q = randn(B * T * H * D, 1), k = randn(B * T * H * D, 2), v = randn(B * T * H * D, 3);
    expectClose(attentionWindowRef(q, k, v, B, T, T, H, H, D, { window: T }), attentionRef(q, k, v, B, T, T, H, H, D), 1e-6, 1e-6);
  });
  it("reference: window 1 copies each query's own value", () => {
    const q = randn(8, 4), k = randn(8, 5), v = randn(8, 6);
    expectClose(attentionWindowRef(q, k, v, 1, 2, 2, 1, 1, 4, { window: 1 }), v, 1e-7, 0);
  });
  const cases = [
    // B, T, S, Hq, Hkv, D, window, masked
    [1, 20, 20, 4, 2, 8, 4, false],
    [2, 13, 13, 4, 2, 8, 3, true],
    [1, 3, 17, 2, 1, 16, 5, false], // queries after a cache
    [1, 9, 9, 2, 2, 12, 100, false],
  ] as const;
  it.each(cases)("B=%i T=%i S=%i Hq=%i Hkv=%i D=%i window=%i masked=%s matches the reference", (B, T, S, Hq, Hkv, D, window, masked) => {
    const q = randn(B * T * Hq * D, 7), k = randn(B * S * Hkv * D, 8), v = randn(B * S * Hkv * D, 9);
    const mask = masked ? Uint32Array.from({ length: B * S }, (_, i) => (i % S < 2 && i >= S ? 0 : i % 5 === 1 ? 0 : 1)) : undefined;
    const want = attentionWindowRef(q, k, v, B, T, S, Hq, Hkv, D, { window, keyMask: mask });
    const tq = ctx.upload(q, [B, T, Hq, D]), tk = ctx.upload(k, [B, S, Hkv, D]), tv = ctx.upload(v, [B, S, Hkv, D]);
    const tm = mask ? ctx.upload(mask, [B, S]) : undefined;
    const out = attentionWindow(ctx, tq, tk, tv, { window, keyMask: tm });
    return ctx.readF32(out).then((got) => expectClose(got, want, 1e-5, 1e-4));
  });
  it("rejects a bad window", () => {
    const t = ctx.upload(new Float32Array(16), [1, 1, 4, 4]);
    expect(() => attentionWindow(ctx, t, t, t, { window: 0 })).toThrow(/window/);
  });
});
