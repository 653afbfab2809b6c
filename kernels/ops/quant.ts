// Weight quantization kernels: GPTQ's Quantizer (quant.py find_params: per row or per group of
// consecutive columns, range always containing 0, sym/asym, maxq = 2^bits − 1) and
// quantize/dequantize. Plain-TypeScript twins: ../reference/quant.ts.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, params } from "./common.js";

export const QUANT_BITS = [2, 3, 4, 8] as const;

export interface QuantOptions {
  bits: number;
  /** −1 = one group per row; else a divisor of the width */
  groupSize: number;
  sym: boolean;
}

/** Checks bits / group size against a width (throws naming the layer and option). */
export function checkQuantOptions(op: string, cols: number, o: QuantOptions, layer = "layer"): void {
  if (!(QUANT_BITS as readonly number[]).includes(o.bits)) fail(op, `${layer}: bits ${o.bits} is not supported`, `use one of ${QUANT_BITS.join(", ")}`);
  if (o.groupSize !== -1 && !(Number.isInteger(o.groupSize) && o.groupSize > 0 && cols % o.groupSize === 0))
    fail(op, `${layer}: group size ${o.groupSize} does not divide the input width ${cols}`, "use −1 (per row) or a group size that divides the width");
}

/**
 * PR[(slot0 + g)·rows + r] = (scale, zero) of W[r, c0 + g·G .. c0 + (g+1)·G) for g < ngroups:
 * quant.py find_params (xmin = min(x, 0), xmax = max(x, 0); sym: symmetric range, zero (maxq+1)/2;
 * empty range → [−1, 1]; asym zero = round(−xmin/scale)).
 */
export const FIND_PARAMS_WGSL = `
struct QP { rows: u32, cols: u32, c0: u32, G: u32, ngroups: u32, slot0: u32, maxq: f32, sym: u32 };
@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read_write> PR: array<f32>;
@group(0) @binding(2) var<uniform> p: QP;
var<workgroup> mn: array<array<f32, 32>, 8>;
var<workgroup> mx: array<array<f32, 32>, 8>;
// 8 (row, group) pairs per workgroup, 32 lanes each reading the group's columns in coalesced runs
@compute @workgroup_size(32, 8)
fn main(@builtin(local_invocation_id) li: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = li.x; let y = li.y;
  let idx = (wg.y * nwg.x + wg.x) * 8u + y;
  let r = idx % p.rows; let g = idx / p.rows;
  var xmin = 0.0; var xmax = 0.0;
  if (g < p.ngroups) {
    let base = r * p.cols + p.c0 + g * p.G;
    for (var k = lane; k < p.G; k += 32u) { let v = W[base + k]; xmin = min(xmin, v); xmax = max(xmax, v); }
  }
  mn[y][lane] = xmin; mx[y][lane] = xmax;
  workgroupBarrier();
  for (var s = 16u; s > 0u; s >>= 1u) {
    if (lane < s) { mn[y][lane] = min(mn[y][lane], mn[y][lane + s]); mx[y][lane] = max(mx[y][lane], mx[y][lane + s]); }
    workgroupBarrier();
  }
  if (lane != 0u || g >= p.ngroups) { return; }
  xmin = mn[y][0]; xmax = mx[y][0];
  if (p.sym == 1u) {
    xmax = max(abs(xmin), xmax);
    if (xmin < 0.0) { xmin = -xmax; }
  }
  if (xmin == 0.0 && xmax == 0.0) { xmin = -1.0; xmax = 1.0; }
  let scale = (xmax - xmin) / p.maxq;
  var zero = (p.maxq + 1.0) / 2.0;
  if (p.sym == 0u) { zero = round(-xmin / scale); }
  let o = ((p.slot0 + g) * p.rows + r) * 2u;
  PR[o] = scale; PR[o + 1u] = zero;
}`;

/** Dispatches FIND_PARAMS_WGSL for `ngroups` groups of G columns starting at c0, into slots slot0... */
export function findParams(ctx: GpuContext, W: Tensor, PR: Tensor, a: { rows: number; cols: number; c0: number; G: number; ngroups: number; slot0: number; bits: number; sym: boolean }): void {
  ctx.dispatch({
    pipeline: ctx.pipeline("quant:findParams", () => FIND_PARAMS_WGSL), bindings: [W, PR],
    uniforms: params([a.rows, a.cols, a.c0, a.G, a.ngroups, a.slot0, { f: 2 ** a.bits - 1 }, a.sym ? 1 : 0]),
    workgroups: grid1d(ctx, Math.ceil((a.rows * a.ngroups) / 8)),
  });
}

