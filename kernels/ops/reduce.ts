// Row reductions over the last dim: sum, max, argmax (ties → lowest index). [..., n] → [...].
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { dispatchRows, expectDtype, lastDim, params, rowKernelMain, rowKernelPrelude, rowsOf, rowThreads } from "./common.js";

export type Reduction = "sum" | "max" | "argmax";

function reduceWgsl(kind: Reduction, W: number): string {
  const outT = kind === "argmax" ? "u32" : "f32";
  const body =
    kind === "sum"
      ? `var acc = 0.0; for (var i = lid; i < p.n; i += ${W}u) { acc += X[base + i]; } let r = wgSum(acc, lid);`
      : kind === "max"
        ? `var acc = -3.4e38; for (var i = lid; i < p.n; i += ${W}u) { acc = max(acc, X[base + i]); } let r = wgMax(acc, lid);`
        : `var bv = -3.4e38; var bi = 0xffffffffu;
  for (var i = lid; i < p.n; i += ${W}u) { let v = X[base + i]; if (v > bv || (v == bv && i < bi)) { bv = v; bi = i; } }
  var r = wgArgMax(bv, bi, lid); if (r == 0xffffffffu) { r = 0u; }`;
  return `
struct P { rows: u32, row0: u32, n: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<${outT}>;
@group(0) @binding(2) var<uniform> p: P;
${rowKernelPrelude(W)}
${rowKernelMain(W)}
  ${body}
  if (lid == 0u) { Y[row] = r; }
}`;
}

export function reduceRows(ctx: GpuContext, x: Tensor, kind: Reduction): Tensor {
  const op = `reduce(${kind})`;
  expectDtype(op, "x", x, "f32");
  const n = lastDim(x), rows = rowsOf(x);
  if (n === 0) fail(op, `x ${shapeStr(x.shape)} has an empty last dim`, "reduce over a non-empty dim");
  const out = ctx.empty(x.shape.length > 1 ? x.shape.slice(0, -1) : [1], kind === "argmax" ? "u32" : "f32");
  const W = rowThreads(ctx, n);
  const pipeline = ctx.pipeline(`reduce:${kind}:${W}`, () => reduceWgsl(kind, W));
  dispatchRows(ctx, op, pipeline, rows, [{ t: x, rowElems: n }, { t: out, rowElems: 1 }], (r, r0) => params([r, r0, n]));
  return out;
}

export const sumRows = (ctx: GpuContext, x: Tensor) => reduceRows(ctx, x, "sum");
export const maxRows = (ctx: GpuContext, x: Tensor) => reduceRows(ctx, x, "max");
export const argmaxRows = (ctx: GpuContext, x: Tensor) => reduceRows(ctx, x, "argmax");
