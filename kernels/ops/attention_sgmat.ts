// Attention on subgroup matrices (tensor cores), FlashAttention-style: f16 Q, K, V, f32 scores, softmax
// statistics and output. EXPERIMENTAL: no model path uses it (see docs/kernels.md, § f16 attention).
//   q: [B, T, Hq, D] f16, k/v: [B, T, Hkv, D] f16 (self-attention without cache: S = T), out [B, T, Hq, D] f32.
// A workgroup takes 64 queries of one (batch, head), 16 per subgroup. Per block of 64 keys each subgroup
// computes S = Q·Kᵀ (16×64, f32 result matrices, Q and K loaded straight from the storage buffers), stores
// it to its workgroup scratch, where pairs of lanes run the online softmax of its 16 rows (causal mask,
// running max and sum) and write P as f16; the output accumulators (16×D, f32 result matrices) take a trip
// through the same scratch to be rescaled row by row (subgroup matrices have no per-row scaling), then
// O += P·V. At the end the lanes divide by the row sums and write O.
// Offsets given to the matrix builtins come from workgroup_id, subgroup_id and loop counters only.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectDtype, expectRank, params } from "./common.js";
import { canUseSubgroupMatrix } from "./matmul.js";

const S = 16; // subgroup-matrix size
const BQ = 64, BKEY = 64, SUBGROUPS = BQ / S;

export function attentionSgmatWgsl(D: number, subgroupSize: number): string {
  const DJ = D / S, KJ = BKEY / S; // result matrices of O and of S per subgroup
  const SCR = S * Math.max(D, BKEY); // f32 scratch per subgroup
  const loads: string[] = [], scores: string[] = [], pv: string[] = [];
  for (let kk = 0; kk < DJ; kk++)
    loads.push(`let qm${kk} = subgroupMatrixLoad<subgroup_matrix_left<f16, ${S}, ${S}>, row_major>(&Q, qBase + ${kk * S}u, qStride);`);
  for (let j = 0; j < KJ; j++) {
    scores.push(`var s${j} = subgroup_matrix_result<f32, ${S}, ${S}>();`);
    for (let kk = 0; kk < DJ; kk++)
      scores.push(`s${j} = subgroupMatrixMultiplyAccumulate(qm${kk}, subgroupMatrixLoad<subgroup_matrix_right<f16, ${S}, ${S}>, col_major>(&K, kBase + (k0 + ${j * S}u) * kStride + ${kk * S}u, kStride), s${j});`);
    scores.push(`subgroupMatrixStore<row_major>(&Scr, scr0 + ${j * S}u, s${j}, ${BKEY}u);`);
  }
  for (let j = 0; j < KJ; j++) {
    pv.push(`{ let pj = subgroupMatrixLoad<subgroup_matrix_left<f16, ${S}, ${S}>, row_major>(&Ps, p0 + ${j * S}u, ${BKEY}u);`);
    for (let dj = 0; dj < DJ; dj++)
      pv.push(`  o${dj} = subgroupMatrixMultiplyAccumulate(pj, subgroupMatrixLoad<subgroup_matrix_right<f16, ${S}, ${S}>, row_major>(&V, kBase + (k0 + ${j * S}u) * kStride + ${dj * S}u, kStride), o${dj});`);
    pv.push(`}`);
  }
  const oDecl = Array.from({ length: DJ }, (_, dj) => `var o${dj} = subgroup_matrix_result<f32, ${S}, ${S}>();`);
  const oStore = Array.from({ length: DJ }, (_, dj) => `subgroupMatrixStore<row_major>(&Scr, scr0 + ${dj * S}u, o${dj}, ${D}u);`);
  const oLoad = Array.from({ length: DJ }, (_, dj) => `o${dj} = subgroupMatrixLoad<subgroup_matrix_result<f32, ${S}, ${S}>, row_major>(&Scr, scr0 + ${dj * S}u, ${D}u);`);
  return `enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
struct P { T: u32, Hq: u32, Hkv: u32, scale: f32, causal: u32 };
@group(0) @binding(0) var<storage, read> Q: array<f16>;
@group(0) @binding(1) var<storage, read> K: array<f16>;
@group(0) @binding(2) var<storage, read> V: array<f16>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
var<workgroup> Scr: array<f32, ${SUBGROUPS * SCR}>;
var<workgroup> Ps: array<f16, ${SUBGROUPS * S * BKEY}>;
var<workgroup> Alpha: array<f32, ${SUBGROUPS * S}>;

@compute @workgroup_size(${SUBGROUPS * subgroupSize})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(subgroup_id) sid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let b = wg.z; let h = wg.y; let hk = h / (p.Hq / p.Hkv);
  let qStride = p.Hq * ${D}u; let kStride = p.Hkv * ${D}u;
  let q0 = wg.x * ${BQ}u + sid * ${S}u; // this subgroup's first query
  let qBase = ((b * p.T + q0) * p.Hq + h) * ${D}u;
  let kBase = (b * p.T * p.Hkv + hk) * ${D}u;
  let scr0 = sid * ${SCR}u; let p0 = sid * ${S * BKEY}u;
  ${loads.join("\n  ")}
  ${oDecl.join("\n  ")}
  // lanes 2r and 2r+1 own row r: columns [half·32, half·32 + 32) of each key block (subgroups of 32)
  let r = lane / 2u; let half = lane % 2u;
  var m = -3.0e38; var l = 0.0;
  var kEnd = p.T;
  if (p.causal != 0u) { kEnd = wg.x * ${BQ}u + ${BQ}u; } // the workgroup's last query: every subgroup loops alike
  for (var k0 = 0u; k0 < kEnd; k0 += ${BKEY}u) {
    ${scores.join("\n    ")}
    workgroupBarrier();
    {
      var mx = -3.0e38;
      for (var cc = 0u; cc < ${BKEY / 2}u; cc++) {
        let c = half * ${BKEY / 2}u + cc;
        var s = Scr[scr0 + r * ${BKEY}u + c] * p.scale;
        if (p.causal != 0u && k0 + c > q0 + r) { s = -3.0e38; }
        Scr[scr0 + r * ${BKEY}u + c] = s;
        mx = max(mx, s);
      }
      mx = max(mx, subgroupShuffleXor(mx, 1u));
      let mNew = max(m, mx);
      var sum = 0.0;
      for (var cc = 0u; cc < ${BKEY / 2}u; cc++) {
        let c = half * ${BKEY / 2}u + cc;
        let s = Scr[scr0 + r * ${BKEY}u + c];
        let e = select(exp(s - mNew), 0.0, s <= -3.0e38);
        sum += e;
        Ps[p0 + r * ${BKEY}u + c] = f16(e);
      }
      sum += subgroupShuffleXor(sum, 1u);
      let alpha = exp(m - mNew);
      l = l * alpha + sum; m = mNew;
      if (half == 0u) { Alpha[sid * ${S}u + r] = alpha; }
    }
    workgroupBarrier();
    ${oStore.join("\n    ")}
    workgroupBarrier();
    for (var e = lane; e < ${S * D}u; e += ${subgroupSize}u) { Scr[scr0 + e] *= Alpha[sid * ${S}u + e / ${D}u]; }
    workgroupBarrier();
    ${oLoad.join("\n    ")}
    ${pv.join("\n    ")}
    workgroupBarrier();
  }
  ${oStore.join("\n  ")}
  workgroupBarrier();
  // the row sums live in lanes 2r, 2r+1: hand them to the writers through Alpha
  if (half == 0u) { Alpha[sid * ${S}u + r] = l; }
  workgroupBarrier();
  for (var e = lane; e < ${S * D}u; e += ${subgroupSize}u) {
    let rr = e / ${D}u; let d = e % ${D}u;
    O[((b * p.T + q0 + rr) * p.Hq + h) * ${D}u + d] = Scr[scr0 + e] / Alpha[sid * ${S}u + rr];
  }
}
`;
}

