// Tiled causal GQA attention backward (FlashAttention-2's backward) for head dims that are multiples
// of 64. Same two passes, bindings and LD buffer as the row-wise kernels in attention.ts, but every
// workgroup (16×16 threads) works on blocks of BQ queries × BK keys held in workgroup memory, so each
// Q/K/V/dO row is read from global memory once per block instead of once per thread:
//   dQ kernel, one workgroup per (query block, head, b):
//     pass 1: logsumexp of each query row (each thread keeps a running max/sum over its columns;
//             the 16 partials of a row are combined once at the end),
//     then Δ = dO·O per row, then pass 2 over key blocks: S = QKᵀ, dP = dO·Vᵀ,
//     dS = P∘(dP − Δ) in workgroup memory, dQ += dS·K.
//   dK/dV kernel, one workgroup per (key block, kv head, b), looping over the group's query heads
//     and the query blocks at or after the key block: P and dS as above, dV += Pᵀ·dO, dK += dSᵀ·Q.
// Thread (ty, tx) owns score entries (ty + 16r, tx + 16c) and output rows ty + 16r × vec4 columns
// tx + 16j: shared-memory reads are broadcasts or consecutive. Rows are padded by one vec4 against
// bank conflicts. No atomics: results are bit-reproducible.

import { ATTN_BWD_PARAMS, DKV_BINDINGS, DQ_BINDINGS } from "./attention_bindings.js";

export interface AttnBwdTile { BQ: number; BK: number }

/** Candidate tiles per kernel, preferred first: the dQ kernel streams keys past its query block,
 *  the dK/dV kernel queries past its key block, so each prefers its own block tall. */
export const DQ_TILES: readonly AttnBwdTile[] = [{ BQ: 32, BK: 32 }, { BQ: 32, BK: 16 }, { BQ: 16, BK: 32 }, { BQ: 16, BK: 16 }];
export const DKV_TILES: readonly AttnBwdTile[] = [{ BQ: 32, BK: 32 }, { BQ: 16, BK: 32 }, { BQ: 32, BK: 16 }, { BQ: 16, BK: 16 }];

const rowsOf = (n: number) => Array.from({ length: n / 16 }, (_, i) => i);

/** Workgroup memory of the dQ kernel: Q, dO (BQ rows), K, V (BK rows), dS, L, Δ. */
export function dqTiledBytes(D: number, t: AttnBwdTile): number {
  const S4 = D / 4 + 1;
  return 16 * S4 * (2 * t.BQ + 2 * t.BK) + 4 * (t.BQ * (t.BK + 1) + 2 * t.BQ);
}

/** Workgroup memory of the dK/dV kernel: K, V (BK rows), Q, dO (BQ rows), P, dS, L, Δ. */
export function dkvTiledBytes(D: number, t: AttnBwdTile): number {
  const S4 = D / 4 + 1;
  return 16 * S4 * (2 * t.BQ + 2 * t.BK) + 4 * (2 * t.BQ * (t.BK + 1) + 2 * t.BQ);
}

const common = (D: number, t: AttnBwdTile) => {
  const D4 = D / 4, S4 = D4 + 1;
  return `
${ATTN_BWD_PARAMS}
const D4: u32 = ${D4}u;
const S4: u32 = ${S4}u;
const BQ: u32 = ${t.BQ}u;
const BK: u32 = ${t.BK}u;
const PS: u32 = ${t.BK + 1}u;
var<workgroup> Qs: array<vec4<f32>, ${t.BQ * S4}>;
var<workgroup> Gs: array<vec4<f32>, ${t.BQ * S4}>;
var<workgroup> Ks: array<vec4<f32>, ${t.BK * S4}>;
var<workgroup> Vs: array<vec4<f32>, ${t.BK * S4}>;
var<workgroup> Ds: array<f32, ${t.BQ * (t.BK + 1)}>;
var<workgroup> Ls: array<f32, ${t.BQ}>;
var<workgroup> Dl: array<f32, ${t.BQ}>;
`;
};

/** Copies rows r0.. of a [B, T, H, D] tensor (head h) into a padded workgroup array, zeros past T. */
const loadRows = (dst: string, src: string, rows: number, H: string, h: string, r0: string) => `
    for (var idx = lid; idx < ${rows}u * D4; idx += 256u) {
      let r = idx / D4; let d = idx % D4; let row = ${r0} + r;
      var x = vec4<f32>(0.0);
      if (row < p.T) { x = ${src}[((b * p.T + row) * ${H} + ${h}) * D4 + d]; }
      ${dst}[r * S4 + d] = x;
    }`;

