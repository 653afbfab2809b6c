// WGSL generator for a tiled, register-blocked, double-buffered f32 matmul
// C[b] = op(A[b]) · op(B[b]), op = identity or transpose.
//
// Each workgroup computes a BM×BN tile of C with (BM/TM)×(BN/TN) threads; each thread owns a
// TM×TN block made of vec4 pieces spread BM/(TM/4) rows (BN/(TN/4) cols) apart, so that the
// threads of a warp read consecutive vec4s from workgroup memory (no bank conflicts).
// A is kept transposed in workgroup memory (As[k][m]) so both operands are read as vec4.
// The next K-tile is fetched into registers while the current one is multiplied (one
// barrier per K-tile, two workgroup buffers).
// With f16In, A and B are f16 in storage (shader-f16) and widened to f32 as they are loaded:
// the plain f16 path of adapters without subgroup matrices (f32 accumulation, half the reads).
// With strided, the kernel works on strided views for the second-order compressors (linalg.ts).

import { kTileLoop } from "./matmul_ktiles_wgsl.js";

export interface MatmulTile {
  BM: number;
  BN: number;
  BK: number;
  TM: number;
  TN: number;
}

export interface MatmulVariant extends MatmulTile {
  transA: boolean; // A stored [K, M]
  transB: boolean; // B stored [N, K]
  checked: boolean; // bounds checks (shapes not multiples of the tile)
  vecA: boolean; // A's contiguous dim is a multiple of 4: vec4 global loads
  vecB: boolean;
  vecC: boolean; // N multiple of 4: vec4 stores
  f16In?: boolean; // A and B stored as f16
  /**
   * The strided-view form behind linalg.ts's gemmUpdate: C = beta·C + alpha·A·B with leading
   * dimensions p.lda/p.ldb, element offsets p.strideA/B/C plus p.bsA/B/C per batch entry, tiles
   * above the diagonal skipped when p.lower != 0, and the triangular K-tile ranges of p.tri
   * (see GemmOptions.tri). Needs transA = false.
   */
  strided?: boolean;
}

/** Uniform fields the strided form adds after the plain ones. */
const STRIDED_FIELDS = ", lda: u32, ldb: u32, alpha: f32, beta: f32, lower: u32, bsA: u32, bsB: u32, bsC: u32, tri: u32";

export const tileKey = (t: MatmulTile) => `${t.BM}x${t.BN}x${t.BK}/${t.TM}x${t.TN}`;

