// WGSL generator for the tensor-core matmul: C[b] = A[b] · op(B[b]) with f16 A and B, f32 C,
// on Dawn's subgroup matrices (chromium_experimental_subgroup_matrix, f16 → f32, M16 N16 K16 or
// M16 N8 K16).
//
// A workgroup computes a BM×BN tile of C; each of its subgroups a WM×WN piece of it, held as
// (WM/16)×(WN/n) f32 result matrices (n = the configuration's N). K-tiles of A ([m][k]) and B
// ([n][k] with transB, else [k][n]) are staged in workgroup memory as f16, rows padded by `pad`
// halves against bank conflicts, double-buffered: the next K-tile is fetched into registers
// (vec4<f16> where the contiguous dimension is a multiple of 4) while the subgroups multiply the
// current one, one barrier per K-tile. `direct` operands skip the staging: the subgroups load
// their matrices straight from the storage buffer (L1/L2 serve the reuse), which needs shapes
// that are tile multiples.
// The offsets given to subgroupMatrixLoad/Store must be subgroup-uniform (Tint checks it): they
// come from workgroup_id, subgroup_id and loop counters only, never local_invocation_index.
// Edge tiles (checked variant): loads are zero-filled; results go through a per-subgroup 16×16
// workgroup scratch from which the lanes store only the in-bounds elements.
// The builtins are the current spelling (majorness as a template argument, offsets and strides
// in array elements); Dawn warns "use of deprecated builtin" for the older bool-argument form.

import type { MatmulTile } from "./matmul_wgsl.js";
import { kTileLoop } from "./matmul_ktiles_wgsl.js";

/** How a tile is computed besides its sizes (the sweep's parameters). */
export interface SgmatOptions {
  /** N of the subgroup-matrix configuration: M16 N16 K16 or M16 N8 K16 */
  cfgN: 16 | 8;
  /** halves of padding per staged row */
  pad: number;
  /** operands loaded by the subgroups straight from global memory instead of staged */
  direct: "none" | "B" | "AB";
  /**
   * Staged tiles as array<vec4<f16>>: one workgroup store per fetched vec4 instead of four; the matrix loads'
   * offsets and strides then count vec4s (Tint's bounds check counts a stride in array elements: with the
   * stride in halves it rejects the load as reading past the array).
   */
  wgVec4: boolean;
}
export const SGMAT_DEFAULTS: SgmatOptions = { cfgN: 16, pad: 8, direct: "none", wgVec4: false };

/** A tile plus options: "BMxBNxBK/WMxWN" then any of ":n8", ":pad0" (any number), ":dB", ":dAB", ":w4". */
export type SgmatTile = MatmulTile & Partial<SgmatOptions>;

export function sgmatOptions(t: Partial<SgmatOptions>): SgmatOptions {
  return { ...SGMAT_DEFAULTS, ...Object.fromEntries(Object.entries(t).filter(([k, v]) => k in SGMAT_DEFAULTS && v !== undefined)) };
}

/** The tile's name in the syntax above, options at their defaults left out. */
export function sgmatKey(t: SgmatTile): string {
  const o = sgmatOptions(t);
  return `${t.BM}x${t.BN}x${t.BK}/${t.TM}x${t.TN}${o.cfgN === 8 ? ":n8" : ""}${o.pad !== SGMAT_DEFAULTS.pad ? `:pad${o.pad}` : ""}${o.direct !== "none" ? `:d${o.direct}` : ""}${o.wgVec4 ? ":w4" : ""}`;
}

/** Parses the suffixes of an sgmatKey; null if one is unknown. */
export function parseSgmatSuffix(suffix: string): Partial<SgmatOptions> | null {
  const o: Partial<SgmatOptions> = {};
  for (const part of suffix.split(":").filter(Boolean)) {
    if (part === "n8") o.cfgN = 8;
    else if (part === "n16") o.cfgN = 16;
    else if (/^pad\d+$/.test(part)) o.pad = Number(part.slice(3));
    else if (part === "dB" || part === "dAB") o.direct = part.slice(1) as "B" | "AB";
    else if (part === "w4") o.wgVec4 = true;
    else return null;
  }
  return o;
}

