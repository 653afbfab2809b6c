// Cross-entropy forward and backward in one pass over each row:
//   loss[r] = logsumexp(x_r) − x_r[t_r],   dx_r = scale · (softmax(x_r) − onehot(t_r))
// Rows whose target is ignoreIndex get loss 0 and a zero gradient; out-of-range targets NaN.
// `scale` is 1 / (tokens of the optimiser step), so gradients of micro-batches simply add up.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, lastDim, params, rowKernelMain, rowKernelPrelude, rowMaxSumExp, rowsOf, rowThreads } from "../ops/common.js";

const wgsl = (W: number) => `
struct P { rows: u32, n: u32, ignore: u32, scale: f32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Tg: array<u32>;
@group(0) @binding(2) var<storage, read_write> L: array<f32>;
@group(0) @binding(3) var<storage, read_write> dX: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
${rowKernelPrelude(W)}
${rowKernelMain(W)}
  ${rowMaxSumExp(W)}
  let t = Tg[row];
  let ignored = t == p.ignore;
  let bad = !ignored && t >= p.n;
  let inv = 1.0 / s;
  for (var i = lid; i < p.n; i += ${W}u) {
    var g = (exp(X[base + i] - m) * inv - select(0.0, 1.0, i == t)) * p.scale;
    if (ignored) { g = 0.0; }
    if (bad) { g = bitcast<f32>(0x7fc00000u | (t & 1u)); }
    dX[base + i] = g;
  }
  if (lid == 0u) {
    if (ignored) { L[row] = 0.0; } else if (bad) { L[row] = bitcast<f32>(0x7fc00000u | (t & 1u)); } else { L[row] = m + log(s) - X[base + t]; }
  }
}`;

export function crossEntropyBackward(ctx: GpuContext, logits: Tensor, targets: Tensor, opts: { scale: number; ignoreIndex?: number }): { loss: Tensor; dLogits: Tensor } {
  const op = "crossEntropyBackward";
  expectDtype(op, "logits", logits, "f32");
  if (targets.dtype !== "u32") fail(op, `targets have dtype ${targets.dtype}`, "pass targets as a u32 tensor of token ids");
  const V = lastDim(logits), N = rowsOf(logits);
  if (targets.size !== N) fail(op, `logits ${shapeStr(logits.shape)} has ${N} rows but targets ${shapeStr(targets.shape)} has ${targets.size}`, "pass one target per row");
  expectBindable(ctx, op, "logits", logits, "compute the loss over fewer rows per call");
  const loss = ctx.empty([N]), dLogits = ctx.empty(logits.shape);
  const W = rowThreads(ctx, V);
  ctx.dispatch({
    pipeline: ctx.pipeline(`crossEntropyBackward:${W}`, () => wgsl(W)),
    bindings: [logits, targets, loss, dLogits],
    uniforms: params([N, V, (opts.ignoreIndex ?? -1) >>> 0, { f: opts.scale }]),
    workgroups: grid1d(ctx, N),
  });
  return { loss, dLogits };
}