/** Self-attention (S = T) of f16 q, k, v on subgroup matrices; f32 output. Needs T % 64 == 0 and D % 16 == 0, D ≤ 128. */
export function attentionSgmat(ctx: GpuContext, q: Tensor, k: Tensor, v: Tensor, opts: { causal?: boolean; scale?: number } = {}): Tensor {
  const op = "attentionSgmat";
  for (const [n, t] of [["q", q], ["k", k], ["v", v]] as const) {
    expectDtype(op, n, t, "f16");
    expectRank(op, n, t, 4);
  }
  const [B, T, Hq, D] = q.shape, [, S, Hkv] = k.shape;
  const desc = `q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)}`;
  if (!canUseSubgroupMatrix(ctx)) fail(op, `${ctx.adapterDescription} has no f16 → f32 16×16×16 subgroup matrices`, "use attention() with f32 tensors");
  if (S !== T || T % BQ || D % S || D > 128 || Hq % Hkv || shapeStr(k.shape) !== shapeStr(v.shape) || k.shape[0] !== B || k.shape[3] !== D)
    fail(op, `${desc}: needs S = T, a multiple of ${BQ}, head dim a multiple of 16 up to 128, Hq a multiple of Hkv`, "use attention() for other shapes");
  const out = ctx.empty([B, T, Hq, D]);
  const sg = ctx.capabilities.subgroupMaxSize;
  if (sg !== 2 * S) fail(op, `subgroups of ${sg} invocations; this kernel pairs 32 lanes with 16 rows`, "use attention() with f32 tensors");
  const pipeline = ctx.pipeline(`attention-sgmat:${D}:${sg}`, () => attentionSgmatWgsl(D, sg));
  const causal = opts.causal ?? true, scale = opts.scale ?? 1 / Math.sqrt(D);
  ctx.dispatch({ pipeline, bindings: [q, k, v, out], uniforms: params([T, Hq, Hkv, { f: scale }, causal ? 1 : 0]), workgroups: [T / BQ, Hq, B] });
  return out;
}
