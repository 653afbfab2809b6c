// Cross-entropy per row: loss = logsumexp(logits) - logits[target] (log-softmax + NLL in one
// pass over the row). Targets equal to ignoreIndex (default 0xFFFFFFFF, i.e. -1) give loss 0.
//   logits [N, V] f32, targets u32 [N] → loss [N] f32
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { dispatchRows, expectDtype, lastDim, params, rowKernelMain, rowKernelPrelude, rowMaxSumExp, rowsOf, rowThreads } from "./common.js";

function ceWgsl(W: number): string {
  return `
struct P { rows: u32, row0: u32, n: u32, ignore: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Tg: array<u32>;
@group(0) @binding(2) var<storage, read_write> L: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${rowKernelPrelude(W)}
${rowKernelMain(W)}
  ${rowMaxSumExp(W)}
  if (lid == 0u) {
    let t = Tg[p.row0 + row];
    if (t == p.ignore || t >= p.n) { L[row] = select(bitcast<f32>(0x7fc00000u | (t & 1u)), 0.0, t == p.ignore); }
    else { L[row] = m + log(s) - X[base + t]; }
  }
}`;
}

export function crossEntropy(ctx: GpuContext, logits: Tensor, targets: Tensor, opts: { ignoreIndex?: number } = {}): Tensor {
  const op = "crossEntropy";
  expectDtype(op, "logits", logits, "f32");
  if (targets.dtype !== "u32") fail(op, `targets have dtype ${targets.dtype}`, "pass targets as a u32 tensor of token ids");
  const V = lastDim(logits), N = rowsOf(logits);
  if (targets.size !== N) fail(op, `logits ${shapeStr(logits.shape)} has ${N} rows but targets ${shapeStr(targets.shape)} has ${targets.size} entries`, "pass one target per row of logits");
  const out = ctx.empty(logits.shape.length > 1 ? logits.shape.slice(0, -1) : [1]);
  const W = rowThreads(ctx, V);
  const pipeline = ctx.pipeline(`crossEntropy:${W}`, () => ceWgsl(W));
  const ignore = (opts.ignoreIndex ?? -1) >>> 0;
  // Out-of-range targets (>= V) give NaN so that bad ids cannot pass unnoticed.
  dispatchRows(ctx, op, pipeline, N, [{ t: logits, rowElems: V }, { t: targets }, { t: out, rowElems: 1 }], (r, r0) => params([r, r0, V, ignore]));
  return out;
}
