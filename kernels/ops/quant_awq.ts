// AWQ search kernels (mit-han-lab/llm-awq@d6e797a): the AWQ pseudo-quantizer (min/max per group of
// G inputs, NOT forced to contain 0), the activation-aware scale search for a linear-only group
// (up→down, v→o: the output compared is the linear's own) over the 20-point grid, and the clipping
// search (10 shrink steps of 1/20, per output row and group, error on sampled tokens).
// Model-level pieces for the AWQ driver (loaders/compress/awq-driver.ts): the scale search over any
// group of linears whose loss is measured on an arbitrary block output (q/k/v → attention, gate/up →
// MLP), per-input |x| sums over chunks of tokens, the clip-token sampling with the scaled inputs, and
// the final quantizer with levels + (scale, zero) for packing (AWQ's params, kick's apply kernel).
// Plain-TypeScript twins: ../reference/awq.ts.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectDtype, grid1d, params } from "./common.js";
import { matmul } from "./matmul.js";
import { consecutiveGIdx, quantizeWith, type Quantized } from "./quant.js";

/**
 * Head of the kernels run once per (output row, input group) over a 2-D grid (grid1d): `idx` is that
 * pair, `ng` the groups in a row, `base` the group's first weight. `G` is the group size as WGSL: the
 * uniform p.G, or a literal where the kernel must know it at compile time (a private array's length).
 */
const perGroupHead = (G: string): string => `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.y * nwg.x * 64u + gid.x;
  let ng = p.cols / ${G};
  if (idx >= p.rows * ng) { return; }
  let base = (idx / ng) * p.cols + (idx % ng) * ${G};`;

const scaledQuantWgsl = `
struct P { rows: u32, cols: u32, G: u32, maxq: f32 };
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> Q: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${perGroupHead("p.G")}
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

const absSumWgsl = `
struct P { T: u32, cols: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> M: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x >= p.cols) { return; }
  var acc = 0.0;
  for (var t = 0u; t < p.T; t++) { acc += abs(X[t * p.cols + g.x]); }
  M[g.x] = M[g.x] + acc;
}`;

const paramsWgsl = `
struct P { rows: u32, cols: u32, G: u32, maxq: f32 };
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read_write> PR: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
${perGroupHead("p.G")}
  let r = idx / ng; let g = idx % ng;
  var mn = 3.4e38; var mx = -3.4e38;
  for (var k = 0u; k < p.G; k++) { let v = W[base + k]; mn = min(mn, v); mx = max(mx, v); }
  let scale = max(mx - mn, 1e-5) / p.maxq;
  let zero = clamp(-round(mn / scale), 0.0, p.maxq);
  let o = (g * p.rows + r) * 2u;
  PR[o] = scale; PR[o + 1u] = zero;
}`;

const sampleWgsl = `
struct P { n: u32, cols: u32, r0: u32, step: u32, o0: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.y * nwg.x * 64u + gid.x;
  if (idx >= p.n * p.cols) { return; }
  let i = idx / p.cols; let c = idx % p.cols;
  Y[(p.o0 + i) * p.cols + c] = X[(p.r0 + i * p.step) * p.cols + c] / S[c];
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
${perGroupHead(`${G}u`)}
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
${perGroupHead("p.G")}
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
  check("awqScaleSearch", W, o);
  const cols = W.shape[1]!;
  if (X.shape.length !== 2 || X.shape[1] !== cols) fail("awqScaleSearch", `${o.layer ?? "layer"}: X ${shapeStr(X.shape)} does not match W ${shapeStr(W.shape)}`, `pass the [tokens, ${cols}] input`);
  const xMean = await awqActMean(ctx, [X]);
  const org = matmul(ctx, X, W, { transB: true });
  try {
    return await awqGroupScaleSearch(ctx, { xMean, weights: [W], org: [org], block: (Q) => matmul(ctx, X, Q[0]!, { transB: true }) }, o);
  } finally {
    org.release();
  }
}

/** get_act_scale over chunks of tokens: mean over all rows of |x| per input channel. */
export async function awqActMean(ctx: GpuContext, Xs: Tensor[]): Promise<Float32Array> {
  const cols = Xs[0]!.shape[1]!;
  const M = ctx.zeros([cols]);
  let T = 0;
  for (const X of Xs) {
    if (X.shape.length !== 2 || X.shape[1] !== cols) fail("awqActMean", `X ${shapeStr(X.shape)} is not [tokens, ${cols}]`, "pass 2-D inputs of one width");
    ctx.dispatch({ pipeline: ctx.pipeline("awq:absSum", () => absSumWgsl), bindings: [X, M], uniforms: params([X.shape[0]!, cols]), workgroups: [Math.ceil(cols / 64)] });
    T += X.shape[0]!;
  }
  const m = await ctx.readF32(M);
  M.release();
  return m.map((v) => v / T);
}

/** Σ (A − B)² over all elements (per-column partial sums on the GPU, added in float64). */
export async function awqSqDiff(ctx: GpuContext, A: Tensor, B: Tensor): Promise<number> {
  const n = A.shape[A.shape.length - 1]!, T = A.size / n;
  if (A.size !== B.size) fail("awqSqDiff", `A ${shapeStr(A.shape)} and B ${shapeStr(B.shape)} differ`, "pass outputs of one shape");
  const part = ctx.empty([n]);
  ctx.dispatch({ pipeline: ctx.pipeline("awq:sqDiff", () => sqDiffWgsl), bindings: [A, B, part], uniforms: params([T, n]), workgroups: [Math.ceil(n / 64)] });
  const p = await ctx.readF32(part);
  part.release();
  let l = 0;
  for (const v of p) l += v;
  return l;
}

