// Rotary position embeddings, Llama / Hugging Face convention (rotate_half: dim d pairs with
// d + D/2). cos/sin tables are computed once in float64 on the CPU (accurate at large
// positions, where f32 sin/cos of pos·freq loses digits) and gathered by position.
//   x [B, T, H, D] → same shape; position of token t is positions[b·T + t] or offset + t.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { ropeTablesRef, type RopeConfig } from "../reference/rope.js";
import { expectDtype, expectRank, grid1d, params } from "./common.js";

export type { RopeConfig, RopeScaling } from "../reference/rope.js";

export interface RopeTables {
  cos: Tensor; // [P, D/2]
  sin: Tensor;
  headDim: number;
  maxPositions: number;
}

export function createRopeTables(ctx: GpuContext, cfg: RopeConfig): RopeTables {
  if (cfg.headDim % 2) fail("rope", `head dim ${cfg.headDim} is odd`, "use an even head dim");
  const { cos, sin } = ropeTablesRef(cfg);
  const half = cfg.headDim / 2;
  return { cos: ctx.upload(cos, [cfg.maxPositions, half]), sin: ctx.upload(sin, [cfg.maxPositions, half]), headDim: cfg.headDim, maxPositions: cfg.maxPositions };
}

const WGSL = `
struct P { B: u32, T: u32, H: u32, half: u32, offset: u32, usePos: u32, maxPos: u32, n: u32 };
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Cs: array<f32>;
@group(0) @binding(2) var<storage, read> Sn: array<f32>;
@group(0) @binding(3) var<storage, read> Pos: array<u32>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x; // one (token, head, pair)
  if (i >= p.n) { return; }
  let d = i % p.half; let th = i / p.half; let tok = th / p.H; // tok = b·T + t
  var pos = p.offset + tok % p.T;
  if (p.usePos != 0u) { pos = Pos[tok]; }
  pos = min(pos, p.maxPos - 1u);
  let c = Cs[pos * p.half + d]; let s = Sn[pos * p.half + d];
  let base = th * 2u * p.half;
  let x1 = X[base + d]; let x2 = X[base + d + p.half];
  Y[base + d] = x1 * c - x2 * s;
  Y[base + d + p.half] = x2 * c + x1 * s;
}`;

export function rope(ctx: GpuContext, x: Tensor, tables: RopeTables, opts: { positions?: Tensor; offset?: number } = {}): Tensor {
  const op = "rope";
  expectDtype(op, "x", x, "f32");
  expectRank(op, "x", x, 4);
  const [B, T, H, D] = x.shape;
  if (D !== tables.headDim) fail(op, `x ${shapeStr(x.shape)} has head dim ${D} but the tables were built for ${tables.headDim}`, "build the tables with the model's head dim");
  const offset = opts.offset ?? 0;
  if (opts.positions) {
    if (opts.positions.dtype !== "u32") fail(op, `positions have dtype ${opts.positions.dtype}`, "pass positions as u32 [B, T]");
    if (opts.positions.size !== B * T) fail(op, `positions ${shapeStr(opts.positions.shape)} do not give one position per token of x ${shapeStr(x.shape)}`, "pass positions of shape [B, T]");
  } else if (offset + T > tables.maxPositions) {
    fail(op, `positions up to ${offset + T - 1} exceed the tables' ${tables.maxPositions} positions`, "build the tables with a larger maxPositions");
  }
  const out = ctx.empty(x.shape);
  const n = B * T * H * (D / 2);
  if (n === 0) return out;
  const pos = opts.positions ?? tables.cos; // any buffer when unused
  const pipeline = ctx.pipeline("rope", () => WGSL);
  ctx.dispatch({
    pipeline,
    bindings: [x, tables.cos, tables.sin, pos, out],
    uniforms: params([B, T, H, D / 2, offset, opts.positions ? 1 : 0, tables.maxPositions, n]),
    workgroups: grid1d(ctx, Math.ceil(n / 256)),
  });
  return out;
}
