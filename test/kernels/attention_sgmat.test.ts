// The subgroup-matrix attention's WGSL compiled by Tint on Dawn's null backend (no error, no warning: the
// matrix offsets must be subgroup-uniform). Its numerics need a GPU with f16 subgroup matrices:
// bench/f16-attention.ts checks it against float64 on the GPU host.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type GpuContext, attentionSgmat, attentionSgmatWgsl } from "../../kernels/index.js";
import { toF16Bits } from "../../kernels/reference/f16.js";
import { withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext({ dawnFlags: ["backend=null"] }); });
afterAll(async () => { await ctx?.destroy(); });

for (const D of [64, 128])
  it(`compiles cleanly for head dim ${D}`, async () => {
    ctx.device.pushErrorScope("validation");
    const info = await ctx.device.createShaderModule({ code: attentionSgmatWgsl(D, 32) }).getCompilationInfo();
    await ctx.device.popErrorScope();
    expect(info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`)).toEqual([]);
  });

it("refuses shapes it does not handle and adapters without f16 subgroup matrices, naming the fallback", () => {
  const t = (shape: number[]) => ctx.upload(toF16Bits(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape);
  expect(() => attentionSgmat(ctx, t([1, 64, 2, 64]), t([1, 64, 2, 64]), t([1, 64, 2, 64]))).toThrow(/no f16 → f32 16×16×16 subgroup matrices.*attention\(\)/);
  const caps = { ...ctx.capabilities, subgroupMaxSize: 32, subgroupMatrixConfigs: [{ componentType: "f16", resultComponentType: "f32", M: 16, N: 16, K: 16 }] };
  const sg = Object.assign(Object.create(Object.getPrototypeOf(ctx)), ctx, { capabilities: caps }) as GpuContext;
  expect(() => attentionSgmat(sg, t([1, 48, 2, 64]), t([1, 48, 2, 64]), t([1, 48, 2, 64]))).toThrow(/needs S = T, a multiple of 64/);
});
