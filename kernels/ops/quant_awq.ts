// AWQ search kernels (mit-han-lab/llm-awq@d6e797a): the AWQ pseudo-quantizer (min/max per group of
// G inputs, NOT forced to contain 0), the activation-aware scale search for a linear-only group
// (up→down, v→o: the output compared is the linear's own) over the 20-point grid, and the clipping
// search (10 shrink steps of 1/20, per output row and group, error on sampled tokens).
// Plain-TypeScript twins: ../reference/awq.ts.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectDtype, grid1d, params } from "./common.js";
import { matmul } from "./matmul.js";

const scaledQuantWgsl = `
struct P { rows: u32, cols: u32, G: u32, maxq: f32 };
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> Q: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.y * nwg.x * 64u + gid.x;
  let ng = p.cols / p.G;
  if (idx >= p.rows * ng) { return; }
  let base = (idx / ng) * p.cols + (idx % ng) * p.G;
  let c0 = (idx % ng) * p.G;
  var mn = 3.4e38; var mx = -3.4e38;
  for (var k = 0u; k < p.G; k++) { let v = W[base + k] * S[c0 + k]; mn = min(mn, v); mx = max(mx, v); }
  let scale = max(mx - mn, 1e-5) / p.maxq;
  let zero = clamp(-round(mn / scale), 0.0, p.maxq);
  for (var k = 0u; k < p.G; k++) {
    let v = W[base + k] * S[c0 + k];
    Q[base + k] = ((clamp(round(v / scale) + zero, 0.0, p.maxq) - zero) * scale) / S[c0 + k];
  }
}`;

const absMeanWgsl = `
struct P { T: u32, cols: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> M: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x >= p.cols) { return; }
  var acc = 0.0;
  for (var t = 0u; t < p.T; t++) { acc += abs(X[t * p.cols + g.x]); }
  M[g.x] = acc / f32(p.T);
}`;

const sqDiffWgsl = `
struct P { T: u32, n: u32 };
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x >= p.n) { return; }
  var acc = 0.0;
  for (var t = 0u; t < p.T; t++) { let d = A[t * p.n + g.x] - B[t * p.n + g.x]; acc = fma(d, d, acc); }
  S[g.x] = acc;
}`;

const clipWgsl = (G: number) => `
struct P { rows: u32, cols: u32, T: u32, nShrink: u32, nGrid: f32, maxq: f32 };
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> BEST: array<u32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.y * nwg.x * 64u + gid.x;
  let ng = p.cols / ${G}u;
  if (idx >= p.rows * ng) { return; }
  let base = (idx / ng) * p.cols + (idx % ng) * ${G}u;
  let c0 = (idx % ng) * ${G}u;
  var d: array<f32, ${G}>;
  var amax = 0.0;
  for (var k = 0u; k < ${G}u; k++) { amax = max(amax, abs(W[base + k])); }
  var minErr = 1e9; var best = 0u;
  for (var i = 0u; i < p.nShrink; i++) {
    let mx = amax * (1.0 - f32(i) / p.nGrid);
    var mn = 3.4e38; var mxv = -3.4e38;
    for (var k = 0u; k < ${G}u; k++) { let c = clamp(W[base + k], -mx, mx); mn = min(mn, c); mxv = max(mxv, c); }
    let scale = max(mxv - mn, 1e-5) / p.maxq;
    let zero = clamp(-round(mn / scale), 0.0, p.maxq);
    for (var k = 0u; k < ${G}u; k++) {
      let w = W[base + k];
      let c = clamp(w, -mx, mx);
      d[k] = (clamp(round(c / scale) + zero, 0.0, p.maxq) - zero) * scale - w;
    }
    var err = 0.0;
    for (var t = 0u; t < p.T; t++) {
      var acc = 0.0;
      for (var k = 0u; k < ${G}u; k++) { acc = fma(X[t * p.cols + c0 + k], d[k], acc); }
      err = fma(acc, acc, err);
    }
    err = err / f32(p.T);
    if (err < minErr) { minErr = err; best = i; }
  }
  BEST[idx] = best;
}`;

const applyClipWgsl = `
struct P { rows: u32, cols: u32, G: u32, nGrid: f32 };
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> BEST: array<u32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.y * nwg.x * 64u + gid.x;
  let ng = p.cols / p.G;
  if (idx >= p.rows * ng) { return; }
  let base = (idx / ng) * p.cols + (idx % ng) * p.G;
  var amax = 0.0;
  for (var k = 0u; k < p.G; k++) { amax = max(amax, abs(W[base + k])); }
  let mx = amax * (1.0 - f32(BEST[idx]) / p.nGrid);
  for (var k = 0u; k < p.G; k++) { W[base + k] = clamp(W[base + k], -mx, mx); }
}`;

export interface AwqOptions {
  bits: number;
  /** group size along the input (AWQ's q_group_size, typically 128); must divide the width */
  groupSize: number;
  /** grid points (n_grid, default 20) */
  nGrid?: number;
  layer?: string;
}

function check(op: string, W: Tensor, o: AwqOptions): [number, number] {
  expectDtype(op, "W", W, "f32");
  if (W.shape.length !== 2) fail(op, `${o.layer ?? "layer"}: W ${shapeStr(W.shape)} is not [out, in]`, "pass a 2-D weight");
  const [rows, cols] = [W.shape[0]!, W.shape[1]!];
  if (![2, 3, 4, 8].includes(o.bits)) fail(op, `${o.layer ?? "layer"}: bits ${o.bits} is not supported`, "use 2, 3, 4 or 8");
  if (!(o.groupSize > 0 && cols % o.groupSize === 0 && o.groupSize <= 256))
    fail(op, `${o.layer ?? "layer"}: group size ${o.groupSize} does not divide the input width ${cols} (or exceeds 256)`, "use a group size (≤ 256) that divides the width");
  return [rows, cols];
}

