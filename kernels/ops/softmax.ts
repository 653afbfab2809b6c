// Softmax and log-softmax over the last dim, numerically stable (max subtracted first).
import type { GpuContext } from "../runtime/context.js";
import type { Tensor } from "../runtime/tensor.js";
import { dispatchRows, expectDtype, lastDim, params, rowKernelMain, rowKernelPrelude, rowMaxSumExp, rowsOf, rowThreads } from "./common.js";

function softmaxWgsl(W: number, log: boolean): string {
  return `
struct P { rows: u32, row0: u32, n: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${rowKernelPrelude(W)}
${rowKernelMain(W)}
  ${rowMaxSumExp(W)}
  ${log ? "let lse = m + log(s);" : "let inv = 1.0 / s;"}
  for (var i = lid; i < p.n; i += ${W}u) { Y[base + i] = ${log ? "X[base + i] - lse" : "exp(X[base + i] - m) * inv"}; }
}`;
}

function run(ctx: GpuContext, x: Tensor, log: boolean): Tensor {
  const op = log ? "logSoftmax" : "softmax";
  expectDtype(op, "x", x, "f32");
  const n = lastDim(x), out = ctx.empty(x.shape);
  const W = rowThreads(ctx, n);
  const pipeline = ctx.pipeline(`${op}:${W}`, () => softmaxWgsl(W, log));
  dispatchRows(ctx, op, pipeline, rowsOf(x), [{ t: x, rowElems: n }, { t: out, rowElems: n }], (r, r0) => params([r, r0, n]));
  return out;
}

export const softmax = (ctx: GpuContext, x: Tensor) => run(ctx, x, false);
export const logSoftmax = (ctx: GpuContext, x: Tensor) => run(ctx, x, true);
