// Input checks and binding-range planning shared by the ops.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { DType, Tensor } from "../runtime/tensor.js";

export function expectDtype(op: string, name: string, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype)
    fail(op, `${name} has dtype ${t.dtype} ${shapeStr(t.shape)}, expected ${dtype}`, `convert ${name} to ${dtype} before calling ${op}`);
}

export function expectRank(op: string, name: string, t: Tensor, min: number, max = min): void {
  if (t.shape.length < min || t.shape.length > max)
    fail(op, `${name} has shape ${shapeStr(t.shape)}, expected rank ${min === max ? min : `${min}..${max}`}`, `reshape ${name}`);
}

export function expectLastDim(op: string, name: string, t: Tensor, n: number, what: string): void {
  const d = t.shape[t.shape.length - 1];
  if (d !== n) fail(op, `${name} ${shapeStr(t.shape)} has last dim ${d}, expected ${n} (${what})`, `pass a ${name} whose last dim is ${n}`);
}

export const lastDim = (t: Tensor) => t.shape[t.shape.length - 1] ?? 1;
export const rowsOf = (t: Tensor) => (t.shape.length ? t.size / lastDim(t) : 1);

export interface RowChunk {
  row0: number;
  rows: number;
}

/**
 * Splits `rows` rows of `rowBytes` bytes into chunks that each fit one binding, with every
 * chunk's byte offset aligned to minStorageBufferOffsetAlignment. One chunk when it all fits.
 */
export function planRowChunks(ctx: GpuContext, op: string, rows: number, rowBytes: number, what: string, quantum = 1): RowChunk[] {
  const total = rows * rowBytes;
  if (total <= ctx.maxBinding) return [{ row0: 0, rows }];
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  const g = gcd(rowBytes, align);
  let step = align / g; // rows per aligned offset
  step = lcm(step, quantum);
  const per = Math.floor(ctx.maxBinding / rowBytes / step) * step;
  if (per < 1)
    fail(
      op,
      `${what}: one split of ${step} row(s) of ${rowBytes} bytes exceeds maxStorageBufferBindingSize ${ctx.maxBinding} on ${ctx.adapterDescription}`,
      "use a smaller inner dimension, or a device with a larger binding limit",
    );
  const out: RowChunk[] = [];
  for (let r = 0; r < rows; r += per) out.push({ row0: r, rows: Math.min(per, rows - r) });
  return out;
}

/** Fails when one tensor must be bound whole but is over the binding limit. */
export function expectBindable(ctx: GpuContext, op: string, name: string, t: Tensor, fix: string): void {
  if (t.byteSize > ctx.maxBinding)
    fail(op, `${name} ${shapeStr(t.shape)} is ${t.byteSize} bytes, over maxStorageBufferBindingSize ${ctx.maxBinding} of ${ctx.adapterDescription}`, fix);
}

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
export const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;

/** Rows between binding offsets that are multiples of minStorageBufferOffsetAlignment. */
export const alignedRowStep = (ctx: GpuContext, rowBytes: number) =>
  ctx.limits.minStorageBufferOffsetAlignment / gcd(rowBytes, ctx.limits.minStorageBufferOffsetAlignment);

export const u32s = (...v: number[]) => new Uint32Array(v);

/** Uniform block of u32 and f32 fields, packed in order (every field 4 bytes). */
export function params(fields: Array<number | { f: number }>): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil(fields.length / 4) * 16));
  const dv = new DataView(buf);
  fields.forEach((v, i) => (typeof v === "number" ? dv.setUint32(i * 4, v >>> 0, true) : dv.setFloat32(i * 4, v.f, true)));
  return buf;
}

export const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** Splits a 1D count of workgroups over x and y so neither exceeds the per-dimension limit. */
export function grid1d(ctx: GpuContext, groups: number): [number, number] {
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1];
  const y = Math.ceil(groups / max);
  return [Math.ceil(groups / y), y];
}

/** A binding of a row-wise op: split with the rows when `rowElems` is set, else bound whole. */
export interface RowBinding {
  t: Tensor;
  rowElems?: number;
}

/**
 * Dispatches a row-wise kernel (one workgroup per row, rows laid out over x·y workgroups) and
 * splits the rows over several dispatches when a per-row tensor is over the binding limit.
 * The kernel reads `rows` and `row0` from the uniforms that `uniforms(rows, row0)` returns.
 */
