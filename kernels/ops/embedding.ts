// Embedding gather: out[i] = table[ids[i]]. table [V, D] f32, ids u32 [...] → [..., D].
// A table over the binding limit (a 32000×4096 f32 embedding on lavapipe) is bound in
// row ranges; each dispatch copies the rows whose ids fall in its range. Ids >= V give zeros.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, expectRank, grid1d, params, planRowChunks } from "./common.js";

const WGSL = `
struct P { n: u32, D: u32, v0: u32, vn: u32, first: u32 };
@group(0) @binding(0) var<storage, read> Tb: array<f32>;
@group(0) @binding(1) var<storage, read> Ids: array<u32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x; // one output element
  if (i >= p.n) { return; }
  let tok = i / p.D; let d = i % p.D;
  let id = Ids[tok];
  if (id >= p.v0 && id < p.v0 + p.vn) { Y[i] = Tb[(id - p.v0) * p.D + d]; }
  else if (p.first != 0u && (id < p.v0 || id >= p.v0 + p.vn)) { Y[i] = 0.0; }
}`;

export function embedding(ctx: GpuContext, table: Tensor, ids: Tensor): Tensor {
  const op = "embedding";
  expectDtype(op, "table", table, "f32");
  expectRank(op, "table", table, 2);
  if (ids.dtype !== "u32") fail(op, `ids have dtype ${ids.dtype} ${shapeStr(ids.shape)}`, "pass token ids as a u32 tensor");
  const [V, D] = table.shape;
  const out = ctx.empty([...ids.shape, D]);
  expectBindable(ctx, op, "output", out, "gather fewer tokens per call");
  const n = ids.size * D;
  if (n === 0) return out;
  const pipeline = ctx.pipeline("embedding", () => WGSL);
  const chunks = planRowChunks(ctx, op, V, D * 4, `rows of table ${shapeStr(table.shape)}`);
  // The first dispatch zero-fills ids outside its range; later ones only write their own rows.
  chunks.forEach((c, k) =>
    ctx.dispatch({
      pipeline,
      bindings: [chunks.length === 1 ? table : { buffer: table.buffer, offset: c.row0 * D * 4, size: c.rows * D * 4 }, ids, out],
      uniforms: params([n, D, c.row0, c.rows, k === 0 ? 1 : 0]),
      workgroups: grid1d(ctx, Math.ceil(n / 256)),
    }),
  );
  return out;
}
