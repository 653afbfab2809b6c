// Casts between f32 and f16 tensors (same shape). Uses WGSL's core pack2x16float /
// unpack2x16float, so it runs on every adapter, with or without shader-f16.
// f32 → f16 rounds to a neighbouring half (WGSL leaves the direction to the implementation)
// and saturates at ±65504: WGSL leaves packing an out-of-range value undefined, and a silent
// infinity or garbage would be worse than a clamp that tests and provenance can state.
import type { GpuContext } from "../runtime/context.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, params } from "./common.js";

const F16_MAX = 65504;

// One thread per 32-bit word of the f16 side: two elements.
const wgsl = (toHalf: boolean) => `
struct P { n: u32 };
@group(0) @binding(0) var<storage, read> X: array<${toHalf ? "f32" : "u32"}>;
@group(0) @binding(1) var<storage, read_write> Y: array<${toHalf ? "u32" : "f32"}>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = gid.y * nwg.x * 256u + gid.x;
  let i = 2u * w;
  if (i >= p.n) { return; }
  let two = i + 1u < p.n;
${
  toHalf
    ? `  let hi = select(0.0, X[min(i + 1u, p.n - 1u)], two);
  Y[w] = pack2x16float(clamp(vec2<f32>(X[i], hi), vec2<f32>(-${F16_MAX}.0), vec2<f32>(${F16_MAX}.0)));`
    : `  let v = unpack2x16float(X[w]);
  Y[i] = v.x;
  if (two) { Y[i + 1u] = v.y; }`
}
}`;

function cast(ctx: GpuContext, x: Tensor, to: "f16" | "f32"): Tensor {
  const op = to === "f16" ? "toF16" : "toF32";
  expectDtype(op, "x", x, to === "f16" ? "f32" : "f16");
  const out = ctx.empty(x.shape, to);
  const fix = "cast smaller pieces (e.g. rows of a weight) one call each";
  expectBindable(ctx, op, "x", x, fix);
  expectBindable(ctx, op, "the result", out, fix);
  if (x.size === 0) return out;
  ctx.dispatch({
    pipeline: ctx.pipeline(`cast:${to}`, () => wgsl(to === "f16")),
    bindings: [x, out],
    uniforms: params([x.size]),
    workgroups: grid1d(ctx, Math.ceil(x.size / 2 / 256)),
  });
  return out;
}

/** f32 → f16 (rounded, saturating at ±65504). */
export const toF16 = (ctx: GpuContext, x: Tensor) => cast(ctx, x, "f16");
/** f16 → f32 (exact). */
export const toF32 = (ctx: GpuContext, x: Tensor) => cast(ctx, x, "f32");
