// Dense linear algebra for the second-order compressors (SparseGPT, GPTQ): a strided GEMM update,
// a recursive f32 Cholesky that also yields the factor's inverse, and `hessianInverseFactor`, which returns
// the upper Cholesky factor U of (H + damp·I)⁻¹ (H⁻¹ = UᵀU) as SparseGPT's `Hinv` — the same
// matrix as torch's cholesky(cholesky_inverse(cholesky(H)), upper=True), computed without
// forming H⁻¹: with J the reversal permutation and J·H·J = L·Lᵀ, U = J·L⁻¹·J.
// All matrices are row-major f32; plain-TypeScript twins are in ../reference/linalg.ts.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { matView, type MatView } from "../runtime/views.js";
import { expectBindable, expectDtype, params } from "./common.js";
import { chooseTile } from "./matmul.js";
import { matmulWgsl, tileKey, type MatmulVariant } from "./matmul_wgsl.js";


const TILE = 64; // 64×64 outputs per workgroup, 16×16 threads × 4×4 outputs, K chunks of 16

function gemmWgsl(transB: boolean, lower: boolean): string {
  const bIdx = transB ? "(p.bOff + gc * p.ldb + gk)" : "(p.bOff + gk * p.ldb + gc)";
  return `
struct P { m: u32, n: u32, k: u32, aOff: u32, lda: u32, bOff: u32, ldb: u32, cOff: u32, ldc: u32, alpha: f32, beta: f32 };
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
var<workgroup> As: array<array<f32, 64>, 16>;
var<workgroup> Bs: array<array<f32, 64>, 16>;
@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let row0 = wg.y * 64u; let col0 = wg.x * 64u;
  ${lower ? "if (col0 > row0 + 63u) { return; }" : ""}
  let tid = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; } }
  for (var k0 = 0u; k0 < p.k; k0 += 16u) {
    for (var e = 0u; e < 4u; e++) {
      let idx = tid * 4u + e;           // 0..1023
      // A tile: 64 rows × 16 k; idx → (r = idx / 16, kk = idx % 16)
      let ar = idx / 16u; let ak = idx % 16u;
      let gr = row0 + ar; let gka = k0 + ak;
      var av = 0.0;
      if (gr < p.m && gka < p.k) { av = A[p.aOff + gr * p.lda + gka]; }
      As[ak][ar] = av;
      // B tile: 16 k × 64 cols
      ${transB ? "let bc = idx / 16u; let bk = idx % 16u;" : "let bk = idx / 64u; let bc = idx % 64u;"}
      let gc = col0 + bc; let gk = k0 + bk;
      var bv = 0.0;
      if (gc < p.n && gk < p.k) { bv = B[${bIdx}]; }
      Bs[bk][bc] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var a: array<f32, 4>; var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[kk][lid.y + 16u * i]; b[i] = Bs[kk][lid.x + 16u * i]; }
      for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(a[i], b[j], acc[i][j]); } }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y + 16u * i;
    if (r >= p.m) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x + 16u * j;
      if (c >= p.n) { continue; }
      ${lower ? "if (c > r) { continue; }" : ""}
      let ci = p.cOff + r * p.ldc + c;
      var old = 0.0;
      if (p.beta != 0.0) { old = p.beta * C[ci]; }
      C[ci] = old + p.alpha * acc[i][j];
    }
  }
}`;
}

export interface GemmOptions {
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /** Only write C entries with column ≤ row (in C's local coordinates): a SYRK update. */
  lower?: boolean;
  /**
   * An operand is lower triangular in its local coordinates (zero above the diagonal, stored as
   * zeros): K-tiles that can only meet those zeros are skipped. "a": A[r][k] = 0 for k > r;
   * "b": B[k][c] = 0 for k < c (B[c][k] = 0 for k > c with transB). Only a speed-up: the
   * fallback kernel reads the zeros.
   */
  tri?: "a" | "b";
  /** `count` products at element offsets advanced by a, b, c per product (one dispatch). */
  batch?: { count: number; a: number; b: number; c: number };
}

