// Pruning kernels: exact k-th smallest selection (radix select on the f32 bit patterns of
// non-negative scores), magnitude and Wanda masks (unstructured and N:M), the fused SparseGPT
// block solve, and the calibration statistics (Hessian, Wanda's column norms).
// Plain-TypeScript twins: ../reference/prune.ts.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, params } from "./common.js";
import { gemmUpdate, hessianInverseFactor } from "./linalg.js";
import { matView } from "../runtime/views.js";
import { matmul } from "./matmul.js";

// ---- global k-th smallest (radix select, 4 passes of 8 bits) -----------------------------------
const histWgsl = `
struct P { n: u32, shift: u32, off: u32 };
@group(0) @binding(0) var<storage, read> T: array<f32>;
@group(0) @binding(1) var<storage, read_write> state: array<u32>;
@group(0) @binding(2) var<storage, read_write> hist: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> p: P;
var<workgroup> h: array<atomic<u32>, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  atomicStore(&h[t], 0u);
  workgroupBarrier();
  let prefix = state[0];
  let hi = select(0u, 0xffffffffu << (p.shift + 8u), p.shift < 24u);
  let stride = nwg.x * nwg.y * 256u;
  for (var i = (wg.y * nwg.x + wg.x) * 256u + t; i < p.n; i += stride) {
    let b = bitcast<u32>(T[p.off + i]);
    if ((b & hi) == prefix) { atomicAdd(&h[(b >> p.shift) & 255u], 1u); }
  }
  workgroupBarrier();
  let c = atomicLoad(&h[t]);
  if (c != 0u) { atomicAdd(&hist[t], c); }
}`;

const initWgsl = `
struct P { k: u32 };
@group(0) @binding(0) var<storage, read_write> state: array<u32>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(1)
fn main() { state[0] = 0u; state[1] = p.k; }`;

const scanWgsl = `
struct P { shift: u32 };
@group(0) @binding(0) var<storage, read_write> state: array<u32>;
@group(0) @binding(1) var<storage, read_write> hist: array<u32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  if (t == 0u) {
    var cum = 0u; let k = state[1];
    for (var b = 0u; b < 256u; b++) {
      let c = hist[b];
      if (cum + c > k) { state[0] = state[0] | (b << p.shift); state[1] = k - cum; break; }
      cum += c;
    }
  }
  workgroupBarrier();
  hist[t] = 0u;
}`;

/**
 * Records the selection of the k-th smallest (0-based) of T[off .. off+n) (non-negative, finite
 * f32); afterwards state[0] holds its bit pattern and state[1] its rank among equal values.
 * `state` is u32 [2] and `hist` u32 [256] zeros (left zeroed again).
 */
export function kthSmallest(ctx: GpuContext, T: Tensor, n: number, k: number, state: Tensor, hist: Tensor, off = 0): void {
  if (!(k >= 0 && k < n)) fail("kthSmallest", `k=${k} outside [0, ${n})`, "pass 0 ≤ k < n");
  // reset inside the command stream (a queue write would land before all recorded dispatches)
  ctx.dispatch({ pipeline: ctx.pipeline("prune:kinit", () => initWgsl), bindings: [state], uniforms: params([k]), workgroups: [1] });
  const hp = ctx.pipeline("prune:hist", () => histWgsl), sp = ctx.pipeline("prune:scan", () => scanWgsl);
  const groups = grid1d(ctx, Math.min(1024, Math.ceil(n / 256 / 8)));
  for (const shift of [24, 16, 8, 0]) {
    ctx.dispatch({ pipeline: hp, bindings: [T, state, hist], uniforms: params([n, shift, off]), workgroups: groups });
    ctx.dispatch({ pipeline: sp, bindings: [state, hist], uniforms: params([shift]), workgroups: [1] });
  }
}

