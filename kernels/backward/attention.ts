// Causal self-attention backward with grouped-query heads (training: T queries over the same T keys,
// no padding). Flash-style: the scores are recomputed, never stored. Two kernels, no atomics:
//   1. one thread per (b, query head, query i): logsumexp L_i and Δ_i = dO_i·O_i, then
//      dQ_i = scale · Σ_{j≤i} P_ij (dO_i·V_j − Δ_i) K_j
//   2. one thread per (b, kv head, key j), looping over the query heads of its group and i ≥ j:
//      dV_j = Σ P_ij dO_i,   dK_j = scale · Σ P_ij (dO_i·V_j − Δ_i) Q_i
//   q, o, dO: [B, T, Hq, D]   k, v: [B, T, Hkv, D]   →  dq, dk, dv of the same shapes.
// These row-wise kernels (one thread per row, D-long registers) serve head dims that are not multiples
// of 64; attention_tiled.ts has the block-tiled pair used otherwise (see docs/train.md).
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, expectRank, grid1d, params } from "../ops/common.js";
import { ATTN_BWD_PARAMS, DKV_BINDINGS, DQ_BINDINGS } from "./attention_bindings.js";
import { DKV_TILES, DQ_TILES, dkvTiledBytes, dkvTiledWgsl, dqTiledBytes, dqTiledWgsl, type AttnBwdTile } from "./attention_tiled.js";

const head = (D: number) => `
${ATTN_BWD_PARAMS}
const D4: u32 = ${D / 4}u;
`;

// Rows are read as vec4 (head dims are multiples of 4): a quarter of the load instructions.
const dqWgsl = (D: number) => `${head(D)}${DQ_BINDINGS}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.y * nwg.x * 64u + gid.x; // (b, h, i), i fastest
  if (idx >= p.n) { return; }
  let i = idx % p.T; let bh = idx / p.T; let h = bh % p.Hq; let b = bh / p.Hq;
  let hk = h / (p.Hq / p.Hkv);
  let qo = ((b * p.T + i) * p.Hq + h) * D4;
  var q: array<vec4<f32>, ${D / 4}>; var g: array<vec4<f32>, ${D / 4}>; var acc: array<vec4<f32>, ${D / 4}>;
  var delta = 0.0;
  for (var d = 0u; d < D4; d++) { q[d] = Q[qo + d]; g[d] = dO[qo + d]; acc[d] = vec4<f32>(0.0); delta += dot(g[d], O[qo + d]); }
  var m = -3.0e38; var l = 0.0;
  for (var j = 0u; j <= i; j++) {
    let ko = ((b * p.T + j) * p.Hkv + hk) * D4;
    var s = 0.0;
    for (var d = 0u; d < D4; d++) { s += dot(q[d], K[ko + d]); }
    s *= p.scale;
    if (s > m) { l = l * exp(m - s) + 1.0; m = s; } else { l += exp(s - m); }
  }
  let lse = m + log(l);
  for (var j = 0u; j <= i; j++) {
    let ko = ((b * p.T + j) * p.Hkv + hk) * D4;
    var s = 0.0; var dp = 0.0;
    for (var d = 0u; d < D4; d++) { s += dot(q[d], K[ko + d]); dp += dot(g[d], V[ko + d]); }
    let ds = exp(s * p.scale - lse) * (dp - delta);
    for (var d = 0u; d < D4; d++) { acc[d] += ds * K[ko + d]; }
  }
  for (var d = 0u; d < D4; d++) { dQ[qo + d] = acc[d] * p.scale; }
  LD[2u * idx] = lse; LD[2u * idx + 1u] = delta;
}`;