/**
 * C[m×n] = beta·C + alpha·A[m×k]·B[k×n] (B given as [n×k] with transB) on strided views.
 * C must not share a buffer with A or B. Records one dispatch.
 */
export function gemmUpdate(ctx: GpuContext, m: number, n: number, k: number, A: MatView, B: MatView, C: MatView, o: GemmOptions = {}): void {
  const op = "gemmUpdate";
  if (m === 0 || n === 0) return;
  if (C.t.buffer === A.t.buffer || C.t.buffer === B.t.buffer) fail(op, "C aliases A or B", "write into a separate tensor");
  for (const [name, v] of [["A", A], ["B", B], ["C", C]] as const) {
    expectDtype(op, name, v.t, "f32");
    expectBindable(ctx, op, name, v.t, "use smaller matrices");
  }
  const transB = !!o.transB, lower = !!o.lower;
  const bt = o.batch;
  const tri = o.tri === "a" ? 1 : o.tri === "b" ? (transB ? 3 : 2) : 0;
  const fast = stridedMatmul(ctx, m, n, k, A, B, C, transB, lower, o.alpha ?? 1, o.beta ?? 1, bt, tri);
  if (fast) return;
  if (bt && bt.count > 1) {
    for (let z = 0; z < bt.count; z++)
      gemmUpdate(ctx, m, n, k, { ...A, off: A.off + z * bt.a }, { ...B, off: B.off + z * bt.b }, { ...C, off: C.off + z * bt.c }, { ...o, batch: undefined });
    return;
  }
  const pipe = ctx.pipeline(`linalg:gemm:${transB}:${lower}`, () => gemmWgsl(transB, lower));
  ctx.dispatch({
    pipeline: pipe,
    bindings: [A.t, B.t, C.t],
    uniforms: params([m, n, k, A.off, A.ld, B.off, B.ld, C.off, C.ld, { f: o.alpha ?? 1 }, { f: o.beta ?? 1 }]),
    workgroups: [Math.ceil(n / TILE), Math.ceil(m / TILE)],
  });
}

/**
 * kick's register-blocked matmul (matmul_wgsl.ts) in its strided form: C = beta·C + alpha·A·B on
 * strided views, skipping tiles above the diagonal (lower). With `lower`, entries above the
 * diagonal inside diagonal tiles are written too (callers ignore the strict upper triangle).
 * Returns false where the simple kernel above is to run instead.
 */
function stridedMatmul(ctx: GpuContext, m: number, n: number, k: number, A: MatView, B: MatView, C: MatView,
  transB: boolean, lower: boolean, alpha: number, beta: number, bt?: { count: number; a: number; b: number; c: number }, tri = 0): boolean {
  if (ctx.tuning.simpleGemm) return false;
  const tile = chooseTile(ctx, m, n, 1);
  const al = (v: MatView, st = 0) => v.ld % 4 === 0 && v.off % 4 === 0 && v.t.size % 4 === 0 && st % 4 === 0;
  const v: MatmulVariant = {
    ...tile, transA: false, transB,
    checked: m % tile.BM !== 0 || n % tile.BN !== 0 || k % tile.BK !== 0,
    vecA: al(A, bt?.a) && k % 4 === 0,
    vecB: al(B, bt?.b) && (transB ? k % 4 === 0 : n % 4 === 0),
    vecC: al(C, bt?.c) && n % 4 === 0,
  };
  const key = `linalg:smm:${tileKey(tile)}:${+transB}${+v.checked}${+v.vecA}${+v.vecB}${+v.vecC}`;
  const pipe = ctx.pipeline(key, () => matmulWgsl({ ...v, strided: true }));
  const numTiles = Math.ceil(k / tile.BK);
  ctx.dispatch({
    pipeline: pipe,
    bindings: [A.t, B.t, C.t],
    uniforms: params([m, n, k, A.off, B.off, C.off, C.ld, 0, numTiles, A.ld, B.ld, { f: alpha }, { f: beta }, lower ? 1 : 0, bt?.a ?? 0, bt?.b ?? 0, bt?.c ?? 0, tri]),
    workgroups: [Math.ceil(n / tile.BN), Math.ceil(m / tile.BM), bt?.count ?? 1],
  });
  return true;
}

