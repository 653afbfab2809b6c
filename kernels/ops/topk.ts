// Top-k over the last dim: the k largest values per row, in descending order, with their
// indices (ties → lower index first; NaN never selected unless the row has fewer than k
// numbers, then index 0xFFFFFFFF and value -inf-like -3.4e38 fill the rest).
// One workgroup per row does k selection passes, each finding the largest element that comes
// after the previous pick in (value desc, index asc) order: no scratch memory, any n.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { dispatchRows, expectDtype, lastDim, params, rowKernelMain, rowKernelPrelude, rowsOf, rowThreads } from "./common.js";

function topkWgsl(W: number): string {
  return `
struct P { rows: u32, row0: u32, n: u32, k: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Vals: array<f32>;
@group(0) @binding(2) var<storage, read_write> Idx: array<u32>;
@group(0) @binding(3) var<uniform> p: P;
${rowKernelPrelude(W)}
${rowKernelMain(W)}
  var pv = 3.4e38; var pi = 0xffffffffu; var first = true;
  for (var j = 0u; j < p.k; j++) {
    var bv = -3.4e38; var bi = 0xffffffffu;
    for (var i = lid; i < p.n; i += ${W}u) {
      let v = X[base + i];
      let after = first || v < pv || (v == pv && i > pi);
      if (after && (v > bv || (v == bv && i < bi))) { bv = v; bi = i; }
    }
    let wi = wgArgMax(bv, bi, lid);
    let wv = select(-3.4e38, X[base + min(wi, p.n - 1u)], wi != 0xffffffffu);
    if (lid == 0u) { Vals[row * p.k + j] = wv; Idx[row * p.k + j] = wi; }
    pv = wv; pi = wi; first = false;
  }
}`;
}

export function topk(ctx: GpuContext, x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  const op = "topk";
  expectDtype(op, "x", x, "f32");
  const n = lastDim(x);
  if (!Number.isInteger(k) || k < 1 || k > n) fail(op, `k = ${k} for rows of ${n} (x ${shapeStr(x.shape)})`, `pass 1 <= k <= ${n}`);
  const shape = [...x.shape.slice(0, -1), k];
  const values = ctx.empty(shape), indices = ctx.empty(shape, "u32");
  const W = rowThreads(ctx, n);
  const pipeline = ctx.pipeline(`topk:${W}`, () => topkWgsl(W));
  dispatchRows(ctx, op, pipeline, rowsOf(x), [{ t: x, rowElems: n }, { t: values, rowElems: k }, { t: indices, rowElems: k }], (r, r0) => params([r, r0, n, k]));
  return { values, indices };
}
