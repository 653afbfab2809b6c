// Register-blocked flash attention (FlashAttention-2 layout) for head dims that are multiples
// of 64. A workgroup of 16×16 threads owns 64 queries of one head; per block of 64 keys:
//   S = Q·Kᵀ as a small GEMM over D in chunks of DK (each thread a 4×4 block of S),
//   row max across the 16 threads of a row through workgroup memory, P = exp(S - m) kept in
//   workgroup memory, then O += P·V with V streamed in chunks of VK keys (each thread 4 rows ×
//   D/16 columns of O). Row sums stay per thread and are combined once at the end.
// The Q/K chunks and the V chunk share one workgroup array (they are never live together).
export interface TiledAttnConfig { DK: number }

/** Parameters and bindings shared by both attention kernels (the dispatch code binds them once). */
export const ATTENTION_BINDINGS = `struct P { T: u32, S: u32, Hq: u32, Hkv: u32, scale: f32, qOffset: u32, causal: u32, masked: u32, softcap: f32 };
@group(0) @binding(0) var<storage, read> Q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> K: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> V: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> O: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> Mask: array<u32>;
@group(0) @binding(5) var<uniform> p: P;
const NEG: f32 = -3.0e38;
// tanh soft-capping of a score (Gemma 2): cap·tanh(x/cap); softcap 0 leaves x as it is
fn softcap_(x: f32, cap: f32) -> f32 { return select(x, cap * tanh(clamp(x / cap, -15.0, 15.0)), cap > 0.0); }`;

export const TILED_BQ = 64, TILED_BKEY = 64;

/** vec4 slots of the shared Q/K/V scratch, and the V chunk (keys) it holds for head dim D. */
const scratchVec4 = (c: TiledAttnConfig) => c.DK * 32;
function vChunk(D: number, c: TiledAttnConfig): number {
  let vk = 64; // a power of two dividing the 64-key block
  while (vk > 1 && vk * (D / 4) > scratchVec4(c)) vk /= 2;
  return vk;
}

export function tiledAttentionBytes(c: TiledAttnConfig): number {
  return 16 * scratchVec4(c) + 4 * (64 * 65 + 64 * 16);
}

