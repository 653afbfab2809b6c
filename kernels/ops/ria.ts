// RIA pruning (Zhang et al., ICLR 2024, "Plug-and-Play"; biomedical-cybernetics/Relative-importance-
// and-activation-pruning lib/prune.py prune_ria): score = (|W_ij| / Σ_i|W_ij| + |W_ij| / Σ_j|W_ij|) ·
// (‖X_j‖₂)^a, then, as the official defaults, one threshold over the whole layer for unstructured
// sparsity (W[score <= sort(score)[floor(numel·s)]] = 0, ties over-prune) or the N smallest of every
// M consecutive inputs per output row. Plain-TypeScript twin: ../reference/ria.ts.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, params } from "./common.js";
import { pruneByScore, type PruneMaskOptions } from "./prune.js";

/** sums[c] = Σ_r |W[r, c]| for c < cols, then sums[cols + r] = Σ_c |W[r, c]| (one thread per line). */
const absSumsWgsl = `
struct P { rows: u32, cols: u32 };
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read_write> sums: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = g.y * nwg.x * 64u + g.x;
  if (i < p.cols) {
    var s = 0.0;
    for (var r = 0u; r < p.rows; r++) { s += abs(W[r * p.cols + i]); }
    sums[i] = s;
  } else if (i < p.cols + p.rows) {
    let r = i - p.cols;
    var s = 0.0;
    for (var c = 0u; c < p.cols; c++) { s += abs(W[r * p.cols + c]); }
    sums[i] = s;
  }
}`;

/**
 * T = RIA score. An all-zero row or column contributes 0 (torch divides 0 by 0 there; those
 * weights are zero either way), and a column that never fired scores 0, so every score is a
 * finite non-negative f32 whose bit pattern sorts as its value (the radix select needs that).
 */
const scoreWgsl = `
struct P { rows: u32, cols: u32, a: f32 };
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read> sums: array<f32>;
@group(0) @binding(2) var<storage, read> colSq: array<f32>;
@group(0) @binding(3) var<storage, read_write> T: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = g.y * nwg.x * 256u + g.x;
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols; let c = i % p.cols;
  let w = abs(W[i]);
  let cs = sums[c]; let rs = sums[p.cols + r];
  let rel = select(0.0, w / cs, cs > 0.0) + select(0.0, w / rs, rs > 0.0);
  let x = sqrt(colSq[c]);
  var act = 1.0;
  if (p.a != 0.0) { act = select(0.0, pow(x, p.a), x > 0.0); }
  T[i] = rel * act;
}`;

export interface RiaOptions extends PruneMaskOptions {
  /** exponent of the activation norm (official default 0.5) */
  a: number;
}

/** The RIA scores of W [out, in] given Wanda's per-input Σx²/n (colSq) — a new tensor [out, in]. */
export function riaScores(ctx: GpuContext, W: Tensor, colSq: Tensor, a: number): Tensor {
  const op = "riaScores";
  expectDtype(op, "W", W, "f32");
  if (W.shape.length !== 2) fail(op, `W ${shapeStr(W.shape)} is not [out, in]`, "pass a 2-D weight");
  expectBindable(ctx, op, "W", W, "prune smaller matrices");
  const [rows, cols] = [W.shape[0]!, W.shape[1]!];
  if (colSq.size !== cols) fail(op, `colSq ${shapeStr(colSq.shape)} does not match W ${shapeStr(W.shape)}`, "pass one statistic per input column");
  if (!(a >= 0 && Number.isFinite(a))) fail(op, `exponent a=${a} is not a finite number ≥ 0`, "pass e.g. 0.5 (the official default)");
  const sums = ctx.empty([cols + rows]), T = ctx.empty([rows, cols]);
  ctx.dispatch({ pipeline: ctx.pipeline("ria:sums", () => absSumsWgsl), bindings: [W, sums], uniforms: params([rows, cols]), workgroups: grid1d(ctx, Math.ceil((rows + cols) / 64)) });
  ctx.dispatch({ pipeline: ctx.pipeline("ria:score", () => scoreWgsl), bindings: [W, sums, colSq, T], uniforms: params([rows, cols, { f: a }]), workgroups: grid1d(ctx, Math.ceil((rows * cols) / 256)) });
  sums.release();
  return T;
}

/** RIA pruning of W in place (see the file comment). Sparsity 0 prunes nothing. */
export function riaPrune(ctx: GpuContext, W: Tensor, colSq: Tensor, o: RiaOptions): void {
  const T = riaScores(ctx, W, colSq, o.a);
  try {
    pruneByScore(ctx, "riaPrune", W, T, o);
  } finally {
    T.release();
  }
}
