// Explicit bind-group layouts (kernels/runtime/layout.ts): a shader variant that leaves an operand
// unread is dispatched with the op's full binding list, without a dummy read to keep it alive.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KernelError, type GpuContext } from "../../kernels/index.js";
import { declaredBindings } from "../../kernels/runtime/layout.js";
import { params } from "../../kernels/ops/common.js";
import { withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

// Y = 2·A; B is declared (as the binary variant's operand would be) but never read.
const storage = (i: number, access: string, name: string) => `@group(0) @binding(${i}) var<storage, ${access}> ${name}: array<f32>;`;
const unreadB = [
  "struct P { n: u32 };",
  storage(0, "read", "A"), storage(1, "read", "B"), storage(2, "read_write", "Y"),
  "@group(0) @binding(3) var<uniform> p: P;",
  "@compute @workgroup_size(64)",
  "fn main(@builtin(global_invocation_id) g: vec3<u32>) { if (g.x < p.n) { Y[g.x] = 2.0 * A[g.x]; } }",
].join("\n");

describe("declared bind-group layouts", () => {
  it("reads every group-0 buffer binding off the declarations, in order, with its access", () => {
    const types = declaredBindings(unreadB, "t").map((e) => [e.binding, e.buffer?.type]);
    expect(types).toEqual([[0, "read-only-storage"], [1, "read-only-storage"], [2, "storage"], [3, "uniform"]]);
  });
  it("names a gap in the binding indices", () => {
    const gap = unreadB.replace("@binding(2)", "@binding(5)");
    expect(() => declaredBindings(gap, "gappy")).toThrow(KernelError);
    expect(() => declaredBindings(gap, "gappy")).toThrow(/gappy: bindings skip index 2/);
  });
  it("a declared-but-unread binding can be bound under layout: declared, not under auto", async () => {
    const a = ctx.upload([1, 2, 3], [3]), b = ctx.upload([9], [1]), y = ctx.empty([3]);
    ctx.dispatch({ pipeline: ctx.pipeline("test:unreadB:declared", () => unreadB, { layout: "declared" }), bindings: [a, b, y], uniforms: params([3]), workgroups: [1] });
    expect(Array.from(await ctx.readF32(y))).toEqual([2, 4, 6]);
    // under "auto" B is not in the layout: binding it is a validation error, surfaced at the read
    ctx.dispatch({ pipeline: ctx.pipeline("test:unreadB:auto", () => unreadB), bindings: [a, b, y], uniforms: params([3]), workgroups: [1] });
    await expect(ctx.readF32(y)).rejects.toThrow(/WebGPU error/);
  });
});