const applyWgsl = `
struct P { rows: u32, cols: u32, maxq: f32 };
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> PR: array<f32>;
@group(0) @binding(2) var<storage, read> SLOT: array<u32>;
@group(0) @binding(3) var<storage, read_write> LV: array<u32>;
@group(0) @binding(4) var<uniform> p: P;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let r = g.y; let c = g.x;
  if (r >= p.rows || c >= p.cols) { return; }
  let o = (SLOT[c] * p.rows + r) * 2u;
  let sc = PR[o]; let zr = PR[o + 1u];
  let lv = clamp(round(W[r * p.cols + c] / sc) + zr, 0.0, p.maxq);
  LV[r * p.cols + c] = u32(lv);
  W[r * p.cols + c] = sc * (lv - zr);
}`;

const dequantWgsl = `
struct P { rows: u32, cols: u32 };
@group(0) @binding(0) var<storage, read> LV: array<u32>;
@group(0) @binding(1) var<storage, read> PR: array<f32>;
@group(0) @binding(2) var<storage, read> SLOT: array<u32>;
@group(0) @binding(3) var<storage, read_write> W: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let r = g.y; let c = g.x;
  if (r >= p.rows || c >= p.cols) { return; }
  let o = (SLOT[c] * p.rows + r) * 2u;
  W[r * p.cols + c] = PR[o] * (f32(LV[r * p.cols + c]) - PR[o + 1u]);
}`;

export interface Quantized {
  /** u32 [rows, cols]: integer levels 0..maxq (original column order) */
  levels: Tensor;
  /** f32 [slots, rows, 2]: (scale, zero) per group slot and row */
  params: Tensor;
  /** original column → slot (g_idx) */
  gIdx: Int32Array;
}

/** Slot of each column for consecutive groups (G = −1: all 0). */
export const consecutiveGIdx = (cols: number, G: number) => Int32Array.from({ length: cols }, (_, c) => (G === -1 ? 0 : Math.floor(c / G)));

/** Quantizes W in place with given params/slots (W ← dequantized); returns the levels. */
export function quantizeWith(ctx: GpuContext, W: Tensor, PR: Tensor, gIdx: Int32Array, bits: number): Tensor {
  const [rows, cols] = [W.shape[0]!, W.shape[1]!];
  const LV = ctx.empty([rows, cols], "u32");
  const slot = ctx.upload(Uint32Array.from(gIdx), [cols], "u32");
  ctx.dispatch({ pipeline: ctx.pipeline("quant:apply", () => applyWgsl), bindings: [W, PR, slot, LV], uniforms: params([rows, cols, { f: 2 ** bits - 1 }]), workgroups: [Math.ceil(cols / 16), Math.ceil(rows / 16)] });
  slot.release();
  return LV;
}

/** W = scale·(level − zero) from levels, params and g_idx (the inverse of packing). */
export function dequantize(ctx: GpuContext, LV: Tensor, PR: Tensor, gIdx: Int32Array): Tensor {
  const [rows, cols] = [LV.shape[0]!, LV.shape[1]!];
  const W = ctx.empty([rows, cols]);
  const slot = ctx.upload(Uint32Array.from(gIdx), [cols], "u32");
  ctx.dispatch({ pipeline: ctx.pipeline("quant:dequant", () => dequantWgsl), bindings: [LV, PR, slot, W], uniforms: params([rows, cols]), workgroups: [Math.ceil(cols / 16), Math.ceil(rows / 16)] });
  slot.release();
  return W;
}

/** RTN in place: the Quantizer per row (groupSize −1) or per group of consecutive columns. */
export function rtnQuantize(ctx: GpuContext, W: Tensor, o: QuantOptions & { layer?: string }): Quantized {
  const op = "rtnQuantize";
  expectDtype(op, "W", W, "f32");
  if (W.shape.length !== 2) fail(op, `W ${shapeStr(W.shape)} is not [out, in]`, "pass a 2-D weight");
  expectBindable(ctx, op, "W", W, "quantize smaller matrices");
  const [rows, cols] = [W.shape[0]!, W.shape[1]!];
  checkQuantOptions(op, cols, o, o.layer);
  const G = o.groupSize === -1 ? cols : o.groupSize, ng = cols / G;
  const PR = ctx.empty([ng, rows, 2]);
  findParams(ctx, W, PR, { rows, cols, c0: 0, G, ngroups: ng, slot0: 0, bits: o.bits, sym: o.sym });
  const gIdx = consecutiveGIdx(cols, o.groupSize);
  const levels = quantizeWith(ctx, W, PR, gIdx, o.bits);
  return { levels, params: PR, gIdx };
}