export function matmulWgsl(v: MatmulVariant): string {
  const { BM, BN, BK, TM, TN } = v;
  if (v.strided && v.transA) throw new Error(`matmul tile ${tileKey(v)}: the strided form needs transA = false`);
  const WGX = BN / TN, WGY = BM / TM, NT = WGX * WGY;
  const BM4 = BM / 4, BN4 = BN / 4, TM4 = TM / 4, TN4 = TN / 4;
  const L: string[] = [];
  const inT = v.f16In ? "f16" : "f32";
  const elemA = v.vecA ? `vec4<${inT}>` : inT;
  const elemB = v.vecB ? `vec4<${inT}>` : inT;
  const elemC = v.vecC ? "vec4<f32>" : "f32";
  /** A global load, widened to f32 when the operands are f16. */
  const widen = (expr: string, vec: boolean) => (v.f16In ? `${vec ? "vec4<f32>" : "f32"}(${expr})` : expr);
  L.push(`${v.f16In ? "enable f16;\n" : ""}
struct P { M: u32, N: u32, K: u32, strideA: u32, strideB: u32, strideC: u32, ldc: u32, n0: u32, numTiles: u32${v.strided ? STRIDED_FIELDS : ""} };
@group(0) @binding(0) var<storage, read> A: array<${elemA}>;
@group(0) @binding(1) var<storage, read> B: array<${elemB}>;
@group(0) @binding(2) var<storage, read_write> C: array<${elemC}>;
@group(0) @binding(3) var<uniform> p: P;
var<workgroup> As: array<vec4<f32>, ${2 * BK * BM4}>;
var<workgroup> Bs: array<vec4<f32>, ${2 * BK * BN4}>;
`);

  // --- global → register loads for one K-tile starting at k0 -------------------------------
  // Operand X with tile rows R (m or n) and BK columns; "rowMajorK" = stored [R, K] (contiguous K).
  const loadPlan = (name: "A" | "B", R: number, rowMajorK: boolean, vec: boolean) => {
    const R4 = R / 4;
    const count = (R * BK) / 4 / NT; // vec4 per thread
    if (!Number.isInteger(count) || count < 1) throw new Error(`matmul tile ${tileKey(v)}: ${name} tile not divisible among ${NT} threads`);
    const lim = name === "A" ? "p.M" : "p.N";
    const base = name === "A" ? "baseA" : "baseB";
    const g = name === "A" ? "gm" : "gn";
    const ldName = name === "A" ? "p.lda" : "p.ldb";
    const decl: string[] = [];
    const load: string[] = [];
    const store: string[] = [];
    for (let l = 0; l < count; l++) {
      const r = `${name}r${l}`;
      decl.push(`var ${r}: vec4<f32>;`);
      load.push(`{ let idx = lid + ${l * NT}u;`);
      if (rowMajorK) {
        // idx -> (row, k-quad); vec4 along K
        load.push(`  let row = idx / ${BK / 4}u; let kq = (idx % ${BK / 4}u) * 4u; let gr = ${g}0 + row; let gk = k0 + kq;`);
        const addr = (c: string) => `${base} + gr * ${v.strided ? ldName : "p.K"} + gk${c}`;
        if (vec) {
          const cond = v.checked ? `gr < ${lim} && gk < p.K` : "true";
          load.push(`  ${r} = select(vec4<f32>(0.0), ${widen(`${name}[(${addr("")}) / 4u]`, true)}, ${cond}); }`);
        } else {
          const parts = [0, 1, 2, 3].map((c) => {
            const cond = v.checked ? `gr < ${lim} && gk + ${c}u < p.K` : "true";
            return `select(0.0, ${widen(`${name}[min(${addr(` + ${c}u`)}, arrayLength(&${name}) - 1u)]`, false)}, ${cond})`;
          });
          load.push(`  ${r} = vec4<f32>(${parts.join(", ")}); }`);
        }
        store.push(`{ let idx = lid + ${l * NT}u; let row = idx / ${BK / 4}u; let kq = (idx % ${BK / 4}u) * 4u;`);
        for (let c = 0; c < 4; c++) store.push(`  ${name}s[buf + (kq + ${c}u) * ${R4}u + row / 4u][row % 4u] = ${r}[${c}];`);
        store.push(`}`);
      } else {
        // stored [K, R]: idx -> (k, row-quad); vec4 along R, stored directly
        load.push(`  let kk = idx / ${R4}u; let rq = (idx % ${R4}u) * 4u; let gk = k0 + kk; let gr = ${g}0 + rq;`);
        const ld = v.strided ? ldName : name === "A" ? "p.M" : "p.N";
        const addr = (c: string) => `${base} + gk * ${ld} + gr${c}`;
        if (vec) {
          const cond = v.checked ? `gk < p.K && gr < ${lim}` : "true";
          load.push(`  ${r} = select(vec4<f32>(0.0), ${widen(`${name}[(${addr("")}) / 4u]`, true)}, ${cond}); }`);
        } else {
          const parts = [0, 1, 2, 3].map((c) => {
            const cond = v.checked ? `gk < p.K && gr + ${c}u < ${lim}` : "true";
            return `select(0.0, ${widen(`${name}[min(${addr(` + ${c}u`)}, arrayLength(&${name}) - 1u)]`, false)}, ${cond})`;
          });
          load.push(`  ${r} = vec4<f32>(${parts.join(", ")}); }`);
        }
        store.push(`{ let idx = lid + ${l * NT}u; ${name}s[buf + idx] = ${r}; }`);
      }
    }
    return { decl, load, store };
  };
  const pa = loadPlan("A", BM, !v.transA, v.vecA);
  const pb = loadPlan("B", BN, v.transB, v.vecB);

  // --- the multiply of one K-tile, fully unrolled over the thread's block -------------------
  const acc = (i: number, j: number) => `c${i}_${j}`; // row i (0..TM), vec4 column group j
  const body: string[] = [];
  body.push(`for (var k = 0u; k < ${BK}u; k++) {`);
  for (let q = 0; q < TM4; q++) body.push(`  let a${q} = As[bufA + k * ${BM4}u + ${q * WGY}u + ty];`);
  for (let q = 0; q < TN4; q++) body.push(`  let b${q} = Bs[bufB + k * ${BN4}u + ${q * WGX}u + tx];`);
  for (let i = 0; i < TM; i++)
    for (let j = 0; j < TN4; j++) body.push(`  ${acc(i, j)} = fma(vec4<f32>(a${i >> 2}[${i & 3}]), b${j}, ${acc(i, j)});`);
  body.push(`}`);

  const accDecl: string[] = [];
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN4; j++) accDecl.push(`var ${acc(i, j)} = vec4<f32>(0.0);`);

  // --- epilogue ------------------------------------------------------------------------------
  /** C[idx] = val, or in the strided form C[idx] = alpha·val + beta·C[idx] (C not read when beta = 0). */
  const storeC = (idx: string, val: string) =>
    v.strided ? `{ let ci = ${idx}; var o = p.alpha * ${val}; if (p.beta != 0.0) { o = o + p.beta * C[ci]; } C[ci] = o; }` : `C[${idx}] = ${val};`;
  const epi: string[] = [];
  for (let i = 0; i < TM; i++) {
    const rowOff = (i >> 2) * WGY * 4 + (i & 3);
    epi.push(`{ let row = gm0 + ty * 4u + ${rowOff}u;`);
    if (v.checked) epi.push(`  if (row < p.M) {`);
    for (let j = 0; j < TN4; j++) {
      epi.push(`  { let col = gn0 + tx * 4u + ${j * WGX * 4}u;`);
      const base = `baseC + row * p.ldc + p.n0 + col`;
      if (v.vecC) {
        epi.push(`    ${v.checked ? "if (col < p.N) { " : ""}${storeC(`(${base}) / 4u`, acc(i, j))}${v.checked ? " }" : ""} }`);
      } else {
        for (let c = 0; c < 4; c++)
          epi.push(`    ${v.checked ? `if (col + ${c}u < p.N) { ` : ""}${storeC(`${base} + ${c}u`, `${acc(i, j)}[${c}]`)}${v.checked ? " }" : ""}`);
        epi.push(`  }`);
      }
    }
    if (v.checked) epi.push(`  }`);
    epi.push(`}`);
  }

  // strided form: per-batch offsets, the diagonal skip, and the K-tile range [tS, tE) of this output tile
  const stridedBases = `let baseA = p.strideA + wg.z * p.bsA; let baseB = p.strideB + wg.z * p.bsB; let baseC = p.strideC + wg.z * p.bsC;
  if (p.lower != 0u && gn0 > gm0 + ${BM - 1}u) { return; }`;
  const triRange = `var tS = 0u; var tE = p.numTiles;
  if (p.tri == 1u) { tE = min(tE, (gm0 + ${BM + BK - 1}u) / ${BK}u); }
  if (p.tri == 2u) { tS = gn0 / ${BK}u; }
  if (p.tri == 3u) { tE = min(tE, (gn0 + ${BN + BK - 1}u) / ${BK}u); }
  if (tS >= tE) { tS = 0u; tE = 0u; }`;

  L.push(`
@compute @workgroup_size(${WGX}, ${WGY}, 1)
fn main(@builtin(local_invocation_id) li: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let tx = li.x; let ty = li.y; let lid = ty * ${WGX}u + tx;
  let gm0 = wg.y * ${BM}u; let gn0 = wg.x * ${BN}u;
  ${v.strided ? stridedBases : "let baseA = wg.z * p.strideA; let baseB = wg.z * p.strideB; let baseC = wg.z * p.strideC;"}
  ${accDecl.join("\n  ")}
  ${pa.decl.join(" ")} ${pb.decl.join(" ")}
  ${kTileLoop({ BK, halfA: BK * BM4, halfB: BK * BN4, loadA: pa.load, loadB: pb.load, storeA: pa.store, storeB: pb.store, multiply: body, range: v.strided ? triRange : undefined })}
  ${epi.join("\n  ")}
}
`);
  return L.join("");
}