// ---- per-row selection with stable ties (Wanda unstructured) --------------------------------
/** Zeroes, in each row, the k entries with the smallest Wanda score |W|·sqrt(scale) (ties: lower index first). */
const rowSelectWgsl = `
struct P { rows: u32, n: u32, k: u32 };
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
var<workgroup> h: array<atomic<u32>, 256>;
var<workgroup> sh: array<u32, 258>;
fn score(r: u32, c: u32) -> u32 {
  return bitcast<u32>(abs(W[r * p.n + c]) * sqrt(scale[c]));
}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = wg.y * nwg.x + wg.x;
  if (r >= p.rows || p.k == 0u) { return; }
  var prefix = 0u; var krem = p.k;
  for (var ps = 0u; ps < 4u; ps++) {
    let shift = 24u - 8u * ps;
    let hi = select(0u, 0xffffffffu << (shift + 8u), shift < 24u);
    atomicStore(&h[t], 0u);
    workgroupBarrier();
    for (var c = t; c < p.n; c += 256u) {
      let b = score(r, c);
      if ((b & hi) == prefix) { atomicAdd(&h[(b >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (t == 0u) {
      var cum = 0u;
      for (var b = 0u; b < 256u; b++) {
        let cnt = atomicLoad(&h[b]);
        if (cum + cnt > krem) { sh[256] = prefix | (b << shift); sh[257] = krem - cum; break; }
        cum += cnt;
      }
    }
    workgroupBarrier();
    prefix = sh[256]; krem = sh[257];
    workgroupBarrier();
  }
  // prune all < thresh, and the first krem (by index) == thresh
  let ch = (p.n + 255u) / 256u;
  let c0 = min(t * ch, p.n); let c1 = min(c0 + ch, p.n);
  var eq = 0u;
  for (var c = c0; c < c1; c++) { if (score(r, c) == prefix) { eq++; } }
  sh[t] = eq;
  workgroupBarrier();
  if (t == 0u) { var s = 0u; for (var i = 0u; i < 256u; i++) { let v = sh[i]; sh[i] = s; s += v; } }
  workgroupBarrier();
  var before = sh[t];
  for (var c = c0; c < c1; c++) {
    let b = score(r, c);
    if (b < prefix) { W[r * p.n + c] = 0.0; }
    else if (b == prefix) { if (before < krem) { W[r * p.n + c] = 0.0; } before++; }
  }
}`;

/** N:M per row on score |W|·sqrt(scale) (wanda) or |W|: in each group of M columns zero the N smallest. */
const nmWgsl = (wanda: boolean) => `
struct P { rows: u32, n: u32, N: u32, M: u32 };
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = g.y * nwg.x * 64u + g.x;
  let groups = p.n / p.M;
  if (id >= p.rows * groups) { return; }
  let r = id / groups; let c0 = (id % groups) * p.M;
  var s: array<f32, 32>;
  for (var j = 0u; j < p.M; j++) {
    ${wanda ? "s[j] = abs(W[r * p.n + c0 + j]) * sqrt(scale[c0 + j]);" : "s[j] = abs(W[r * p.n + c0 + j]);"}
  }
  for (var j = 0u; j < p.M; j++) {
    var rank = 0u;
    for (var f = 0u; f < p.M; f++) { if (s[f] < s[j] || (s[f] == s[j] && f < j)) { rank++; } }
    if (rank < p.N) { W[r * p.n + c0 + j] = 0.0; }
  }
}`;

const absWgsl = `
struct P { n: u32 };
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read_write> T: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = g.y * nwg.x * 256u + g.x;
  if (i < p.n) { T[i] = abs(W[i]); }
}`;

/** W[i] = 0 where the score T[i] <= the selected threshold (bit patterns of non-negative f32 sort as values). */
const zeroLeqWgsl = `
struct P { n: u32 };
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = g.y * nwg.x * 256u + g.x;
  if (i < p.n && bitcast<u32>(T[i]) <= state[0]) { W[i] = 0.0; }
}`;

