// precision "f16" of the WebGPU transformer (f16 weights and linear inputs, f32 accumulation, f32 residual
// stream) on lavapipe, which has shader-f16: logits against HF's fp32 logits within a bound set by half
// precision's unit roundoff, visibly apart from the f32 path (so the f16 matmuls really run), resident and
// streamed alike; compression's calibration forwards unchanged (f32); a clear error without shader-f16.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GpuContext } from "../../kernels/index.js";
import { withContext } from "../kernels/helpers.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { maxAbsDiff, modelDir, readReference, readReferenceLogits } from "./fixtures.js";

// Each linear rounds its input and weight to half precision (unit roundoff u = 2⁻¹¹ ≈ 4.9e-4, relative);
// through the layers the logits' error stays within a few u of their scale: allow 10 u · max |logit|.
const U = 2 ** -11;
let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe.each(["llama", "opt", "gpt2"] as const)("%s at precision f16", (name) => {
  let m16: GpuCausalLM, m32: GpuCausalLM;
  beforeAll(async () => {
    if (!ctx.features.has("shader-f16")) throw new Error(`this test needs an adapter with shader-f16; ${ctx.adapterDescription} has none`);
    m16 = await GpuCausalLM.open(modelDir(name), { ctx, precision: "f16" });
    m32 = await GpuCausalLM.open(modelDir(name), { ctx });
  });
  afterAll(async () => {
    await m16?.dispose();
    await m32?.dispose();
  });

  it("is within 10 u · max |logit| of HF's fp32 logits, and apart from the f32 path by more than f32's own error", async () => {
    const ref = readReference(name);
    const hf = await readReferenceLogits(name);
    for (const [i, p] of ref.prompts.entries()) {
      const want = hf.get(`prompt${i}`)!;
      let scale = 0;
      for (const x of want) scale = Math.max(scale, Math.abs(x));
      const got = (await m16.forward({ ids: [p.ids] })).data;
      const f32 = (await m32.forward({ ids: [p.ids] })).data;
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(10 * U * scale);
      expect(maxAbsDiff(f32, want)).toBeLessThanOrEqual(1e-4);
      // the f16 roundings show: at least u/10 of the scale away from the f32 logits (f32 itself is ~1e-6 away)
      expect(maxAbsDiff(got, f32)).toBeGreaterThan((U / 10) * scale);
    }
  });

  it("gives the same logits streamed from disk (f16 copies made per use)", async () => {
    const s16 = await GpuCausalLM.open(modelDir(name), { ctx, precision: "f16", stream: true });
    try {
      const { prompts } = readReference(name);
      const a = await m16.forward({ ids: [prompts[0].ids] }), b = await s16.forward({ ids: [prompts[0].ids] });
      expect(maxAbsDiff(a.data, b.data)).toBe(0);
    } finally {
      await s16.dispose();
    }
  });

  it("runs compression's calibration forwards in f32: the same layer outputs as the f32 model, bit for bit", async () => {
    const ids = [readReference(name).prompts[0].ids];
    for (const m of [m16, m32]) expect(m.precision).toBe(m === m16 ? "f16" : "f32");
    const out = async (m: GpuCausalLM) => {
      const x = m.calibrationInputs(ids);
      const y = await m.calibrationLayer(ids, 0, x, null, false);
      const data = await ctx.readF32(y);
      y.release();
      return data;
    };
    expect(maxAbsDiff(await out(m16), await out(m32))).toBe(0);
  });

  it("uses new weights after replaceWeight (the f16 copy is remade); runs last, it changes the model", async () => {
    const { prompts } = readReference(name);
    const before = (await m16.forward({ ids: [prompts[0].ids] })).data;
    const { hiddenSize, numHeads, headDim } = m16.spec;
    m16.replaceWeight("layers.0.q.weight", new Float32Array(numHeads * headDim * hiddenSize));
    const after = (await m16.forward({ ids: [prompts[0].ids] })).data;
    expect(maxAbsDiff(before, after)).toBeGreaterThan(1e-3);
  });
});

it("precision f16 without shader-f16 fails naming the feature and the Dawn toggle", async () => {
  const noF16 = Object.assign(Object.create(Object.getPrototypeOf(ctx)), ctx, { features: new Set([...ctx.features].filter((f) => f !== "shader-f16")) }) as GpuContext;
  await expect(GpuCausalLM.open(modelDir("llama"), { ctx: noF16, precision: "f16" })).rejects.toThrow(/precision f16: the adapter .* lacks the WebGPU feature shader-f16.*vulkan_enable_f16_on_nvidia/);
});
