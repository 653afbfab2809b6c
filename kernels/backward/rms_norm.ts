// RMSNorm backward. y = x · r · w with r = 1/sqrt(mean(x²) + eps), per row of n:
//   dx = r · (w·dy − x · r² · mean(w·dy·x)),   dw = Σ_rows dy · x · r
// Kernel 1: one workgroup per row → dx and r. Kernel 2: dw by chunks of rows, summed in order
// (deterministic; no atomics).
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, lastDim, params, rowKernelMain, rowKernelPrelude, rowsOf, rowThreads } from "../ops/common.js";
import { sumLeadingInto } from "./sum_leading.js";

const dxWgsl = (W: number) => `
struct P { rows: u32, n: u32, eps: f32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read> dY: array<f32>;
@group(0) @binding(3) var<storage, read_write> dX: array<f32>;
@group(0) @binding(4) var<storage, read_write> R: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
${rowKernelPrelude(W)}
${rowKernelMain(W)} let nf = f32(p.n);
  var q = 0.0; var c = 0.0;
  for (var i = lid; i < p.n; i += ${W}u) { let x = X[base + i]; q += x * x; c += Wt[i] * dY[base + i] * x; }
  let r = inverseSqrt(wgSum(q, lid) / nf + p.eps);
  let cm = wgSum(c, lid) / nf;
  for (var i = lid; i < p.n; i += ${W}u) { dX[base + i] = r * (Wt[i] * dY[base + i] - X[base + i] * r * r * cm); }
  if (lid == 0u) { R[row] = r; }
}`;

// dw in two deterministic stages: partial sums over chunks of ROWS rows (one thread per (chunk, column)),
// then the chunks in order (sumLeadingInto), so long token counts keep the GPU busy.
const ROWS = 64;
const dwWgsl = `
struct P { rows: u32, n: u32, chunks: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read> R: array<f32>;
@group(0) @binding(3) var<storage, read_write> Part: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x; let c = gid.y;
  if (i >= p.n || c >= p.chunks) { return; }
  var s = 0.0;
  let r1 = min(p.rows, (c + 1u) * ${ROWS}u);
  for (var r = c * ${ROWS}u; r < r1; r++) { s += dY[r * p.n + i] * X[r * p.n + i] * R[r]; }
  Part[c * p.n + i] = s;
}`;

/** dx of RMSNorm; adds dw into `dw` when given (frozen weights: pass null). */
export function rmsNormBackward(ctx: GpuContext, x: Tensor, w: Tensor, dy: Tensor, eps: number, dw: Tensor | null): Tensor {
  const op = "rmsNormBackward";
  for (const [name, t] of [["x", x], ["weight", w], ["dy", dy]] as const) expectDtype(op, name, t, "f32");
  const n = lastDim(x), rows = rowsOf(x);
  if (w.size !== n) fail(op, `weight ${shapeStr(w.shape)} does not match x ${shapeStr(x.shape)}`, "pass the weight of the normalised dim");
  if (dy.size !== x.size) fail(op, `dy ${shapeStr(dy.shape)} does not match x ${shapeStr(x.shape)}`, "pass dy of x's shape");
  if (dw && dw.size !== n) fail(op, `dw ${shapeStr(dw.shape)} does not match weight ${shapeStr(w.shape)}`, "pass dw of the weight's shape");
  for (const [name, t] of [["x", x], ["dy", dy]] as const) expectBindable(ctx, op, name, t, "use fewer rows per call");
  const dx = ctx.empty(x.shape);
  const r = ctx.empty([rows]);
  const W = rowThreads(ctx, n);
  ctx.dispatch({
    pipeline: ctx.pipeline(`rmsNormBackward:${W}`, () => dxWgsl(W)),
    bindings: [x, w, dy, dx, r],
    uniforms: params([rows, n, { f: eps }]),
    workgroups: grid1d(ctx, rows),
  });
  if (dw && rows) {
    const chunks = Math.ceil(rows / ROWS);
    if (chunks > ctx.limits.maxComputeWorkgroupsPerDimension) fail(op, `${rows} rows need ${chunks} chunks, over the workgroup grid limit`, "use fewer rows per call");
    const part = ctx.empty([chunks, n]);
    ctx.dispatch({ pipeline: ctx.pipeline("rmsNormBackwardW", () => dwWgsl), bindings: [x, dy, r, part], uniforms: params([rows, n, chunks]), workgroups: [Math.ceil(n / 64), chunks] });
    sumLeadingInto(ctx, part, dw);
    part.release();
  }
  r.release();
  return dx;
}
