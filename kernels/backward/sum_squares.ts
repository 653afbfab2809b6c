// Sums of squares in fixed order (global gradient norm without atomics): each workgroup of 256
// threads reduces a chunk of 4096 elements into one partial, written at `outOffset + chunk` of a
// shared output, so the partials of all gradients come back in one readback and are summed in
// float64 on the CPU, always in the same order.
import type { GpuContext } from "../runtime/context.js";
import { fail } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, params } from "../ops/common.js";

export const SUMSQ_CHUNK = 4096;

const WGSL = `
struct P { n: u32, off: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
var<workgroup> red: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = wg.y * nwg.x + wg.x;
  let base = c * ${SUMSQ_CHUNK}u;
  var s = 0.0;
  for (var k = 0u; k < ${SUMSQ_CHUNK / 256}u; k++) { let i = base + k * 256u + lid; if (i < p.n) { let x = X[i]; s += x * x; } }
  red[lid] = s; workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) { if (lid < w) { red[lid] += red[lid + w]; } workgroupBarrier(); }
  if (lid == 0u && base < p.n) { Out[p.off + c] = red[0]; }
}`;

export const sumSquaresPartials = (n: number) => Math.ceil(n / SUMSQ_CHUNK);

/** Writes the partial sums of squares of x into out[offset .. offset + sumSquaresPartials(x.size)). */
export function sumSquaresInto(ctx: GpuContext, x: Tensor, out: Tensor, offset: number): void {
  const op = "sumSquares";
  expectDtype(op, "x", x, "f32");
  expectBindable(ctx, op, "x", x, "split the tensor");
  const parts = sumSquaresPartials(x.size);
  if (offset + parts > out.size) fail(op, `${parts} partials at ${offset} overflow an output of ${out.size}`, "size the output with sumSquaresPartials");
  if (!parts) return;
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  const y = Math.ceil(parts / max), xg = Math.ceil(parts / y);
  ctx.dispatch({ pipeline: ctx.pipeline("sumSquares", () => WGSL), bindings: [x, out], uniforms: params([x.size, offset]), workgroups: [xg, y] });
}