const dkvWgsl = (D: number) => `${head(D)}${DKV_BINDINGS}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.y * nwg.x * 64u + gid.x; // (b, hk, j), j fastest
  if (idx >= p.n) { return; }
  let j = idx % p.T; let bh = idx / p.T; let hk = bh % p.Hkv; let b = bh / p.Hkv;
  let group = p.Hq / p.Hkv;
  let ko = ((b * p.T + j) * p.Hkv + hk) * D4;
  var k: array<vec4<f32>, ${D / 4}>; var v: array<vec4<f32>, ${D / 4}>; var ak: array<vec4<f32>, ${D / 4}>; var av: array<vec4<f32>, ${D / 4}>;
  for (var d = 0u; d < D4; d++) { k[d] = K[ko + d]; v[d] = V[ko + d]; ak[d] = vec4<f32>(0.0); av[d] = vec4<f32>(0.0); }
  for (var gq = 0u; gq < group; gq++) {
    let h = hk * group + gq;
    // start at the workgroup's first key so that neighbouring threads read the same query row together
    for (var i = j - (idx % 64u) % (j + 1u); i < p.T; i++) {
      if (i < j) { continue; }
      let qo = ((b * p.T + i) * p.Hq + h) * D4;
      let r = 2u * ((b * p.Hq + h) * p.T + i);
      var s = 0.0; var dp = 0.0;
      for (var d = 0u; d < D4; d++) { s += dot(Q[qo + d], k[d]); dp += dot(dO[qo + d], v[d]); }
      let pr = exp(s * p.scale - LD[r]);
      let ds = pr * (dp - LD[r + 1u]);
      for (var d = 0u; d < D4; d++) { av[d] += pr * dO[qo + d]; ak[d] += ds * Q[qo + d]; }
    }
  }
  for (var d = 0u; d < D4; d++) { dK[ko + d] = ak[d] * p.scale; dV[ko + d] = av[d]; }
}`;

export interface AttentionGrads { dq: Tensor; dk: Tensor; dv: Tensor }

export interface AttentionBackwardOptions {
  scale?: number;
  /** default: "tiled" where the head dim is a multiple of 64 and a tile fits the device, else "rowwise" */
  kernel?: "rowwise" | "tiled";
  /** force the tiles (tests): dQ kernel, dK/dV kernel */
  tiles?: { dq: AttnBwdTile; dkv: AttnBwdTile };
}

/** The tiles of the two tiled kernels for head dim D on this device, or null where none fits. */
export function attentionBackwardTiles(ctx: GpuContext, D: number): { dq: AttnBwdTile; dkv: AttnBwdTile } | null {
  if (D % 64 || D > 256 || ctx.limits.maxComputeInvocationsPerWorkgroup < 256) return null;
  const limit = ctx.limits.maxComputeWorkgroupStorageSize;
  const dq = DQ_TILES.find((t) => dqTiledBytes(D, t) <= limit), dkv = DKV_TILES.find((t) => dkvTiledBytes(D, t) <= limit);
  return dq && dkv ? { dq, dkv } : null;
}

