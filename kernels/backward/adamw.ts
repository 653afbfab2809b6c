// AdamW (decoupled weight decay, Loshchilov & Hutter; PyTorch's torch.optim.AdamW update), in place:
//   g = grad · gradScale (global-norm clipping);  m = β1 m + (1−β1) g;  v = β2 v + (1−β2) g²
//   p = p · (1 − lr·wd) − (lr / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + eps)
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, params } from "../ops/common.js";

const WGSL = `
struct P { n: u32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, bc1: f32, sbc2: f32, gscale: f32 };
@group(0) @binding(0) var<storage, read_write> Pm: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> M: array<f32>;
@group(0) @binding(3) var<storage, read_write> Vv: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= p.n) { return; }
  let g = G[i] * p.gscale;
  let m = p.b1 * M[i] + (1.0 - p.b1) * g;
  let v = p.b2 * Vv[i] + (1.0 - p.b2) * g * g;
  M[i] = m; Vv[i] = v;
  Pm[i] = Pm[i] * (1.0 - p.lr * p.wd) - (p.lr / p.bc1) * m / (sqrt(v) / p.sbc2 + p.eps);
}`;

export interface AdamWStep { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; /** 1-based step count */ step: number; gradScale: number }

export function adamw(ctx: GpuContext, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, s: AdamWStep): void {
  const op = "adamw";
  for (const [name, t] of [["param", param], ["grad", grad], ["m", m], ["v", v]] as const) {
    expectDtype(op, name, t, "f32");
    if (t.size !== param.size) fail(op, `${name} ${shapeStr(t.shape)} does not match param ${shapeStr(param.shape)}`, "pass state tensors of the parameter's shape");
    expectBindable(ctx, op, name, t, "split the parameter");
  }
  if (!(s.step >= 1)) fail(op, `step ${s.step}`, "count optimiser steps from 1");
  const n = param.size;
  if (!n) return;
  ctx.dispatch({
    pipeline: ctx.pipeline("adamw", () => WGSL),
    bindings: [param, grad, m, v],
    uniforms: params([n, { f: s.lr }, { f: s.beta1 }, { f: s.beta2 }, { f: s.eps }, { f: s.weightDecay }, { f: 1 - s.beta1 ** s.step }, { f: Math.sqrt(1 - s.beta2 ** s.step) }, { f: s.gradScale }]),
    workgroups: grid1d(ctx, Math.ceil(n / 256)),
  });
}