/** A group of linears sharing one input, and the block whose output the scale search compares. */
export interface AwqGroup {
  /** get_act_scale of the shared input (f32, per input channel) */
  xMean: Float32Array;
  /** the group's weights [rows_i, cols] (unchanged) */
  weights: Tensor[];
  /** the block's original output, one tensor per chunk of tokens */
  org: Tensor[];
  /** runs the block on chunk i with the group's weights replaced by Q (same order); returns a new tensor */
  block: (Q: Tensor[], chunk: number) => Tensor;
}

/**
 * auto_scale.py _search_module_scale for any group: for r in {0, 1/n, …, (n−1)/n}, s = awqScales(xMean, r),
 * every weight of the group becomes Q(W·s)/s, the block runs on every chunk and
 * loss = mean over all elements of (out − org)²; the first minimum (strict <) wins. Fails naming the
 * layer when the activation means or every loss are NaN/Inf (no scales to fold).
 */
export async function awqGroupScaleSearch(ctx: GpuContext, g: AwqGroup, o: AwqOptions): Promise<{ best: number; ratio: number; scales: Float32Array; losses: number[] }> {
  const n = o.nGrid ?? 20;
  const cols = g.weights[0]!.shape[1]!;
  for (const W of g.weights) check("awqGroupScaleSearch", W, o);
  if (g.xMean.length !== cols) fail("awqGroupScaleSearch", `${o.layer ?? "layer"}: ${g.xMean.length} activation means for width ${cols}`, "pass the group's shared input");
  for (let c = 0; c < cols; c++)
    if (!Number.isFinite(g.xMean[c]!)) fail("awqGroupScaleSearch", `${o.layer ?? "layer"}: activation mean of input ${c} is ${g.xMean[c]}, so the AWQ scales would be NaN`, "check the model's activations for NaN/Inf (calibration data, weights)");
  let numel = 0;
  for (const t of g.org) numel += t.size;
  const losses: number[] = [];
  let best = -1, bestLoss = Infinity;
  for (let i = 0; i < n; i++) {
    const sc = awqScales(g.xMean, i / n);
    const s = ctx.upload(sc, [cols]);
    const Q = g.weights.map((W) => awqScaledQuant(ctx, W, s, o));
    let l = 0;
    for (let c = 0; c < g.org.length; c++) {
      const out = g.block(Q, c);
      l += await awqSqDiff(ctx, out, g.org[c]!);
      out.release();
    }
    l /= numel;
    losses.push(l);
    if (l < bestLoss) { bestLoss = l; best = i; }
    s.release(); Q.forEach((q) => q.release());
  }
  if (best < 0) fail("awqGroupScaleSearch", `${o.layer ?? "layer"}: every grid point gave a NaN loss, no AWQ scales`, "check the weights and activations for NaN/Inf");
  const scales = awqScales(g.xMean, best / n);
  for (let c = 0; c < cols; c++)
    if (!(Number.isFinite(scales[c]!) && scales[c]! > 0)) fail("awqGroupScaleSearch", `${o.layer ?? "layer"}: AWQ scale of input ${c} is ${scales[c]} (ratio ${best}/${n})`, "check the activations for NaN/Inf or all-zero inputs");
  return { best, ratio: best / n, scales, losses };
}

/**
 * The clip search's inputs: rows 0, step, 2·step, … (step = max(1, floor(T_total / n)), as
 * input_feat[0::n_tok // n]) of the chunks Xs taken together, each divided by s (apply_scale divides
 * the cached inputs). Returns a new [count, cols] tensor.
 */
export function awqSampleScaled(ctx: GpuContext, Xs: Tensor[], s: Tensor, n = 512): Tensor {
  const cols = Xs[0]!.shape[1]!;
  const Ttot = Xs.reduce((a, X) => a + X.shape[0]!, 0);
  const step = Math.max(1, Math.floor(Ttot / n));
  const count = Math.ceil(Ttot / step);
  const Y = ctx.empty([count, cols]);
  let start = 0, o0 = 0;
  for (const X of Xs) {
    const T = X.shape[0]!;
    const r0 = (step - (start % step)) % step;
    const k = r0 < T ? Math.ceil((T - r0) / step) : 0;
    if (k > 0) ctx.dispatch({ pipeline: ctx.pipeline("awq:sample", () => sampleWgsl), bindings: [X, s, Y], uniforms: params([k, cols, r0, step, o0]), workgroups: grid1d(ctx, Math.ceil((k * cols) / 64)) });
    o0 += k; start += T;
  }
  return Y;
}

/**
 * pseudo_quantize_tensor in place (W ← dequantized), with the integer levels and the (scale, zero) of
 * each row and group in quant.ts's layout ([groups, rows, 2]) for packing: min/max per group NOT
 * forced to contain 0, scale = max(max − min, 1e-5)/maxq, zero = clamp(−round(min/scale), 0, maxq).
 */
export function awqQuantize(ctx: GpuContext, W: Tensor, o: AwqOptions): Quantized {
  const [rows, cols] = check("awqQuantize", W, o);
  const ng = cols / o.groupSize;
  const PR = ctx.empty([ng, rows, 2]);
  ctx.dispatch({ pipeline: ctx.pipeline("awq:params", () => paramsWgsl), bindings: [W, PR], uniforms: params([rows, cols, o.groupSize, { f: 2 ** o.bits - 1 }]), workgroups: grid1d(ctx, Math.ceil((rows * ng) / 64)) });
  const gIdx = consecutiveGIdx(cols, o.groupSize);
  return { levels: quantizeWith(ctx, W, PR, gIdx, o.bits), params: PR, gIdx };
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