// ---- Cholesky and inverse ----------------------------------------------------------------------
/** Leaf size of the recursive Cholesky: 64 where the workgroup memory allows (32 KiB), else 32; ctx.tuning.cholBlock overrides. */
export function cholBlock(ctx: GpuContext): number {
  if (ctx.tuning.cholBlock) return ctx.tuning.cholBlock;
  return ctx.limits.maxComputeWorkgroupStorageSize >= 2 * 64 * 64 * 4 ? 64 : 32;
}

/** Factor the bw×bw diagonal block at (k0,k0) of A (lower, in place) and write its inverse into X at (k0,k0). */
const potrfWgsl = (bs: number) => `
struct P { n: u32, k0: u32, bw: u32 };
@group(0) @binding(0) var<storage, read_write> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> flag: array<u32>;
@group(0) @binding(3) var<uniform> p: P;
var<workgroup> a: array<array<f32, ${bs}>, ${bs}>;
var<workgroup> x: array<array<f32, ${bs}>, ${bs}>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  let bw = p.bw;
  for (var e = t; e < ${bs * bs}u; e += 256u) {
    let i = e / ${bs}u; let j = e % ${bs}u;
    var v = 0.0;
    if (i < bw && j < bw && j <= i) { v = A[(p.k0 + i) * p.n + p.k0 + j]; }
    if (i >= bw && i == j) { v = 1.0; }
    a[i][j] = v; x[i][j] = 0.0;
  }
  workgroupBarrier();
  for (var j = 0u; j < ${bs}u; j++) {
    let piv = a[j][j];
    workgroupBarrier();
    var d = sqrt(piv);
    if (!(piv > 0.0) || !(d <= 3.4e38)) {
      d = 1.0;
      if (t == 0u) { flag[0] = p.k0 + j + 1u; }
    }
    if (t > j && t < ${bs}u) { a[t][j] = a[t][j] / d; }
    if (t == j) { a[j][j] = d; }
    workgroupBarrier();
    for (var e = t; e < ${bs * bs}u; e += 256u) {
      let i = e / ${bs}u; let c = e % ${bs}u;
      if (c > j && i >= c) { a[i][c] = a[i][c] - a[i][j] * a[c][j]; }
    }
    workgroupBarrier();
  }
  // inverse of the lower factor: column t solves L x = e_t
  if (t < ${bs}u) {
    for (var i = t; i < ${bs}u; i++) {
      var s = select(0.0, 1.0, i == t);
      for (var k = t; k < i; k++) { s = s - a[i][k] * x[k][t]; }
      x[i][t] = s / a[i][i];
    }
  }
  workgroupBarrier();
  for (var e = t; e < ${bs * bs}u; e += 256u) {
    let i = e / ${bs}u; let j = e % ${bs}u;
    if (i < bw && j < bw) { X[(p.k0 + i) * p.n + p.k0 + j] = x[i][j]; }
  }
}`;

/**
 * X = L⁻¹ for the lower Cholesky factor L of the SPD n×n matrix A, recursively, so that almost
 * all the work is in a few large GEMMs rather than n/64 thin updates. For A = [[A11, ·], [A21, A22]]
 * split at h (a multiple of the leaf size), with X11 = L11⁻¹ from the first half:
 *   L21 = A21·X11ᵀ (written over A21),  A22 −= L21·L21ᵀ,  X22 = L22⁻¹ from the second half,
 *   X21 = −X22·(L21·X11).
 * Leaves (≤ bs) are factored and inverted in one workgroup (potrf), which writes only X. A is
 * scratch: its off-diagonal blocks end as L21, its diagonal blocks hold the updated (unfactored)
 * values, its strict upper triangle garbage. X must start as zeros. A failed
 * pivot (≤ 0 or not finite) writes its 1-based index into flag[0] (the results are then garbage).
 */