/** Per row, in each group of M inputs, zero the N lowest scores T (ties: lower index first). */
const nmScoreWgsl = `
struct P { rows: u32, cols: u32, N: u32, M: u32 };
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = g.y * nwg.x * 64u + g.x;
  if (id >= p.rows * (p.cols / p.M)) { return; }
  let base = id * p.M; // groups tile each row, so group id starts at flat index id·M
  for (var j = 0u; j < p.M; j++) {
    var rank = 0u;
    for (var f = 0u; f < p.M; f++) { if (T[base + f] < T[base + j] || (T[base + f] == T[base + j] && f < j)) { rank++; } }
    if (rank < p.N) { W[base + j] = 0.0; }
  }
}`;

export interface PruneMaskOptions {
  sparsity: number;
  /** N:M (per output row, M consecutive input columns); sparsity is then ignored. */
  nm?: { n: number; m: number };
}

function checkW(ctx: GpuContext, op: string, W: Tensor): [number, number] {
  expectDtype(op, "W", W, "f32");
  if (W.shape.length !== 2) fail(op, `W ${shapeStr(W.shape)} is not [out, in]`, "pass a 2-D weight");
  expectBindable(ctx, op, "W", W, "prune smaller matrices");
  return [W.shape[0]!, W.shape[1]!];
}

function checkNM(op: string, cols: number, nm: { n: number; m: number }) {
  if (!(nm.n >= 1 && nm.m <= 32 && nm.n < nm.m)) fail(op, `N:M ${nm.n}:${nm.m} needs 1 ≤ N < M ≤ 32`, "use e.g. 2:4 or 4:8");
  if (cols % nm.m) fail(op, `width ${cols} is not divisible by M=${nm.m}`, `use a pattern whose M divides ${cols}`);
}
function checkSparsity(op: string, s: number) {
  if (!(s >= 0 && s < 1)) fail(op, `sparsity ${s} outside [0, 1)`, "pass a sparsity in [0, 1)");
}

/**
 * Magnitude pruning in place: unstructured = one threshold over the whole matrix,
 * W[|W| <= sort(|W|)[floor(numel·s)]] = 0 (ties over-prune, as the reference); N:M per row.
 * Sparsity 0 prunes nothing.
 */
export function magnitudePrune(ctx: GpuContext, W: Tensor, o: PruneMaskOptions): void {
  const op = "magnitudePrune";
  const [rows, cols] = checkW(ctx, op, W);
  const one = ctx.zeros([1]);
  if (o.nm) {
    checkNM(op, cols, o.nm);
    ctx.dispatch({ pipeline: ctx.pipeline("prune:nm:mag", () => nmWgsl(false), { layout: "declared" }), bindings: [W, one], uniforms: params([rows, cols, o.nm.n, o.nm.m]), workgroups: grid1d(ctx, Math.ceil((rows * cols) / o.nm.m / 64)) });
  } else {
    checkSparsity(op, o.sparsity);
    const numel = rows * cols;
    if (o.sparsity > 0 && numel > 0) {
      const T = ctx.empty([numel]);
      ctx.dispatch({ pipeline: ctx.pipeline("prune:abs", () => absWgsl), bindings: [W, T], uniforms: params([numel]), workgroups: grid1d(ctx, Math.ceil(numel / 256)) });
      pruneByScore(ctx, op, W, T, o);
      T.release();
    }
  }
  one.release();
}

/**
 * Prunes W [out, in] in place by a score tensor T of its shape (finite, ≥ 0): unstructured = one threshold
 * over the whole matrix, W[T <= sort(T)[floor(numel·s)]] = 0 (ties over-prune); N:M = in each group of M
 * consecutive inputs of a row, the N lowest scores (ties: lower index). Magnitude (T = |W|) and RIA use it.
 */
