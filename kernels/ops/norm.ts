// RMSNorm (Llama) and LayerNorm over the last dim, with an elementwise weight (and bias).
//   rmsNorm:   y = x / sqrt(mean(x²) + eps) · w
//   layerNorm: y = (x - mean) / sqrt(var + eps) · w + b   (biased variance, as PyTorch)
import type { GpuContext } from "../runtime/context.js";
import type { Tensor } from "../runtime/tensor.js";
import { dispatchRows, expectDtype, expectLastDim, expectRank, lastDim, params, rowKernelMain, rowKernelPrelude, rowsOf, rowThreads } from "./common.js";

function normWgsl(W: number, layer: boolean): string {
  return `
struct P { rows: u32, row0: u32, n: u32, eps: f32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read> Bs: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
${rowKernelPrelude(W)}
${rowKernelMain(W)}
  let nf = f32(p.n);
  var mean = 0.0;
  ${layer ? `var s = 0.0; for (var i = lid; i < p.n; i += ${W}u) { s += X[base + i]; } mean = wgSum(s, lid) / nf;` : ""}
  var q = 0.0;
  for (var i = lid; i < p.n; i += ${W}u) { let d = X[base + i] - mean; q += d * d; }
  let inv = inverseSqrt(wgSum(q, lid) / nf + p.eps);
  for (var i = lid; i < p.n; i += ${W}u) { Y[base + i] = (X[base + i] - mean) * inv * Wt[i]${layer ? " + Bs[i]" : ""}; }
}`;
}

function run(ctx: GpuContext, op: string, x: Tensor, w: Tensor, b: Tensor | null, eps: number): Tensor {
  expectDtype(op, "x", x, "f32");
  expectDtype(op, "weight", w, "f32");
  const n = lastDim(x);
  expectRank(op, "weight", w, 1);
  expectLastDim(op, "weight", w, n, "the normalised dim of x");
  if (b) { expectDtype(op, "bias", b, "f32"); expectRank(op, "bias", b, 1); expectLastDim(op, "bias", b, n, "the normalised dim of x"); }
  const out = ctx.empty(x.shape);
  const W = rowThreads(ctx, n);
  const pipeline = ctx.pipeline(`${op}:${W}`, () => normWgsl(W, !!b), { layout: "declared" });
  dispatchRows(ctx, op, pipeline, rowsOf(x), [{ t: x, rowElems: n }, { t: w }, { t: b ?? w }, { t: out, rowElems: n }], (r, r0) => params([r, r0, n, { f: eps }]));
  return out;
}

export const rmsNorm = (ctx: GpuContext, x: Tensor, weight: Tensor, eps = 1e-6) => run(ctx, "rmsNorm", x, weight, null, eps);
export const layerNorm = (ctx: GpuContext, x: Tensor, weight: Tensor, bias: Tensor, eps = 1e-5) => run(ctx, "layerNorm", x, weight, bias, eps);