export function tiledAttentionWgsl(D: number, c: TiledAttnConfig): string {
  const D4 = D / 4, OC = D / 64, DK = c.DK, VK = vChunk(D, c), PS = 65; // Ps row stride (padded)
  const SQ = scratchVec4(c), KOFF = SQ / 2; // Q chunk at [0, SQ/2), K chunk at [SQ/2, SQ)
  const rows = [0, 1, 2, 3];
  const oc = Array.from({ length: OC }, (_, j) => j);
  return `
${ATTENTION_BINDINGS}
var<workgroup> QKV: array<vec4<f32>, ${SQ}>; // Qᵀ chunk [d][query quad] + Kᵀ chunk [d][key quad], or a V chunk
var<workgroup> Ps: array<f32, ${64 * PS}>;    // [query][key], padded rows
var<workgroup> Red: array<f32, 1024>;        // [query][tx]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) li: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let tx = li.x; let ty = li.y; let lid = ty * 16u + tx;
  let b = wg.z; let h = wg.y; let q0 = wg.x * 64u;
  let hk = h / (p.Hq / p.Hkv);
  ${rows.map((i) => `var m${i} = NEG; var l${i} = 0.0; ${oc.map((j) => `var o${i}_${j} = vec4<f32>(0.0);`).join(" ")}`).join("\n  ")}
  var kEnd = p.S;
  if (p.causal != 0u) { kEnd = min(p.S, p.qOffset + min(q0 + 64u, p.T)); }
  for (var k0 = 0u; k0 < kEnd; k0 += 64u) {
    ${rows.map((i) => `var s${i} = vec4<f32>(0.0);`).join(" ")}
    for (var d0 = 0u; d0 < ${D}u; d0 += ${DK}u) {
      workgroupBarrier();
      for (var ld = 0u; ld < ${DK / 16}u; ld++) {
        // 256 threads each move one vec4 of Q and of K per pass over the 64×DK chunks
        let li2 = lid + ld * 256u; let lrow = li2 / ${DK / 4}u; let ldq = (li2 % ${DK / 4}u) * 4u;
        let qq = q0 + lrow;
        var qv = vec4<f32>(0.0);
        if (qq < p.T) { qv = Q[((b * p.T + qq) * p.Hq + h) * ${D4}u + (d0 + ldq) / 4u]; }
        let kk = k0 + lrow;
        var kv = vec4<f32>(0.0);
        if (kk < p.S) { kv = K[((b * p.S + kk) * p.Hkv + hk) * ${D4}u + (d0 + ldq) / 4u]; }
        for (var c = 0u; c < 4u; c++) {
          QKV[(ldq + c) * 16u + lrow / 4u][lrow % 4u] = qv[c];
          QKV[${KOFF}u + (ldq + c) * 16u + lrow / 4u][lrow % 4u] = kv[c];
        }
      }
      workgroupBarrier();
      for (var k = 0u; k < ${DK}u; k++) {
        let a = QKV[k * 16u + ty]; let kb = QKV[${KOFF}u + k * 16u + tx];
        ${rows.map((i) => `s${i} = fma(vec4<f32>(a[${i}]), kb, s${i});`).join(" ")}
      }
    }
    // scale and mask, then the row max across the 16 threads of each row
    ${rows
      .map(
        (i) => `{
      let qAbs = p.qOffset + q0 + ty * 4u + ${i}u;
      for (var c = 0u; c < 4u; c++) {
        let key = k0 + tx * 4u + c;
        var ok = key < p.S;
        if (p.causal != 0u) { ok = ok && key <= qAbs; }
        if (ok && p.masked != 0u) { ok = Mask[b * p.S + key] != 0u; }
        s${i}[c] = select(NEG, softcap_(s${i}[c] * p.scale, p.softcap), ok);
      }
      Red[(ty * 4u + ${i}u) * 16u + tx] = max(max(s${i}.x, s${i}.y), max(s${i}.z, s${i}.w));
    }`,
      )
      .join("\n    ")}
    workgroupBarrier();
    ${rows
      .map(
        (i) => `{
      let row = ty * 4u + ${i}u;
      var mx = m${i};
      for (var t = 0u; t < 16u; t++) { mx = max(mx, Red[row * 16u + t]); }
      let alpha = exp(m${i} - mx);
      m${i} = mx;
      let pv = select(exp(s${i} - vec4<f32>(mx)), vec4<f32>(0.0), s${i} == vec4<f32>(NEG)); // masked: exactly NEG; NaN stays NaN
      l${i} = l${i} * alpha + pv.x + pv.y + pv.z + pv.w;
      ${oc.map((j) => `o${i}_${j} *= alpha;`).join(" ")}
      let pb = row * ${PS}u + tx * 4u;
      Ps[pb] = pv.x; Ps[pb + 1u] = pv.y; Ps[pb + 2u] = pv.z; Ps[pb + 3u] = pv.w;
    }`,
      )
      .join("\n    ")}
    // O += P·V, V streamed through workgroup memory ${VK} keys at a time
    for (var v0 = 0u; v0 < 64u; v0 += ${VK}u) {
      workgroupBarrier();
      for (var idx = lid; idx < ${VK * D4}u; idx += 256u) {
        let kk = idx / ${D4}u; let d = idx % ${D4}u; let key = k0 + v0 + kk;
        var vv = vec4<f32>(0.0);
        if (key < p.S) { vv = V[((b * p.S + key) * p.Hkv + hk) * ${D4}u + d]; }
        QKV[idx] = vv;
      }
      workgroupBarrier();
      for (var kk = 0u; kk < ${VK}u; kk++) {
        ${oc.map((j) => `let vr${j} = QKV[kk * ${D4}u + tx + ${16 * j}u];`).join(" ")}
        ${rows.map((i) => `{ let pr = Ps[(ty * 4u + ${i}u) * ${PS}u + v0 + kk]; ${oc.map((j) => `o${i}_${j} = fma(vec4<f32>(pr), vr${j}, o${i}_${j});`).join(" ")} }`).join("\n        ")}
      }
    }
  }
  // combine the per-thread row sums and write the normalised output
  workgroupBarrier();
  ${rows.map((i) => `Red[(ty * 4u + ${i}u) * 16u + tx] = l${i};`).join(" ")}
  workgroupBarrier();
  ${rows
    .map(
      (i) => `{
    let row = ty * 4u + ${i}u; let qi = q0 + row;
    var lt = 0.0;
    for (var t = 0u; t < 16u; t++) { lt += Red[row * 16u + t]; }
    let inv = select(1.0 / lt, 0.0, lt == 0.0); // zeros only for a fully masked row: NaN propagates
    if (qi < p.T) { let ob = ((b * p.T + qi) * p.Hq + h) * ${D4}u + tx; ${oc.map((j) => `O[ob + ${16 * j}u] = o${i}_${j} * inv;`).join(" ")} }
  }`,
    )
    .join("\n  ")}
}
`;
}
