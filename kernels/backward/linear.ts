// Weight gradient of y = x Wᵀ (nn.Linear): dW += dyᵀ x, dy [N, out], x [N, in]. N (tokens) is long and
// out × in small, so one matmul would run few workgroups each looping over all N: split-K instead. The N rows
// are cut into S slices, a batched matmul makes S partial products [S, out, in], and sumLeadingInto adds
// them in order into dW (deterministic, no atomics).
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { viewAs } from "../runtime/views.js";
import { matmul } from "../ops/matmul.js";
import { add } from "../ops/elementwise.js";
import { sumLeadingInto } from "./sum_leading.js";

/** Slices for N rows: the largest of 32, 16, 8, 4, 2 dividing N with at least 32 rows each; else 1. */
export function splitK(N: number): number {
  for (const s of [32, 16, 8, 4, 2]) if (N % s === 0 && N / s >= 32) return s;
  return 1;
}

/** Adds dyᵀ x into grad [out, in]. Returns the grad tensor to use afterwards (the same one, or a new sum when unsplit). */
export function weightGradInto(ctx: GpuContext, dy: Tensor, x: Tensor, grad: Tensor, opts: { split?: number } = {}): Tensor {
  const op = "weightGradInto";
  const out = dy.shape[dy.shape.length - 1], inF = x.shape[x.shape.length - 1];
  const N = dy.size / out;
  if (x.size !== N * inF) fail(op, `dy ${shapeStr(dy.shape)} and x ${shapeStr(x.shape)} have different row counts`, "pass dy and x with one row per token");
  if (grad.size !== out * inF) fail(op, `grad ${shapeStr(grad.shape)} is not [${out}, ${inF}]`, "pass the weight's gradient");
  const S = opts.split ?? splitK(N);
  if (N % S) fail(op, `${S} slices do not divide ${N} rows`, "choose a split that divides the rows");
  if (S === 1) {
    const g = matmul(ctx, viewAs(dy, [N, out]), viewAs(x, [N, inF]), { transA: true });
    const sum = add(ctx, grad, g);
    g.release();
    grad.release();
    return sum;
  }
  const parts = matmul(ctx, viewAs(dy, [S, N / S, out]), viewAs(x, [S, N / S, inF]), { transA: true });
  sumLeadingInto(ctx, parts, grad);
  parts.release();
  return grad;
}
