/**
 * Soft-prompt plumbing on top of TrainableLlama's input-embedding gradients: a trainable prefix [P, hidden]
 * placed in front of every row's token embeddings, and the prefix's gradient (the sum over the batch of the
 * prefix rows of d(loss)/d(inputs)). With `grads: null` the model's weights stay frozen.
 */
import { type GpuContext, type Tensor, copyRange, sumLeadingInto } from "../../kernels/index.js";
import type { TrainableLlama } from "./model.js";

/** [B·T, hidden] inputs with T = P + ids.length / B: row b is prefix, then embed(ids of row b). */
export function prefixInputs(model: TrainableLlama, prefix: Tensor, ids: Uint32Array, B: number): Tensor {
  const ctx = model.ctx, h = model.spec.hiddenSize;
  const P = prefix.size / h;
  if (!Number.isInteger(P) || prefix.size === 0) throw new Error(`soft prompt: prefix has ${prefix.size} values, not [P, ${h}]`);
  if (ids.length % B) throw new Error(`soft prompt: ${ids.length} ids do not split into ${B} rows`);
  const n = ids.length / B, T = P + n;
  const tok = model.embed(ids);
  const out = ctx.empty([B * T, h]);
  for (let b = 0; b < B; b++) {
    copyRange(ctx, prefix, 0, out, b * T * h, P * h);
    copyRange(ctx, tok, b * n * h, out, (b * T + P) * h, n * h);
  }
  tok.release();
  return out;
}

/** Σ_b inputGrad[b, 0:P] → [P, hidden] (a new tensor), in batch order. */
export function prefixGrad(ctx: GpuContext, inputGrad: Tensor, B: number, T: number, P: number): Tensor {
  const h = inputGrad.size / (B * T);
  if (!Number.isInteger(h) || P > T) throw new Error(`soft prompt: inputGrad of ${inputGrad.size} values is not [${B}·${T}, hidden] with P ${P} ≤ T`);
  const parts = ctx.empty([B, P, h]);
  for (let b = 0; b < B; b++) copyRange(ctx, inputGrad, b * T * h, parts, b * P * h, P * h);
  const g = ctx.zeros([P, h]);
  sumLeadingInto(ctx, parts, g);
  parts.release();
  return g;
}