export function pruneByScore(ctx: GpuContext, op: string, W: Tensor, T: Tensor, o: PruneMaskOptions): void {
  const [rows, cols] = checkW(ctx, op, W), numel = rows * cols;
  if (o.nm) {
    checkNM(op, cols, o.nm);
    ctx.dispatch({ pipeline: ctx.pipeline("prune:nm:score", () => nmScoreWgsl), bindings: [W, T], uniforms: params([rows, cols, o.nm.n, o.nm.m]), workgroups: grid1d(ctx, Math.ceil(numel / o.nm.m / 64)) });
    return;
  }
  checkSparsity(op, o.sparsity);
  if (o.sparsity === 0 || numel === 0) return;
  const state = ctx.zeros([2], "u32"), hist = ctx.zeros([256], "u32");
  kthSmallest(ctx, T, numel, Math.floor(numel * o.sparsity), state, hist);
  ctx.dispatch({ pipeline: ctx.pipeline("prune:zeroLeq", () => zeroLeqWgsl), bindings: [W, T, state], uniforms: params([numel]), workgroups: grid1d(ctx, Math.ceil(numel / 256)) });
  state.release(); hist.release();
}

/**
 * Wanda in place: score |W|·sqrt(colSq) (colSq = Σ_tokens x² / n_seq per input column); per
 * output row the floor(in·s) lowest scores are zeroed (stable: ties → lower index); N:M per row.
 */
export function wandaPrune(ctx: GpuContext, W: Tensor, colSq: Tensor, o: PruneMaskOptions): void {
  const op = "wandaPrune";
  const [rows, cols] = checkW(ctx, op, W);
  if (colSq.size !== cols) fail(op, `colSq ${shapeStr(colSq.shape)} does not match W ${shapeStr(W.shape)}`, "pass one statistic per input column");
  if (o.nm) {
    checkNM(op, cols, o.nm);
    ctx.dispatch({ pipeline: ctx.pipeline("prune:nm:wanda", () => nmWgsl(true), { layout: "declared" }), bindings: [W, colSq], uniforms: params([rows, cols, o.nm.n, o.nm.m]), workgroups: grid1d(ctx, Math.ceil((rows * cols) / o.nm.m / 64)) });
  } else {
    checkSparsity(op, o.sparsity);
    const k = Math.floor(cols * o.sparsity);
    if (k > 0) ctx.dispatch({ pipeline: ctx.pipeline("prune:rowsel:wanda", () => rowSelectWgsl), bindings: [W, colSq], uniforms: params([rows, cols, k]), workgroups: grid1d(ctx, rows) });
  }
}

// ---- SparseGPT -------------------------------------------------------------------------------
const deadWgsl = `
struct P { rows: u32, cols: u32 };
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> H: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.y >= p.rows || g.x >= p.cols) { return; }
  if (H[g.x * p.cols + g.x] == 0.0) { W[g.y * p.cols + g.x] = 0.0; }
}`;

/** W[:, j] = 0 where H[j, j] = 0 (an input that never fired), as SparseGPT and GPTQ do before the solve. */
export function zeroDeadColumns(ctx: GpuContext, W: Tensor, H: Tensor, rows: number, cols: number): void {
  ctx.dispatch({ pipeline: ctx.pipeline("prune:dead", () => deadWgsl), bindings: [W, H], uniforms: params([rows, cols]), workgroups: [Math.ceil(cols / 16), Math.ceil(rows / 16)] });
}

/** T[r, j] = W[r, i1+j]² / Hinv[i1+j, i1+j]² for the block (SparseGPT's adaptive-mask score). */
export const obsScoreWgsl = `
struct P { rows: u32, cols: u32, i1: u32, bw: u32 };
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read> Hinv: array<f32>;
@group(0) @binding(2) var<storage, read_write> T: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let r = g.y; let j = g.x;
  if (r >= p.rows || j >= p.bw) { return; }
  let w = W[r * p.cols + p.i1 + j];
  let d = Hinv[(p.i1 + j) * p.cols + p.i1 + j];
  T[r * p.bw + j] = (w * w) / (d * d);
}`;

