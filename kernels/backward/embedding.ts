// Embedding backward (scatter-add), deterministic: the CPU groups the token rows by id (ids come from
// the CPU in training), and one thread per (distinct id, column) sums that id's gradient rows in
// token order. No float atomics, so the result is bit-identical run to run.
//   dY [N, D], ids (CPU) [N] → G [V, D] += Σ_{t: ids[t] = v} dY[t]   (G given: accumulates)
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, expectRank, grid1d, params } from "../ops/common.js";

const WGSL = `
struct P { U: u32, D: u32, n: u32 };
@group(0) @binding(0) var<storage, read> dY: array<f32>;
@group(0) @binding(1) var<storage, read> Uniq: array<u32>;
@group(0) @binding(2) var<storage, read> Off: array<u32>;
@group(0) @binding(3) var<storage, read> Rows: array<u32>;
@group(0) @binding(4) var<storage, read_write> G: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= p.n) { return; }
  let u = i / p.D; let d = i % p.D;
  var s = 0.0;
  for (var k = Off[u]; k < Off[u + 1u]; k++) { s += dY[Rows[k] * p.D + d]; }
  let o = Uniq[u] * p.D + d;
  G[o] = G[o] + s;
}`;

/** Rows grouped by id, ids in increasing order, rows in token order (CSR). Ids ≥ V are skipped. */
export function groupRows(ids: ArrayLike<number>, V: number): { uniq: Uint32Array; offsets: Uint32Array; rows: Uint32Array } {
  const count = new Map<number, number>();
  for (let t = 0; t < ids.length; t++) if (ids[t] < V) count.set(ids[t], (count.get(ids[t]) ?? 0) + 1);
  const uniq = Uint32Array.from([...count.keys()].sort((a, b) => a - b));
  const offsets = new Uint32Array(uniq.length + 1);
  const at = new Map<number, number>();
  uniq.forEach((id, k) => { offsets[k + 1] = offsets[k] + count.get(id)!; at.set(id, offsets[k]); });
  const rows = new Uint32Array(offsets[uniq.length]);
  for (let t = 0; t < ids.length; t++) if (ids[t] < V) { const k = at.get(ids[t])!; rows[k] = t; at.set(ids[t], k + 1); }
  return { uniq, offsets, rows };
}

/** Adds the embedding gradient of dY [N, D] (for token ids `ids`) into grad [V, D]. */
export function embeddingBackward(ctx: GpuContext, dY: Tensor, ids: ArrayLike<number>, grad: Tensor): void {
  const op = "embeddingBackward";
  expectDtype(op, "dY", dY, "f32");
  expectDtype(op, "grad", grad, "f32");
  expectRank(op, "grad", grad, 2);
  const [V, D] = grad.shape;
  if (dY.size !== ids.length * D) fail(op, `dY ${shapeStr(dY.shape)} is not [${ids.length}, ${D}] (one row per id)`, "pass one gradient row per token id");
  expectBindable(ctx, op, "grad", grad, "use a smaller vocabulary or hidden size");
  const g = groupRows(ids, V);
  if (g.uniq.length === 0) return;
  const uniq = ctx.upload(g.uniq, [g.uniq.length]);
  const off = ctx.upload(g.offsets, [g.offsets.length]);
  const rows = ctx.upload(g.rows, [g.rows.length]);
  const n = g.uniq.length * D;
  ctx.dispatch({
    pipeline: ctx.pipeline("embeddingBackward", () => WGSL),
    bindings: [dY, uniq, off, rows, grad],
    uniforms: params([g.uniq.length, D, n]),
    workgroups: grid1d(ctx, Math.ceil(n / 256)),
  });
  [uniq, off, rows].forEach((t) => t.release());
}