export function choleskyInverse(ctx: GpuContext, A: Tensor, X: Tensor, flag: Tensor, bs = cholBlock(ctx)): void {
  const n = A.shape[0]!;
  if (A.shape.length !== 2 || A.shape[1] !== n) fail("choleskyInverse", `A ${shapeStr(A.shape)} is not square`, "pass an n×n matrix");
  const potrf = ctx.pipeline(`linalg:potrf:${bs}`, () => potrfWgsl(bs));
  const split = (m: number) => bs * Math.ceil(Math.ceil(m / bs) / 2);
  const need = (m: number): number => (m <= bs ? 1 : Math.max((m - split(m)) * split(m), need(split(m)), need(m - split(m))));
  const tSize = need(n);
  const T = ctx.empty([tSize]), T2 = ctx.empty([tSize]);
  let dispatches = 0;
  const flushSometimes = () => { if (++dispatches % 64 === 0) ctx.flush(); }; // overlap recording with execution
  const rec = (o: number, m: number) => {
    if (m <= bs) {
      ctx.dispatch({ pipeline: potrf, bindings: [A, X, flag], uniforms: params([n, o, m]), workgroups: [1] });
      flushSometimes();
      return;
    }
    const h = split(m), r = m - h, d = o * (n + 1), a21 = d + h * n, x22 = d + h * (n + 1);
    rec(o, h);
    gemmUpdate(ctx, r, h, h, matView(A, a21, n), matView(X, d, n), matView(T, 0, h), { transB: true, alpha: 1, beta: 0, tri: "b" });
    copyBlock(ctx, r, h, matView(T, 0, h), matView(A, a21, n));
    gemmUpdate(ctx, r, r, h, matView(T, 0, h), matView(T, 0, h), matView(A, x22, n), { transB: true, alpha: -1, beta: 1, lower: true });
    flushSometimes();
    rec(o + h, r);
    gemmUpdate(ctx, r, h, h, matView(A, a21, n), matView(X, d, n), matView(T2, 0, h), { alpha: 1, beta: 0, tri: "b" });
    gemmUpdate(ctx, r, h, r, matView(X, x22, n), matView(T2, 0, h), matView(T, 0, h), { alpha: -1, beta: 0, tri: "a" });
    copyBlock(ctx, r, h, matView(T, 0, h), matView(X, a21, n));
    flushSometimes();
  };
  rec(0, n);
  T.release();
  T2.release();
}

const copyBlockWgsl = `
struct P { rows: u32, cols: u32, sOff: u32, lds: u32, dOff: u32, ldd: u32, sStep: u32, dStep: u32 };
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read_write> D: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x >= p.cols || g.y >= p.rows) { return; }
  D[p.dOff + g.z * p.dStep + g.y * p.ldd + g.x] = S[p.sOff + g.z * p.sStep + g.y * p.lds + g.x];
}`;

export function copyBlock(ctx: GpuContext, rows: number, cols: number, S: MatView, D: MatView, batch?: { count: number; s: number; d: number }): void {
  if (rows === 0 || cols === 0) return;
  const pipe = ctx.pipeline("linalg:copyBlock", () => copyBlockWgsl);
  ctx.dispatch({ pipeline: pipe, bindings: [S.t, D.t], uniforms: params([rows, cols, S.off, S.ld, D.off, D.ld, batch?.s ?? 0, batch?.d ?? 0]), workgroups: [Math.ceil(cols / 16), Math.ceil(rows / 16), batch?.count ?? 1] });
}


// ---- SparseGPT's Hinv ----------------------------------------------------------------------
/** stats[0] = mean(diag H) with dead (zero) diagonals counted as 1, stats[1] = number of dead columns. */
const diagStatsWgsl = `
struct P { n: u32 };
@group(0) @binding(0) var<storage, read> H: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
var<workgroup> s: array<f32, 256>;
var<workgroup> c: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  var acc = 0.0; var dead = 0.0;
  for (var i = t; i < p.n; i += 256u) { let d = H[i * p.n + i]; if (d == 0.0) { acc += 1.0; dead += 1.0; } else { acc += d; } }
  s[t] = acc; c[t] = dead; workgroupBarrier();
  for (var k = 128u; k > 0u; k >>= 1u) { if (t < k) { s[t] += s[t + k]; c[t] += c[t + k]; } workgroupBarrier(); }
  if (t == 0u) { stats[0] = s[0] / f32(p.n); stats[1] = c[0]; }
}`;