/**
 * The in-block OBS sweep, fused: one workgroup of B threads (one per block column) owns R rows,
 * kept in workgroup memory; for each column i in turn it fixes q (mask or N:M choice on the
 * updated weights), writes Q into W and err into E, and applies the rank-1 update to the
 * columns after i. Rows are independent once the mask is known, so the block is one dispatch.
 * One builder serves SparseGPT and GPTQ (`quantize`: q = quantize(mask ? 0 : w), with the
 * per-column group params PR/SLOT and the levels written to LV).
 */
export const SOLVE_ROWS = 8;
export interface ObsSolveOptions {
  /** mask from the block's score threshold (state[0]); otherwise nothing is masked up front */
  threshold: boolean;
  /** choose N of every M columns on the updated weights (SparseGPT N:M) */
  nm?: boolean;
  quantize?: boolean;
  /** quantizer params vary along the block (GPTQ groups): fetched per column, not once per row */
  grouped?: boolean;
}
/**
 * The in-block sweep: R rows × B columns of W in workgroup memory, one thread per column. The
 * loop over the block's columns is sequential (each column's error updates the next), so every
 * global read it needs is fetched before the loop (the block's Hinv diagonal, the quantizer
 * params) or issued at the top of an iteration, ahead of the barrier it would otherwise wait on.
 */
export const obsSolveWgsl = (B: number, o: ObsSolveOptions) => {
  const R = SOLVE_ROWS;
  const quant = !!o.quantize, grouped = quant && !!o.grouped, masked = o.threshold || !!o.nm;
  return `
struct P { rows: u32, cols: u32, i1: u32, bw: u32, eld: u32, eoff: u32, ${quant ? "maxq: f32" : "N: u32, M: u32"} };
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> Hinv: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<f32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
@group(0) @binding(4) var<storage, read_write> E: array<f32>;
${quant ? `@group(0) @binding(5) var<storage, read> PR: array<f32>;
@group(0) @binding(6) var<storage, read> SLOT: array<u32>;
@group(0) @binding(7) var<storage, read_write> LV: array<u32>;
@group(0) @binding(8) var<uniform> p: P;` : "@group(0) @binding(5) var<uniform> p: P;"}
var<workgroup> ws: array<array<f32, ${B}>, ${R}>;
${masked ? `var<workgroup> mk: array<array<u32, ${B}>, ${R}>;` : ""}
${grouped ? `var<workgroup> qp: array<array<vec2<f32>, ${B}>, ${R}>;` : quant ? `var<workgroup> qp: array<vec2<f32>, ${R}>;` : ""}
var<workgroup> dg: array<f32, ${B}>;
var<workgroup> es: array<f32, ${R}>;
@compute @workgroup_size(${B})
fn main(@builtin(local_invocation_index) j: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r0 = (wg.y * nwg.x + wg.x) * ${R}u;
  let thresh = state[0];
  if (j < p.bw) { dg[j] = Hinv[(p.i1 + j) * p.cols + p.i1 + j]; }
  ${grouped ? `let slot = SLOT[p.i1 + min(j, p.bw - 1u)];` : ""}
  for (var r = 0u; r < ${R}u; r++) {
    let row = r0 + r;
    var w = 0.0; var m = 0u;
    if (row < p.rows && j < p.bw) {
      w = W[row * p.cols + p.i1 + j];
      ${o.threshold ? "m = select(0u, 1u, bitcast<u32>(T[row * p.bw + j]) <= thresh);" : ""}
    }
    ws[r][j] = w;${masked ? " mk[r][j] = m;" : ""}
    ${grouped ? `{ let q = (slot * p.rows + min(row, p.rows - 1u)) * 2u; qp[r][j] = vec2<f32>(PR[q], PR[q + 1u]); }` : ""}
  }
  ${quant && !grouped ? `if (j < ${R}u) { let q = (SLOT[p.i1] * p.rows + min(r0 + j, p.rows - 1u)) * 2u; qp[j] = vec2<f32>(PR[q], PR[q + 1u]); }` : ""}
  workgroupBarrier();
  for (var i = 0u; i < p.bw; i++) {
    let hrow = (p.i1 + i) * p.cols + p.i1;
    var h = 0.0;
    if (j > i && j < p.bw) { h = Hinv[hrow + j]; } // issued now, used after the barrier
    ${o.nm ? `
    if (i % p.M == 0u) {
      for (var t = j; t < ${R}u * p.M; t += ${B}u) {
        let r = t / p.M; let jj = t % p.M;
        let dj = dg[i + jj];
        let sj = (ws[r][i + jj] * ws[r][i + jj]) / (dj * dj);
        var rank = 0u;
        for (var f = 0u; f < p.M; f++) {
          let df = dg[i + f];
          let sf = (ws[r][i + f] * ws[r][i + f]) / (df * df);
          if (sf < sj || (sf == sj && f < jj)) { rank++; }
        }
        if (rank < p.N) { mk[r][i + jj] = 1u; }
      }
      workgroupBarrier();
    }` : ""}
    if (j < ${R}u) {
      let row = r0 + j;
      let wi = ws[j][i];
      let x = ${masked ? "select(wi, 0.0, mk[j][i] == 1u)" : "wi"};
      ${quant ? `let sz = ${grouped ? "qp[j][i]" : "qp[j]"};
      let lv = clamp(round(x / sz.x) + sz.y, 0.0, p.maxq);
      let q = sz.x * (lv - sz.y);` : "let q = x;"}
      let err = (wi - q) / dg[i];
      es[j] = err;
      if (row < p.rows) { W[row * p.cols + p.i1 + i] = q; E[row * p.eld + p.eoff + i] = err;${quant ? " LV[row * p.cols + p.i1 + i] = u32(lv);" : ""} }
    }
    workgroupBarrier();
    if (j > i && j < p.bw) {
      for (var r = 0u; r < ${R}u; r++) { ws[r][j] = fma(-es[r], h, ws[r][j]); }
    }
    workgroupBarrier();
  }
}`;
};

