// Elementwise ops. Unary: silu, gelu (erf), geluTanh, relu, sigmoid, tanh, exp, neg, abs,
// sqrt, rsqrt, scale (x·s). Binary: add, sub, mul, div, max, and the gated units
// swiglu(gate, up) = silu(gate)·up and geglu(gate, up) = gelu(gate)·up. The second operand
// may be a suffix-shaped tensor broadcast over the first (a bias [N] over [M, N]).
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, params } from "./common.js";

export type UnaryOp = "silu" | "gelu" | "geluTanh" | "relu" | "sigmoid" | "tanh" | "exp" | "neg" | "abs" | "sqrt" | "rsqrt" | "scale";
export type BinaryOp = "add" | "sub" | "mul" | "div" | "max" | "swiglu" | "geglu";

// erf by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): WGSL has no erf.
const HELPERS = `
fn erf_(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return select(-y, y, x >= 0.0);
}
fn gelu_(x: f32) -> f32 { return 0.5 * x * (1.0 + erf_(x * 0.7071067811865476)); }
fn geluTanh_(x: f32) -> f32 { let u = 0.7978845608028654 * (x + 0.044715 * x * x * x); return 0.5 * x * (1.0 + tanh(clamp(u, -15.0, 15.0))); }
fn sigmoid_(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn silu_(x: f32) -> f32 { return x * sigmoid_(x); }
`;

const UNARY: Record<UnaryOp, string> = {
  silu: "silu_(x)", gelu: "gelu_(x)", geluTanh: "geluTanh_(x)", relu: "max(x, 0.0)", sigmoid: "sigmoid_(x)",
  tanh: "tanh(clamp(x, -15.0, 15.0))", exp: "exp(x)", neg: "-x", abs: "abs(x)", sqrt: "sqrt(x)", rsqrt: "inverseSqrt(x)", scale: "x * p.s",
};
const BINARY: Record<BinaryOp, string> = {
  add: "x + y", sub: "x - y", mul: "x * y", div: "x / y", max: "max(x, y)", swiglu: "silu_(x) * y", geglu: "gelu_(x) * y",
};

function wgsl(expr: string, binary: boolean): string {
  return `
struct P { n: u32, base: u32, bn: u32, s: f32 };
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${HELPERS}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= p.n) { return; }
  let x = A[i];
  ${binary ? "let y = B[(p.base + i) % p.bn];" : ""}
  Y[i] = ${expr};
}`;
}

function run(ctx: GpuContext, op: string, expr: string, a: Tensor, b: Tensor | null, s = 0): Tensor {
  expectDtype(op, "a", a, "f32");
  if (b) {
    expectDtype(op, "b", b, "f32");
    const suffix = a.shape.slice(a.shape.length - b.shape.length);
    const sameOrSuffix = b.shape.length <= a.shape.length && shapeStr(suffix) === shapeStr(b.shape);
    if (!sameOrSuffix)
      fail(op, `shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} do not match`, "pass b with the same shape as a, or a trailing-dims shape to broadcast");
    if (b.size === 0 && a.size > 0) fail(op, `b ${shapeStr(b.shape)} is empty`, "pass a non-empty b");
  }
  const out = ctx.empty(a.shape);
  if (a.size === 0) return out;
  const pipeline = ctx.pipeline(`elementwise:${op}`, () => wgsl(expr, !!b), { layout: "declared" });
  const bt = b ?? a;
  // Split flat ranges over bindings; chunks are multiples of 64 elements (256-byte offsets).
  const chunk = a.byteSize > ctx.maxBinding || out.byteSize > ctx.maxBinding ? Math.floor(ctx.maxBinding / 4 / 64) * 64 : a.size;
  if (b && b.size < a.size) expectBindable(ctx, op, "broadcast operand b", b, "broadcast a smaller operand");
  const bSplit = !!b && b.size === a.size && chunk < a.size; // equal shapes: split b alongside a
  for (let e0 = 0; e0 < a.size; e0 += chunk) {
    const n = Math.min(chunk, a.size - e0);
    const whole = chunk === a.size;
    ctx.dispatch({
      pipeline,
      bindings: whole
        ? [a, bt, out]
        : [{ buffer: a.buffer, offset: e0 * 4, size: n * 4 }, bSplit ? { buffer: bt.buffer, offset: e0 * 4, size: n * 4 } : bt, { buffer: out.buffer, offset: e0 * 4, size: n * 4 }],
      uniforms: params(bSplit ? [n, 0, n, { f: s }] : [n, e0, b ? b.size : 1, { f: s }]),
      workgroups: grid1d(ctx, Math.ceil(n / 256)),
    });
  }
  return out;
}

export const unary = (ctx: GpuContext, op: UnaryOp, x: Tensor, s = 1) => run(ctx, op, UNARY[op], x, null, s);
export const binary = (ctx: GpuContext, op: BinaryOp, a: Tensor, b: Tensor) => run(ctx, op, BINARY[op], a, b);

export const add = (ctx: GpuContext, a: Tensor, b: Tensor) => binary(ctx, "add", a, b);
export const sub = (ctx: GpuContext, a: Tensor, b: Tensor) => binary(ctx, "sub", a, b);
export const mul = (ctx: GpuContext, a: Tensor, b: Tensor) => binary(ctx, "mul", a, b);
export const div = (ctx: GpuContext, a: Tensor, b: Tensor) => binary(ctx, "div", a, b);
export const scale = (ctx: GpuContext, x: Tensor, s: number) => unary(ctx, "scale", x, s);
export const silu = (ctx: GpuContext, x: Tensor) => unary(ctx, "silu", x);
export const gelu = (ctx: GpuContext, x: Tensor) => unary(ctx, "gelu", x);
export const geluTanh = (ctx: GpuContext, x: Tensor) => unary(ctx, "geluTanh", x);
export const swiglu = (ctx: GpuContext, gate: Tensor, up: Tensor) => binary(ctx, "swiglu", gate, up);
export const geglu = (ctx: GpuContext, gate: Tensor, up: Tensor) => binary(ctx, "geglu", gate, up);
