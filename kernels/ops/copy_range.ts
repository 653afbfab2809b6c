// Copies `count` elements of src from element `srcOffset` into dst at element `dstOffset` (any offsets,
// unlike copyBufferToBuffer's 4-byte-aligned byte offsets, which would do too but need the encoder):
// appends new keys/values to a KV cache and picks the last row of a batch of hidden states.
import type { GpuContext } from "../runtime/context.js";
import { fail } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, grid1d, params } from "./common.js";

const WGSL = `
struct P { n: u32, src0: u32, dst0: u32 };
@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> Y: array<u32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= p.n) { return; }
  Y[p.dst0 + i] = X[p.src0 + i];
}`;

export function copyRange(ctx: GpuContext, src: Tensor, srcOffset: number, dst: Tensor, dstOffset: number, count: number): void {
  const op = "copyRange";
  if (src.buffer === dst.buffer) fail(op, "src and dst share a buffer", "copy between different tensors");
  if (srcOffset < 0 || dstOffset < 0 || srcOffset + count > src.size || dstOffset + count > dst.size)
    fail(op, `range [${srcOffset}, +${count}) of ${src.size} into [${dstOffset}, +${count}) of ${dst.size}`, "keep both ranges inside their tensors");
  expectBindable(ctx, op, "src", src, "copy from a smaller tensor");
  expectBindable(ctx, op, "dst", dst, "copy into a smaller tensor");
  if (count === 0) return;
  ctx.dispatch({
    pipeline: ctx.pipeline("copyRange", () => WGSL),
    bindings: [src, dst],
    uniforms: params([count, srcOffset, dstOffset]),
    workgroups: grid1d(ctx, Math.ceil(count / 256)),
  });
}

/** Plain-TypeScript twin. */
export function copyRangeRef(src: ArrayLike<number>, srcOffset: number, dst: Float32Array, dstOffset: number, count: number): void {
  for (let i = 0; i < count; i++) dst[dstOffset + i] = src[srcOffset + i];
}
