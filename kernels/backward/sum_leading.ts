// G += Σ_s P[s] over the leading axis of P [S, ...G.shape], summed in order s = 0..S-1 (deterministic; the
// second stage of split-K weight gradients and of the RMSNorm weight gradient).
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, params } from "../ops/common.js";

const WGSL = `
struct P { n: u32, S: u32 };
@group(0) @binding(0) var<storage, read> Pt: array<f32>;
@group(0) @binding(1) var<storage, read_write> G: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= p.n) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.S; k++) { s += Pt[k * p.n + i]; }
  G[i] = G[i] + s;
}`;

export function sumLeadingInto(ctx: GpuContext, parts: Tensor, grad: Tensor): void {
  const op = "sumLeadingInto";
  expectDtype(op, "parts", parts, "f32");
  expectDtype(op, "grad", grad, "f32");
  const n = grad.size, S = parts.shape[0];
  if (parts.size !== S * n) fail(op, `parts ${shapeStr(parts.shape)} is not [S, ${shapeStr(grad.shape)}]`, "pass partials with one leading axis over grad's shape");
  expectBindable(ctx, op, "parts", parts, "use fewer partials");
  if (n) ctx.dispatch({ pipeline: ctx.pipeline(op, () => WGSL), bindings: [parts, grad], uniforms: params([n, S]), workgroups: grid1d(ctx, Math.ceil(n / 256)) });
}