/** Score s = scale·Q_q·K_k and dp = dO_q·V_k for the thread's entries (r, c), over D in vec4s. */
const scores = (RQ: number, RK: number, withDp: boolean) => {
  const out: string[] = [];
  for (let r = 0; r < RQ; r++)
    for (let c = 0; c < RK; c++) out.push(`var s${r}_${c} = 0.0;${withDp ? ` var g${r}_${c} = 0.0;` : ""}`);
  out.push(`for (var d = 0u; d < D4; d++) {`);
  for (let r = 0; r < RQ; r++) out.push(`  let q${r} = Qs[(ty + ${16 * r}u) * S4 + d];${withDp ? ` let o${r} = Gs[(ty + ${16 * r}u) * S4 + d];` : ""}`);
  for (let c = 0; c < RK; c++) out.push(`  let k${c} = Ks[(tx + ${16 * c}u) * S4 + d];${withDp ? ` let v${c} = Vs[(tx + ${16 * c}u) * S4 + d];` : ""}`);
  for (let r = 0; r < RQ; r++)
    for (let c = 0; c < RK; c++) out.push(`  s${r}_${c} += dot(q${r}, k${c});${withDp ? ` g${r}_${c} += dot(o${r}, v${c});` : ""}`);
  out.push(`}`);
  return out.join("\n      ");
};

export function dqTiledWgsl(D: number, t: AttnBwdTile): string {
  const RQ = rowsOf(t.BQ), RK = rowsOf(t.BK), J = rowsOf(D / 4);
  return `${common(D, t)}
${DQ_BINDINGS}
@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) li: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let tx = li.x; let ty = li.y; let lid = ty * 16u + tx;
  let b = wg.z; let h = wg.y; let q0 = wg.x * BQ;
  let hk = h / (p.Hq / p.Hkv);
  let kEnd = min(p.T, q0 + BQ); // causal: no key after the block's last query
  ${loadRows("Qs", "Q", t.BQ, "p.Hq", "h", "q0")}
  // pass 1: running max and sum per (row, thread), combined across the row's 16 threads below
  ${RQ.map((r) => `var m${r} = -3.0e38; var l${r} = 0.0;`).join(" ")}
  for (var k0 = 0u; k0 < kEnd; k0 += BK) {
    workgroupBarrier();
    ${loadRows("Ks", "K", t.BK, "p.Hkv", "hk", "k0")}
    workgroupBarrier();
    ${scores(t.BQ / 16, t.BK / 16, false)}
    ${RQ.flatMap((r) => RK.map((c) => `{
      let qi = q0 + ty + ${16 * r}u; let kj = k0 + tx + ${16 * c}u;
      if (qi < p.T && kj <= qi) {
        let s = s${r}_${c} * p.scale;
        if (s > m${r}) { l${r} = l${r} * exp(m${r} - s) + 1.0; m${r} = s; } else { l${r} += exp(s - m${r}); }
      }
    }`)).join("\n    ")}
  }
  // Gs is free until dO is loaded: it holds the 16 partial (max, sum) pairs of every row
  workgroupBarrier();
  ${RQ.map((r) => `Gs[(ty + ${16 * r}u) * 16u + tx] = vec4<f32>(m${r}, l${r}, 0.0, 0.0);`).join(" ")}
  workgroupBarrier();
  if (lid < BQ) {
    var m = -3.0e38;
    for (var t = 0u; t < 16u; t++) { m = max(m, Gs[lid * 16u + t].x); }
    var l = 0.0;
    for (var t = 0u; t < 16u; t++) { let e = Gs[lid * 16u + t]; l += e.y * exp(e.x - m); }
    Ls[lid] = m + log(l);
  }
  workgroupBarrier();
  ${loadRows("Gs", "dO", t.BQ, "p.Hq", "h", "q0")}
  workgroupBarrier();
  if (lid < BQ && q0 + lid < p.T) {
    let ob = ((b * p.T + q0 + lid) * p.Hq + h) * D4;
    var delta = 0.0;
    for (var d = 0u; d < D4; d++) { delta += dot(Gs[lid * S4 + d], O[ob + d]); }
    Dl[lid] = delta;
    let r = 2u * ((b * p.Hq + h) * p.T + q0 + lid);
    LD[r] = Ls[lid]; LD[r + 1u] = delta;
  }
  // pass 2: dS = P∘(dP − Δ), dQ += dS·K
  ${RQ.flatMap((r) => J.map((j) => `var a${r}_${j} = vec4<f32>(0.0);`)).join(" ")}
  for (var k0 = 0u; k0 < kEnd; k0 += BK) {
    workgroupBarrier();
    ${loadRows("Ks", "K", t.BK, "p.Hkv", "hk", "k0")}
    ${loadRows("Vs", "V", t.BK, "p.Hkv", "hk", "k0")}
    workgroupBarrier();
    ${scores(t.BQ / 16, t.BK / 16, true)}
    ${RQ.flatMap((r) => RK.map((c) => `{
      let qr = ty + ${16 * r}u; let kc = tx + ${16 * c}u; let qi = q0 + qr; let kj = k0 + kc;
      var ds = 0.0;
      if (qi < p.T && kj <= qi) { ds = exp(s${r}_${c} * p.scale - Ls[qr]) * (g${r}_${c} - Dl[qr]); }
      Ds[qr * PS + kc] = ds;
    }`)).join("\n    ")}
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      ${J.map((j) => `let kv${j} = Ks[kk * S4 + tx + ${16 * j}u];`).join(" ")}
      ${RQ.map((r) => `{ let ds = Ds[(ty + ${16 * r}u) * PS + kk]; ${J.map((j) => `a${r}_${j} = fma(vec4<f32>(ds), kv${j}, a${r}_${j});`).join(" ")} }`).join("\n      ")}
    }
  }
  ${RQ.map((r) => `if (q0 + ty + ${16 * r}u < p.T) { let ob = ((b * p.T + q0 + ty + ${16 * r}u) * p.Hq + h) * D4 + tx; ${J.map((j) => `dQ[ob + ${16 * j}u] = a${r}_${j} * p.scale;`).join(" ")} }`).join("\n  ")}
}`;
}