/** P = J·(H with dead diagonals set to 1, + damp·mean·I)·J, J the reversal. */
const prepWgsl = `
struct P { n: u32, damp: f32 };
@group(0) @binding(0) var<storage, read> H: array<f32>;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> Pm: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.y; let j = g.x;
  if (i >= p.n || j >= p.n) { return; }
  let si = p.n - 1u - i; let sj = p.n - 1u - j;
  var v = H[si * p.n + sj];
  if (i == j) { if (v == 0.0) { v = 1.0; } v = v + p.damp * stats[0]; }
  Pm[i * p.n + j] = v;
}`;

/** U[i][j] = X[n-1-i][n-1-j]. */
const flipWgsl = `
struct P { n: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> U: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.y >= p.n || g.x >= p.n) { return; }
  U[g.y * p.n + g.x] = X[(p.n - 1u - g.y) * p.n + (p.n - 1u - g.x)];
}`;

export interface HinvResult {
  /** Upper Cholesky factor of (H + damp·mean(diag H)·I)⁻¹, n×n (lower triangle zero). */
  hinv: Tensor;
  /** The damping fraction that succeeded (percdamp, or a larger one after retries). */
  damping: number;
  deadColumns: number;
}

export class CholeskyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CholeskyError";
  }
}

/**
 * SparseGPT's Hinv for the Hessian H (n×n, left unchanged): dead diagonals → 1, damping
 * percdamp·mean(diag), Cholesky → inverse → upper Cholesky. When a pivot fails the damping is
 * multiplied by 10 (up to `maxRetries` times); then a CholeskyError names `layer`.
 */
export async function hessianInverseFactor(
  ctx: GpuContext, H: Tensor, percdamp: number, layer = "layer", maxRetries = 2,
): Promise<HinvResult> {
  const op = "hessianInverseFactor";
  expectDtype(op, "H", H, "f32");
  const n = H.shape[0]!;
  if (H.shape.length !== 2 || H.shape[1] !== n) fail(op, `H ${shapeStr(H.shape)} is not square`, "pass the n×n Hessian");
  const stats = ctx.zeros([2]);
  ctx.dispatch({ pipeline: ctx.pipeline("linalg:diagStats", () => diagStatsWgsl), bindings: [H, stats], uniforms: params([n]), workgroups: [1] });
  let damp = percdamp;
  for (let attempt = 0; ; attempt++) {
    const Pm = ctx.empty([n, n]);
    const X = ctx.zeros([n, n]);
    const flag = ctx.zeros([1], "u32");
    ctx.dispatch({ pipeline: ctx.pipeline("linalg:prep", () => prepWgsl), bindings: [H, stats, Pm], uniforms: params([n, { f: damp }]), workgroups: [Math.ceil(n / 16), Math.ceil(n / 16)] });
    choleskyInverse(ctx, Pm, X, flag);
    Pm.release();
    const f = (await ctx.read(flag))[0]!;
    flag.release();
    if (f === 0) {
      const U = ctx.empty([n, n]);
      ctx.dispatch({ pipeline: ctx.pipeline("linalg:flip", () => flipWgsl), bindings: [X, U], uniforms: params([n]), workgroups: [Math.ceil(n / 16), Math.ceil(n / 16)] });
      X.release();
      const st = await ctx.readF32(stats);
      stats.release();
      return { hinv: U, damping: damp, deadColumns: Math.round(st[1]!) };
    }
    X.release();
    if (attempt >= maxRetries) {
      const st = await ctx.readF32(stats);
      stats.release();
      throw new CholeskyError(
        `${layer}: the damped Hessian (${n}×${n}, mean diagonal ${st[0]}) is not positive definite in f32 ` +
          `(pivot ${n - f + 1} of ${n} failed) even with damping ${damp}. Fix: raise --damping, or use more / more diverse calibration samples`,
      );
    }
    damp *= 10;
  }
}