/** BM×BN workgroup tile, BK deep; TM×TN is each subgroup's WM×WN piece (multiples of 16). */
export interface SgmatVariant extends MatmulTile, SgmatOptions {
  transB: boolean;
  checked: boolean;
  vecA: boolean; // K % 4 == 0: vec4 loads of A
  vecB: boolean; // (transB ? K : N) % 4 == 0
  /** Invocations per subgroup: the adapter's subgroupMaxSize. */
  subgroupSize: number;
}

const S = 16; // M and K of the subgroup-matrix configurations

export function sgmatLayout(v: SgmatVariant) {
  const { BM, BN, BK, TM: WM, TN: WN, pad } = v;
  const subgroups = (BM / WM) * (BN / WN);
  const threads = subgroups * v.subgroupSize;
  const stageA = v.direct !== "AB", stageB = v.direct === "none";
  const strideA = BK + pad;
  const strideB = v.transB ? BK + pad : BN + pad;
  const sizeA = stageA ? BM * strideA : 0, sizeB = stageB ? (v.transB ? BN * strideB : BK * strideB) : 0;
  const scratch = v.checked ? subgroups * S * v.cfgN * 4 : 0;
  return { subgroups, threads, stageA, stageB, strideA, strideB, sizeA, sizeB, bytes: 2 * 2 * (sizeA + sizeB) + scratch };
}

/** Why a tile cannot be used, or null. */
export function sgmatTileProblem(v: SgmatVariant, maxThreads: number, maxBytes: number): string | null {
  const { BM, BN, BK, TM: WM, TN: WN } = v;
  if (BM % WM || BN % WN || WM % S || WN % S || BK % S) return `BM, BN must be multiples of WM, WN, which with BK must be multiples of ${S}`;
  if (v.pad % 4) return `padding ${v.pad} is not a multiple of 4 halves (vec4 staging)`;
  if (v.checked && v.direct !== "none") return "direct loads need shapes that are multiples of the tile (no edge variant)";
  const l = sgmatLayout(v);
  if (l.threads > maxThreads) return `${l.threads} invocations (${l.subgroups} subgroups of ${v.subgroupSize}) exceed ${maxThreads}`;
  if ((l.stageA && (BM * BK) % (4 * l.threads)) || (l.stageB && (BN * BK) % (4 * l.threads))) return `a K-tile of A or B does not divide into vec4 loads among ${l.threads} invocations`;
  if (l.bytes > maxBytes) return `${l.bytes} bytes of workgroup memory, over ${maxBytes}`;
  return null;
}

