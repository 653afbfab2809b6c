// Rope backward: the rotation by −θ (the transpose of the forward rotation), same tables, same
// rotate_half pairing (d with d + D/2). Positions offset + t or a u32 [B, T] tensor, as the forward.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import type { RopeTables } from "../ops/rope.js";
import { expectDtype, expectRank, grid1d, params } from "../ops/common.js";

const WGSL = `
struct P { B: u32, T: u32, H: u32, half: u32, offset: u32, usePos: u32, maxPos: u32, n: u32 };
@group(0) @binding(0) var<storage, read> dY: array<f32>;
@group(0) @binding(1) var<storage, read> Cs: array<f32>;
@group(0) @binding(2) var<storage, read> Sn: array<f32>;
@group(0) @binding(3) var<storage, read> Pos: array<u32>;
@group(0) @binding(4) var<storage, read_write> dX: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= p.n) { return; }
  let d = i % p.half; let th = i / p.half; let tok = th / p.H;
  var pos = p.offset + tok % p.T;
  if (p.usePos != 0u) { pos = Pos[tok]; }
  pos = min(pos, p.maxPos - 1u);
  let c = Cs[pos * p.half + d]; let s = Sn[pos * p.half + d];
  let base = th * 2u * p.half;
  let g1 = dY[base + d]; let g2 = dY[base + d + p.half];
  dX[base + d] = g1 * c + g2 * s;
  dX[base + d + p.half] = g2 * c - g1 * s;
}`;

export function ropeBackward(ctx: GpuContext, dy: Tensor, tables: RopeTables, opts: { positions?: Tensor; offset?: number } = {}): Tensor {
  const op = "ropeBackward";
  expectDtype(op, "dy", dy, "f32");
  expectRank(op, "dy", dy, 4);
  const [B, T, H, D] = dy.shape;
  if (D !== tables.headDim) fail(op, `dy ${shapeStr(dy.shape)} has head dim ${D} but the tables were built for ${tables.headDim}`, "build the tables with the model's head dim");
  const offset = opts.offset ?? 0;
  if (!opts.positions && offset + T > tables.maxPositions)
    fail(op, `positions up to ${offset + T - 1} exceed the tables' ${tables.maxPositions} positions`, "build the tables with a larger maxPositions");
  const out = ctx.empty(dy.shape);
  const n = B * T * H * (D / 2);
  if (n === 0) return out;
  ctx.dispatch({
    pipeline: ctx.pipeline("ropeBackward", () => WGSL),
    bindings: [dy, tables.cos, tables.sin, opts.positions ?? tables.cos, out],
    uniforms: params([B, T, H, D / 2, offset, opts.positions ? 1 : 0, tables.maxPositions, n]),
    workgroups: grid1d(ctx, Math.ceil(n / 256)),
  });
  return out;
}