/**
 * The fused solve keeps R rows × B columns (values, mask or per-column quantizer params) in workgroup
 * memory and B threads, of which the first R also own one row each: B must be at least R.
 */
export function checkSolveBlock(ctx: GpuContext, op: string, B: number, what: string): void {
  if (!(Number.isInteger(B) && B <= 128)) fail(op, `${what}blockSize ${B}`, `use ${SOLVE_ROWS}..128`);
  if (B < SOLVE_ROWS) fail(op, `${what}blockSize ${B} is below ${SOLVE_ROWS}`, `use a blockSize of ${SOLVE_ROWS}..128`);
  if (B * SOLVE_ROWS * 12 + B * 4 + SOLVE_ROWS * 8 > ctx.limits.maxComputeWorkgroupStorageSize || B > ctx.limits.maxComputeInvocationsPerWorkgroup)
    fail(op, `${what}blockSize ${B} needs more workgroup memory/threads than ${ctx.adapterDescription} offers`, "use a smaller blockSize");
}

/**
 * Blocks whose lazy updates to the later columns are gathered into one GEMM (K = 4 blocks runs far
 * more efficiently than one block); ctx.tuning.lazySpanBlocks (KICK_LAZY_SPAN_BLOCKS, 1..8), 1 = one GEMM per block.
 */
export const lazySpanBlocks = (ctx: GpuContext): number => ctx.tuning.lazySpanBlocks;

/**
 * The lazy-batch loop shared by SparseGPT and GPTQ over spans of `spanBlocks` blocks:
 * `block(i1, bw, eOff)` records one block's work, writing its errors into E[:, eOff .. eOff + bw)
 * (E is [rows, B·spanBlocks]); the next blocks of the same span get this block's update at once
 * (W[:, i2:s2] −= Err·Hinv[i1:i2, i2:s2]); the columns after the span get the whole span's in one GEMM
 * with K = the span. The same sums as one update per block, grouped — so the columns after the
 * current span are only up to date at span starts (callers reading them mid-span use spanBlocks 1).
 */