export function sgmatWgsl(v: SgmatVariant): string {
  const { BM, BN, BK, TM: WM, TN: WN, cfgN: CN } = v;
  const { subgroups, threads: NT, stageA, stageB, strideA: SA, strideB: SB, sizeA, sizeB } = sgmatLayout(v);
  const MI = WM / S, NJ = WN / CN, SGN = BN / WN;
  // a staged operand is read as vec4 where its contiguous dimension allows; a direct one as halves
  const vecA = stageA && v.vecA, vecB = stageB && v.vecB;
  // staged as vec4<f16>: stores of whole vec4s; load offsets (multiples of 4 halves) and strides in vec4s
  const w4 = v.wgVec4;
  const wgOff = (halves: string) => (w4 ? `(${halves}) / 4u` : halves);
  const wgStride = (halves: number) => `${w4 ? halves / 4 : halves}u`;

  // Global → register loads of one K-tile at k0 and the register → workgroup stores.
  // rows: the tile's rows in the operand's storage order; cols: its contiguous dimension.
  const plan = (name: "A" | "B", rowsAlongK: boolean, vec: boolean) => {
    const isA = name === "A";
    // [R][K] (A, transposed B): R = BM or BN rows of BK; [K][N] (plain B): BK rows of BN
    const R = rowsAlongK ? (isA ? BM : BN) : BK, C = rowsAlongK ? BK : BN;
    const count = (R * C) / 4 / NT;
    const stride = isA ? SA : SB;
    const ld = rowsAlongK ? "p.K" : "p.N";
    const decl: string[] = [], load: string[] = [], store: string[] = [];
    for (let l = 0; l < count; l++) {
      const r = `${name}r${l}`;
      decl.push(`var ${r}: vec4<f16>;`);
      const idx = `let idx = li + ${l * NT}u; let row = idx / ${C / 4}u; let col = (idx % ${C / 4}u) * 4u;`;
      // global row and column of the element
      const g = rowsAlongK
        ? `let gr = ${isA ? "gm0" : "gn0"} + row; let gc = k0 + col;`
        : `let gr = k0 + row; let gc = gn0 + col;`;
      const rowLim = rowsAlongK ? (isA ? "p.M" : "p.N") : "p.K";
      const addr = `${isA ? "baseA" : "baseB"} + gr * ${ld} + gc`;
      if (vec) {
        const cond = v.checked ? `gr < ${rowLim} && gc < ${ld}` : "true";
        load.push(`{ ${idx} ${g} ${r} = select(vec4<f16>(0.0h), ${name}[(${addr}) / 4u], ${cond}); }`);
      } else {
        const parts = [0, 1, 2, 3].map((c) => {
          const cond = v.checked ? `gr < ${rowLim} && gc + ${c}u < ${ld}` : "true";
          return `select(0.0h, ${name}[min(${addr} + ${c}u, arrayLength(&${name}) - 1u)], ${cond})`;
        });
        load.push(`{ ${idx} ${g} ${r} = vec4<f16>(${parts.join(", ")}); }`);
      }
      const put = w4 ? `${name}s[o / 4u] = ${r};` : [0, 1, 2, 3].map((c) => `${name}s[o + ${c}u] = ${r}[${c}];`).join(" ");
      store.push(`{ ${idx} let o = buf + row * ${stride}u + col; ${put} }`);
    }
    return { decl, load, store };
  };
  const none = { decl: [], load: [], store: [] };
  const pa = stageA ? plan("A", true, vecA) : none;
  const pb = stageB ? plan("B", v.transB, vecB) : none;

  const acc = (i: number, j: number) => `acc${i}_${j}`;
  const accDecl: string[] = [];
  for (let i = 0; i < MI; i++) for (let j = 0; j < NJ; j++) accDecl.push(`var ${acc(i, j)} = subgroup_matrix_result<f32, ${CN}, ${S}>();`);

  // where a subgroup's matrices start: in the staged K-tile, or (direct) in the operand itself
  const aOff = (i: number, ks: number) => stageA
    ? [`&As`, wgOff(`bufA + (sm * ${WM}u + ${i * S}u) * ${SA}u + ${ks * S}u`), wgStride(SA)]
    : [`&A`, `baseA + (gm0 + sm * ${WM}u + ${i * S}u) * p.K + k0 + ${ks * S}u`, `p.K`];
  const bOff = (j: number, ks: number) => {
    const n = `sn * ${WN}u + ${j * CN}u`;
    if (stageB) return [`&Bs`, wgOff(v.transB ? `bufB + (${n}) * ${SB}u + ${ks * S}u` : `bufB + ${ks * S}u * ${SB}u + ${n}`), wgStride(SB)];
    return v.transB
      ? [`&B`, `baseB + (gn0 + ${n}) * p.K + k0 + ${ks * S}u`, `p.K`]
      : [`&B`, `baseB + (k0 + ${ks * S}u) * p.N + gn0 + ${n}`, `p.N`];
  };
  const mma: string[] = [];
  for (let ks = 0; ks < BK / S; ks++) {
    mma.push(`{`);
    for (let i = 0; i < MI; i++) mma.push(`  let a${i} = subgroupMatrixLoad<subgroup_matrix_left<f16, ${S}, ${S}>, row_major>(${aOff(i, ks).join(", ")});`);
    for (let j = 0; j < NJ; j++) mma.push(`  let b${j} = subgroupMatrixLoad<subgroup_matrix_right<f16, ${CN}, ${S}>, ${v.transB ? "col_major" : "row_major"}>(${bOff(j, ks).join(", ")});`);
    for (let i = 0; i < MI; i++) for (let j = 0; j < NJ; j++) mma.push(`  ${acc(i, j)} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, ${acc(i, j)});`);
    mma.push(`}`);
  }

  const epi: string[] = [];
  for (let i = 0; i < MI; i++)
    for (let j = 0; j < NJ; j++) {
      const r0 = `gm0 + sm * ${WM}u + ${i * S}u`, c0 = `gn0 + sn * ${WN}u + ${j * CN}u`;
      if (!v.checked) {
        epi.push(`subgroupMatrixStore<row_major>(&C, baseC + (${r0}) * p.ldc + p.n0 + ${c0}, ${acc(i, j)}, p.ldc);`);
      } else {
        // every subgroup takes the same path (barriers need workgroup-uniform control flow)
        epi.push(`subgroupMatrixStore<row_major>(&Cs, sid * ${S * CN}u, ${acc(i, j)}, ${CN}u);
  workgroupBarrier();
  for (var e = lane; e < ${S * CN}u; e += ${v.subgroupSize}u) {
    let r = ${r0} + e / ${CN}u; let c = ${c0} + e % ${CN}u;
    if (r < p.M && c < p.N) { C[baseC + r * p.ldc + p.n0 + c] = Cs[sid * ${S * CN}u + e]; }
  }
  workgroupBarrier();`);
      }
    }

  // with both operands direct there is nothing to stage: a plain K loop without barriers
  const loop = stageA || stageB
    ? kTileLoop({ BK, halfA: sizeA, halfB: sizeB, loadA: pa.load, loadB: pb.load, storeA: pa.store, storeB: pb.store, multiply: mma })
    : `for (var t = 0u; t < p.numTiles; t++) {
    let k0 = t * ${BK}u; let bufA = 0u; let bufB = 0u;
    ${mma.join("\n    ")}
  }`;

  return `enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
struct P { M: u32, N: u32, K: u32, strideA: u32, strideB: u32, strideC: u32, ldc: u32, n0: u32, numTiles: u32 };
@group(0) @binding(0) var<storage, read> A: array<${vecA ? "vec4<f16>" : "f16"}>;
@group(0) @binding(1) var<storage, read> B: array<${vecB ? "vec4<f16>" : "f16"}>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
${stageA ? `var<workgroup> As: ${w4 ? `array<vec4<f16>, ${(2 * sizeA) / 4}>` : `array<f16, ${2 * sizeA}>`};` : ""}
${stageB ? `var<workgroup> Bs: ${w4 ? `array<vec4<f16>, ${(2 * sizeB) / 4}>` : `array<f16, ${2 * sizeB}>`};` : ""}
${v.checked ? `var<workgroup> Cs: array<f32, ${subgroups * S * CN}>;` : ""}

@compute @workgroup_size(${NT}, 1, 1)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wg: vec3<u32>,
        @builtin(subgroup_id) sid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let sm = sid / ${SGN}u; let sn = sid % ${SGN}u;
  let gm0 = wg.y * ${BM}u; let gn0 = wg.x * ${BN}u;
  let baseA = wg.z * p.strideA; let baseB = wg.z * p.strideB; let baseC = wg.z * p.strideC;
  ${accDecl.join("\n  ")}
  ${pa.decl.join(" ")} ${pb.decl.join(" ")}
  ${loop}
  ${epi.join("\n  ")}
}
`;
}