export function dkvTiledWgsl(D: number, t: AttnBwdTile): string {
  const RQ = rowsOf(t.BQ), RK = rowsOf(t.BK), J = rowsOf(D / 4);
  return `${common(D, t)}
var<workgroup> Pr: array<f32, ${t.BQ * (t.BK + 1)}>;
${DKV_BINDINGS}
@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) li: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let tx = li.x; let ty = li.y; let lid = ty * 16u + tx;
  let b = wg.z; let hk = wg.y; let k0 = wg.x * BK;
  let group = p.Hq / p.Hkv;
  ${loadRows("Ks", "K", t.BK, "p.Hkv", "hk", "k0")}
  ${loadRows("Vs", "V", t.BK, "p.Hkv", "hk", "k0")}
  ${RK.flatMap((r) => J.map((j) => `var ak${r}_${j} = vec4<f32>(0.0); var av${r}_${j} = vec4<f32>(0.0);`)).join(" ")}
  for (var gq = 0u; gq < group; gq++) {
    let h = hk * group + gq;
    for (var q0 = (k0 / BQ) * BQ; q0 < p.T; q0 += BQ) { // causal: queries at or after the block's first key
      workgroupBarrier();
      ${loadRows("Qs", "Q", t.BQ, "p.Hq", "h", "q0")}
      ${loadRows("Gs", "dO", t.BQ, "p.Hq", "h", "q0")}
      if (lid < BQ) {
        var ld = vec2<f32>(0.0);
        if (q0 + lid < p.T) { let r = 2u * ((b * p.Hq + h) * p.T + q0 + lid); ld = vec2<f32>(LD[r], LD[r + 1u]); }
        Ls[lid] = ld.x; Dl[lid] = ld.y;
      }
      workgroupBarrier();
      ${scores(t.BQ / 16, t.BK / 16, true)}
      ${RQ.flatMap((r) => RK.map((c) => `{
        let qr = ty + ${16 * r}u; let kc = tx + ${16 * c}u; let qi = q0 + qr; let kj = k0 + kc;
        var pr = 0.0;
        if (qi < p.T && kj <= qi) { pr = exp(s${r}_${c} * p.scale - Ls[qr]); }
        Pr[qr * PS + kc] = pr; Ds[qr * PS + kc] = pr * (g${r}_${c} - Dl[qr]);
      }`)).join("\n      ")}
      workgroupBarrier();
      for (var qq = 0u; qq < BQ; qq++) {
        ${J.map((j) => `let gv${j} = Gs[qq * S4 + tx + ${16 * j}u]; let qv${j} = Qs[qq * S4 + tx + ${16 * j}u];`).join(" ")}
        ${RK.map((r) => `{ let pr = Pr[qq * PS + ty + ${16 * r}u]; let ds = Ds[qq * PS + ty + ${16 * r}u]; ${J.map((j) => `av${r}_${j} = fma(vec4<f32>(pr), gv${j}, av${r}_${j}); ak${r}_${j} = fma(vec4<f32>(ds), qv${j}, ak${r}_${j});`).join(" ")} }`).join("\n        ")}
      }
    }
  }
  ${RK.map((r) => `if (k0 + ty + ${16 * r}u < p.T) { let ob = ((b * p.T + k0 + ty + ${16 * r}u) * p.Hkv + hk) * D4 + tx; ${J.map((j) => `dK[ob + ${16 * j}u] = ak${r}_${j} * p.scale; dV[ob + ${16 * j}u] = av${r}_${j};`).join(" ")} }`).join("\n  ")}
}`;
}