/** Gradients of causal GQA attention out = attention(q, k, v) given out (o) and dO. */
export function attentionBackward(ctx: GpuContext, q: Tensor, k: Tensor, v: Tensor, o: Tensor, dO: Tensor, opts: AttentionBackwardOptions = {}): AttentionGrads {
  const op = "attentionBackward";
  for (const [name, t] of [["q", q], ["k", k], ["v", v], ["o", o], ["dO", dO]] as const) {
    expectDtype(op, name, t, "f32");
    expectRank(op, name, t, 4);
    expectBindable(ctx, op, name, t, "run fewer sequences per call");
  }
  const [B, T, Hq, D] = q.shape;
  const Hkv = k.shape[2];
  const same = (a: readonly number[], b: readonly number[]) => a.join() === b.join();
  if (!same(k.shape, [B, T, Hkv, D]) || !same(v.shape, k.shape)) fail(op, `k ${shapeStr(k.shape)} / v ${shapeStr(v.shape)} do not match q ${shapeStr(q.shape)}`, "pass k and v as [B, T, Hkv, D] with q's B, T and D");
  if (!same(o.shape, q.shape) || !same(dO.shape, q.shape)) fail(op, `o ${shapeStr(o.shape)} / dO ${shapeStr(dO.shape)} do not match q ${shapeStr(q.shape)}`, "pass o and dO of q's shape");
  if (Hq % Hkv) fail(op, `${Hkv} kv heads do not divide ${Hq} query heads`, "use a kv head count that divides the query heads");
  if (D > 256 || D % 4) fail(op, `head dim ${D}: the kernel needs a multiple of 4, at most 256`, "use a head dim that is a multiple of 4 and at most 256");
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const dq = ctx.empty(q.shape), dk = ctx.empty(k.shape), dv = ctx.empty(v.shape);
  const ld = ctx.empty([B, Hq, T, 2]);
  const nq = B * Hq * T, nk = B * Hkv * T;
  // the tiled pair where the head dim, the device's workgroup memory and the grid allow (forced tiles are checked too)
  const maxWg = ctx.limits.maxComputeWorkgroupsPerDimension;
  const limit = ctx.limits.maxComputeWorkgroupStorageSize;
  const why = (t: { dq: AttnBwdTile; dkv: AttnBwdTile } | null): string | null => {
    if (!t) return `the tiled kernels need a head dim multiple of 64, at most 256 (got ${D}), and ${dkvTiledBytes(D, { BQ: 16, BK: 16 })} bytes of workgroup memory (limit ${limit})`;
    if (D % 64 || D > 256) return `the tiled kernels need a head dim multiple of 64, at most 256 (got ${D})`;
    if (dqTiledBytes(D, t.dq) > limit || dkvTiledBytes(D, t.dkv) > limit) return `tiles ${JSON.stringify(t)} need more than the ${limit} bytes of workgroup memory`;
    if (B > maxWg || Math.ceil(T / Math.min(t.dq.BQ, t.dkv.BK)) > maxWg) return `batch ${B} or ${T} positions need more than ${maxWg} workgroups per dimension`;
    return null;
  };
  const wanted = opts.kernel === "rowwise" ? null : (opts.tiles ?? attentionBackwardTiles(ctx, D));
  const problem = why(wanted);
  if (opts.kernel === "tiled" && problem) fail(op, problem, 'pass kernel: "rowwise" or leave kernel unset');
  const tiles = problem ? null : wanted;
  if (tiles && nq > 0) {
    const { dq: a, dkv: c } = tiles;
    const u = params([B, T, Hq, Hkv, { f: scale }, nq]);
    ctx.dispatch({ pipeline: ctx.pipeline(`attnBwdDqTiled:${D}:${a.BQ}x${a.BK}`, () => dqTiledWgsl(D, a)), bindings: [q, k, v, o, dO, dq, ld], uniforms: u, workgroups: [Math.ceil(T / a.BQ), Hq, B] });
    ctx.dispatch({ pipeline: ctx.pipeline(`attnBwdDkvTiled:${D}:${c.BQ}x${c.BK}`, () => dkvTiledWgsl(D, c)), bindings: [q, k, v, dO, ld, dk, dv], uniforms: u, workgroups: [Math.ceil(T / c.BK), Hkv, B] });
  } else if (nq > 0) {
    ctx.dispatch({ pipeline: ctx.pipeline(`attnBwdDq:${D}`, () => dqWgsl(D)), bindings: [q, k, v, o, dO, dq, ld], uniforms: params([B, T, Hq, Hkv, { f: scale }, nq]), workgroups: grid1d(ctx, Math.ceil(nq / 64)) });
    ctx.dispatch({ pipeline: ctx.pipeline(`attnBwdDkv:${D}`, () => dkvWgsl(D)), bindings: [q, k, v, dO, ld, dk, dv], uniforms: params([B, T, Hq, Hkv, { f: scale }, nk]), workgroups: grid1d(ctx, Math.ceil(nk / 64)) });
  }
  ld.release();
  return { dq, dk, dv };
}