/** Q = pseudo_quantize(W·s)/s per group (s = per-input scales, or ones). Returns a new tensor. */
export function awqScaledQuant(ctx: GpuContext, W: Tensor, s: Tensor, o: AwqOptions): Tensor {
  const [rows, cols] = check("awqScaledQuant", W, o);
  const Q = ctx.empty([rows, cols]);
  ctx.dispatch({ pipeline: ctx.pipeline("awq:scaledQuant", () => scaledQuantWgsl), bindings: [W, s, Q], uniforms: params([rows, cols, o.groupSize, { f: 2 ** o.bits - 1 }]), workgroups: grid1d(ctx, Math.ceil((rows * cols) / o.groupSize / 64)) });
  return Q;
}

/** Candidate scales of grid point `ratio` (auto_scale.py), computed in float64 from the activation means. */
export function awqScales(xMean: ArrayLike<number>, ratio: number): Float32Array {
  const s = Array.from(xMean, (v) => Math.max(v ** ratio, 1e-4));
  const d = Math.sqrt(Math.max(...s) * Math.min(...s));
  return Float32Array.from(s, (v) => v / d);
}

/**
 * auto_scale for a linear-only group: X [T, cols] (the linear's input), W [rows, cols]. For each grid
 * point r the loss mean((X·(Q(W·s)/s)ᵀ − X·Wᵀ)²) is computed on the GPU; returns the best index
 * (first minimum), the scales to fold (prev op /= s, W *= s) and the losses.
 */
export async function awqScaleSearch(ctx: GpuContext, X: Tensor, W: Tensor, o: AwqOptions): Promise<{ best: number; scales: Float32Array; losses: number[] }> {
  const [rows, cols] = check("awqScaleSearch", W, o);
  const T = X.shape[0]!;
  if (X.shape.length !== 2 || X.shape[1] !== cols) fail("awqScaleSearch", `${o.layer ?? "layer"}: X ${shapeStr(X.shape)} does not match W ${shapeStr(W.shape)}`, `pass the [tokens, ${cols}] input`);
  const n = o.nGrid ?? 20;
  const M = ctx.empty([cols]);
  ctx.dispatch({ pipeline: ctx.pipeline("awq:absMean", () => absMeanWgsl), bindings: [X, M], uniforms: params([T, cols]), workgroups: [Math.ceil(cols / 64)] });
  const xMean = await ctx.readF32(M);
  M.release();
  const org = matmul(ctx, X, W, { transB: true });
  const part = ctx.empty([rows]);
  const losses: number[] = [];
  let best = -1, bestLoss = Infinity;
  for (let i = 0; i < n; i++) {
    const s = ctx.upload(awqScales(xMean, i / n), [cols]);
    const Q = awqScaledQuant(ctx, W, s, o);
    const out = matmul(ctx, X, Q, { transB: true });
    ctx.dispatch({ pipeline: ctx.pipeline("awq:sqDiff", () => sqDiffWgsl), bindings: [out, org, part], uniforms: params([T, rows]), workgroups: [Math.ceil(rows / 64)] });
    const p = await ctx.readF32(part);
    let l = 0;
    for (const v of p) l += v;
    l /= T * rows;
    losses.push(l);
    if (l < bestLoss) { bestLoss = l; best = i; }
    s.release(); Q.release(); out.release();
  }
  org.release(); part.release();
  if (best < 0) fail("awqScaleSearch", `${o.layer ?? "layer"}: every grid point gave a NaN loss`, "check the weights and activations for NaN/Inf");
  return { best, scales: awqScales(xMean, best / n), losses };
}

/**
 * auto_clip_layer: per (row, group) the shrink index i < maxShrink·nGrid (max = absmax·(1 − i/nGrid))
 * minimising the mean over the sampled tokens X [T, cols] of (Σ_G x·(q − w))²; with `apply` the
 * weights are clamped in place. Returns the indices [rows, groups].
 */
export async function awqClipSearch(ctx: GpuContext, X: Tensor, W: Tensor, o: AwqOptions & { maxShrink?: number; apply?: boolean }): Promise<Uint32Array> {
  const [rows, cols] = check("awqClipSearch", W, o);
  const T = X.shape[0]!, G = o.groupSize, n = o.nGrid ?? 20;
  const ng = cols / G;
  const best = ctx.empty([rows * ng], "u32");
  ctx.dispatch({ pipeline: ctx.pipeline(`awq:clip:${G}`, () => clipWgsl(G)), bindings: [W, X, best], uniforms: params([rows, cols, T, Math.floor((o.maxShrink ?? 0.5) * n), { f: n }, { f: 2 ** o.bits - 1 }]), workgroups: grid1d(ctx, Math.ceil((rows * ng) / 64)) });
  if (o.apply) ctx.dispatch({ pipeline: ctx.pipeline("awq:applyClip", () => applyClipWgsl), bindings: [W, best], uniforms: params([rows, cols, G, { f: n }]), workgroups: grid1d(ctx, Math.ceil((rows * ng) / 64)) });
  const r = new Uint32Array((await ctx.read(best)).buffer);
  best.release();
  return r;
}
