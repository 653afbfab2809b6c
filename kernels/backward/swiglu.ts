// SwiGLU backward. y = silu(g) · u:  du = dy · silu(g),  dg = dy · u · σ(g) · (1 + g · (1 − σ(g))).
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, params } from "../ops/common.js";

const WGSL = `
struct P { n: u32 };
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> dY: array<f32>;
@group(0) @binding(3) var<storage, read_write> dG: array<f32>;
@group(0) @binding(4) var<storage, read_write> dU: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= p.n) { return; }
  let g = G[i]; let dy = dY[i];
  let s = 1.0 / (1.0 + exp(-g));
  dU[i] = dy * g * s;
  dG[i] = dy * U[i] * s * (1.0 + g * (1.0 - s));
}`;

export function swigluBackward(ctx: GpuContext, gate: Tensor, up: Tensor, dy: Tensor): { dGate: Tensor; dUp: Tensor } {
  const op = "swigluBackward";
  for (const [name, t] of [["gate", gate], ["up", up], ["dy", dy]] as const) {
    expectDtype(op, name, t, "f32");
    if (t.size !== gate.size) fail(op, `${name} ${shapeStr(t.shape)} does not match gate ${shapeStr(gate.shape)}`, "pass tensors of one shape");
    expectBindable(ctx, op, name, t, "use fewer rows per call");
  }
  const dGate = ctx.empty(gate.shape), dUp = ctx.empty(gate.shape);
  const n = gate.size;
  if (n) ctx.dispatch({ pipeline: ctx.pipeline("swigluBackward", () => WGSL), bindings: [gate, up, dy, dGate, dUp], uniforms: params([n]), workgroups: grid1d(ctx, Math.ceil(n / 256)) });
  return { dGate, dUp };
}