export function dispatchRows(
  ctx: GpuContext, op: string, pipeline: GPUComputePipeline, rows: number, bindings: RowBinding[],
  uniforms: (rows: number, row0: number) => ArrayBuffer,
): void {
  if (rows === 0) return;
  const per = bindings.filter((b) => b.rowElems !== undefined);
  for (const b of bindings)
    if (b.rowElems === undefined) expectBindable(ctx, op, "an operand that is bound whole", b.t, "use a smaller operand");
  const over = per.some((b) => b.t.byteSize > ctx.maxBinding);
  let chunks: RowChunk[] = [{ row0: 0, rows }];
  if (over) {
    const align = ctx.limits.minStorageBufferOffsetAlignment;
    let step = 1;
    for (const b of per) step = lcm(step, align / gcd(b.rowElems! * 4, align));
    const widest = Math.max(...per.map((b) => b.rowElems! * 4));
    chunks = planRowChunks(ctx, op, rows, widest, "rows", step);
  }
  for (const c of chunks) {
    const entries = bindings.map((b) =>
      b.rowElems === undefined || chunks.length === 1
        ? b.t
        : { buffer: b.t.buffer, offset: c.row0 * b.rowElems * 4, size: Math.max(4, c.rows * b.rowElems * 4) },
    );
    ctx.dispatch({ pipeline, bindings: entries, uniforms: uniforms(c.rows, c.row0), workgroups: grid1d(ctx, c.rows) });
  }
}

/** WGSL: workgroup-wide sum/max over W threads (W a power of two), and the row index. */
export function rowKernelPrelude(W: number): string {
  return `
var<workgroup> red: array<f32, ${W}>;
var<workgroup> redi: array<u32, ${W}>;
fn wgSum(v: f32, lid: u32) -> f32 {
  red[lid] = v; workgroupBarrier();
  for (var s = ${W / 2}u; s > 0u; s >>= 1u) { if (lid < s) { red[lid] += red[lid + s]; } workgroupBarrier(); }
  let r = red[0]; workgroupBarrier(); return r;
}
fn wgMax(v: f32, lid: u32) -> f32 {
  red[lid] = v; workgroupBarrier();
  for (var s = ${W / 2}u; s > 0u; s >>= 1u) { if (lid < s) { red[lid] = max(red[lid], red[lid + s]); } workgroupBarrier(); }
  let r = red[0]; workgroupBarrier(); return r;
}
// (value, index) max with ties to the lower index; NaN never wins.
fn wgArgMax(v: f32, i: u32, lid: u32) -> u32 {
  red[lid] = v; redi[lid] = i; workgroupBarrier();
  for (var s = ${W / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let ov = red[lid + s]; let oi = redi[lid + s];
      if (ov > red[lid] || (ov == red[lid] && oi < redi[lid])) { red[lid] = ov; redi[lid] = oi; }
    }
    workgroupBarrier();
  }
  let r = redi[0]; workgroupBarrier(); return r;
}
`;
}

/**
 * The entry point of a row kernel: one workgroup of W threads per row of length p.n (rows spread over
 * a 2-D grid), defining `lid`, `row` and `base`; workgroups past p.rows return. Opens the function body.
 */
export function rowKernelMain(W: number): string {
  return `@compute @workgroup_size(${W})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wg.y * nwg.x + wg.x;
  if (row >= p.rows) { return; }
  let base = row * p.n;`;
}

/** WGSL statements for a numerically stable softmax over row `base` of X: its max `m` and Σ exp(x − m) `s`. */
export function rowMaxSumExp(W: number): string {
  return `var m = -3.4e38;
  for (var i = lid; i < p.n; i += ${W}u) { m = max(m, X[base + i]); }
  m = wgMax(m, lid);
  var s = 0.0;
  for (var i = lid; i < p.n; i += ${W}u) { s += exp(X[base + i] - m); }
  s = wgSum(s, lid);`;
}

/** Threads per row-kernel workgroup: fewer on CPUs (software Vulkan), more on GPUs. */
export const rowThreads = (ctx: GpuContext, n: number) => (ctx.isSoftware ? 64 : n >= 2048 ? 256 : 128);

/** Fails, naming the op and the fix, when the device lacks a WebGPU feature the op needs. */
export function requireFeature(ctx: GpuContext, op: string, feature: string): void {
  if (!ctx.features.has(feature))
    fail(op, `the adapter ${ctx.adapterDescription} lacks the WebGPU feature ${feature}`, `use the op's f32 path, or a device that exposes ${feature} (Dawn: KICK_DAWN_FLAGS="enable-dawn-features=allow_unsafe_apis" for experimental features)`);
}