export function lazyBlocks(ctx: GpuContext, rows: number, cols: number, B: number, spanBlocks: number, W: Tensor, hinv: Tensor, E: Tensor, block: (i1: number, bw: number, eOff: number) => void): void {
  const span = B * spanBlocks;
  for (let s1 = 0; s1 < cols; s1 += span) {
    const s2 = Math.min(s1 + span, cols);
    for (let i1 = s1; i1 < s2; i1 += B) {
      const i2 = Math.min(i1 + B, s2), bw = i2 - i1;
      block(i1, bw, i1 - s1);
      if (i2 < s2) gemmUpdate(ctx, rows, s2 - i2, bw, matView(E, i1 - s1, span), matView(hinv, i1 * cols + i2, cols), matView(W, i2, cols), { alpha: -1, beta: 1 });
    }
    if (s2 < cols) gemmUpdate(ctx, rows, cols - s2, s2 - s1, matView(E, 0, span), matView(hinv, s1 * cols + s2, cols), matView(W, s2, cols), { alpha: -1, beta: 1 });
    ctx.flush(); // let the GPU run while the next span is recorded
  }
}

export interface SparseGptOptions extends PruneMaskOptions {
  /** Damping as a fraction of mean(diag H) (percdamp). Default 0.01. */
  damping?: number;
  /** Columns per lazy-update block (≤ 128). Default 128. */
  blockSize?: number;
  /** Names the layer in errors. */
  layer?: string;
}

export interface SparseGptResult {
  damping: number;
  deadColumns: number;
}

/**
 * SparseGPT's fasterprune in place on W [rows, cols] given H [cols, cols] (H is not modified):
 * dead columns zeroed, Hinv via `hessianInverseFactor`, then per block of `blockSize` columns:
 * adaptive mask (unstructured: one threshold over the rows×B block), one fused solve dispatch,
 * and the lazy update W[:, i2:] -= Err·Hinv[i1:i2, i2:] as one GEMM.
 */
export async function sparsegptPrune(ctx: GpuContext, W: Tensor, H: Tensor, o: SparseGptOptions): Promise<SparseGptResult> {
  const op = "sparsegptPrune";
  const [rows, cols] = checkW(ctx, op, W);
  expectDtype(op, "H", H, "f32");
  if (H.shape.length !== 2 || H.shape[0] !== cols || H.shape[1] !== cols)
    fail(op, `H ${shapeStr(H.shape)} does not match W ${shapeStr(W.shape)}`, `pass the [${cols}, ${cols}] Hessian of this layer's input`);
  const B = o.blockSize ?? 128;
  checkSolveBlock(ctx, op, B, "");
  if (o.nm) {
    checkNM(op, cols, o.nm);
    if (B % o.nm.m) fail(op, `blockSize ${B} is not a multiple of M=${o.nm.m}`, "use a block size divisible by M");
  } else checkSparsity(op, o.sparsity);
  zeroDeadColumns(ctx, W, H, rows, cols);
  const { hinv, damping, deadColumns } = await hessianInverseFactor(ctx, H, o.damping ?? 0.01, o.layer ?? "layer");
  const spanBlocks = lazySpanBlocks(ctx);
  const T = ctx.empty([rows * B]), E = ctx.empty([rows, B * spanBlocks]);
  const state = ctx.zeros([2], "u32"), hist = ctx.zeros([256], "u32");
  const nmMode = !!o.nm;
  const solve = ctx.pipeline(`obs:solve:${B}:${!nmMode}:${nmMode}:false`, () => obsSolveWgsl(B, { threshold: !nmMode, nm: nmMode }), { layout: "declared" });
  const score = ctx.pipeline("obs:score", () => obsScoreWgsl);
  const rowGroups = grid1d(ctx, Math.ceil(rows / SOLVE_ROWS));
  lazyBlocks(ctx, rows, cols, B, spanBlocks, W, hinv, E, (i1, bw, eOff) => {
    if (!nmMode) {
      ctx.dispatch({ pipeline: score, bindings: [W, hinv, T], uniforms: params([rows, cols, i1, bw]), workgroups: [Math.ceil(bw / 16), Math.ceil(rows / 16)] });
      const n = rows * bw;
      kthSmallest(ctx, T, n, Math.floor(n * o.sparsity), state, hist);
    }
    ctx.dispatch({ pipeline: solve, bindings: [W, hinv, T, state, E], uniforms: params([rows, cols, i1, bw, B * spanBlocks, eOff, o.nm?.n ?? 0, o.nm?.m ?? 1]), workgroups: rowGroups });
  });
  T.release(); E.release(); state.release(); hist.release(); hinv.release();
  return { damping, deadColumns };
}

// ---- calibration statistics ------------------------------------------------------------------
const axpbyWgsl = `
struct P { n: u32, a: f32, b: f32 };
@group(0) @binding(0) var<storage, read_write> Y: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = g.y * nwg.x * 256u + g.x;
  if (i < p.n) { Y[i] = p.a * Y[i] + p.b * X[i]; }
}`;

const colSqWgsl = `
struct P { tokens: u32, cols: u32, a: f32, b: f32 };
@group(0) @binding(0) var<storage, read_write> S: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let c = g.x;
  if (c >= p.cols) { return; }
  var acc = 0.0;
  for (var t = 0u; t < p.tokens; t++) { let v = X[t * p.cols + c]; acc = fma(v, v, acc); }
  S[c] = p.a * S[c] + p.b * acc;
}`;

/**
 * SparseGPT/GPTQ Hessian running average for one calibration call of `batch` sequences whose
 * tokens are the rows of X [tokens, cols]: H ← H·n/(n+b) + (2/(n+b))·XᵀX. Returns the new n.
 */
export function hessianAccumulate(ctx: GpuContext, H: Tensor, X: Tensor, nSeen: number, batch = 1): number {
  const op = "hessianAccumulate";
  expectDtype(op, "X", X, "f32");
  const cols = X.shape[X.shape.length - 1]!;
  if (H.shape[0] !== cols || H.shape[1] !== cols) fail(op, `H ${shapeStr(H.shape)} does not match X ${shapeStr(X.shape)}`, "pass H [in, in]");
  const X2 = ctx.reshape(X, [X.size / cols, cols]);
  const G = matmul(ctx, X2, X2, { transA: true });
  const n2 = nSeen + batch;
  ctx.dispatch({ pipeline: ctx.pipeline("prune:axpby", () => axpbyWgsl), bindings: [H, G], uniforms: params([H.size, { f: nSeen / n2 }, { f: 2 / n2 }]), workgroups: grid1d(ctx, Math.ceil(H.size / 256)) });
  G.release();
  return n2;
}

/** Wanda's scaler_row: S ← S·n/(n+b) + Σ_tokens x²/(n+b). Returns the new n. */
export function columnSqAccumulate(ctx: GpuContext, S: Tensor, X: Tensor, nSeen: number, batch = 1): number {
  const cols = X.shape[X.shape.length - 1]!;
  if (S.size !== cols) fail("columnSqAccumulate", `S ${shapeStr(S.shape)} does not match X ${shapeStr(X.shape)}`, "pass S [in]");
  const n2 = nSeen + batch;
  ctx.dispatch({ pipeline: ctx.pipeline("prune:colsq", () => colSqWgsl), bindings: [S, X], uniforms: params([X.size / cols, cols, { f: nSeen / n2 }, { f: 1 / n2 }]), workgroups: [Math.ceil(cols / 64)] });
  return n2;
}
