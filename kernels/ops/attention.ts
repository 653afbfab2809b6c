// Causal self-attention with grouped-query heads and key padding masks, flash-attention style:
// each workgroup streams key/value blocks through workgroup memory and keeps a running
// (online) softmax, so the T×S score matrix never exists in memory.
//   q: [B, T, Hq, D]   k, v: [B, S, Hkv, D]   keyMask: optional u32 [B, S] (1 = attend)
//   out: [B, T, Hq, D]. Query i sits at absolute position S - T + i (KV-cache friendly).
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { ceilDiv, expectDtype, expectRank, params } from "./common.js";
import { ATTENTION_BINDINGS, TILED_BQ, tiledAttentionBytes, tiledAttentionWgsl, type TiledAttnConfig } from "./attention_tiled.js";

export interface AttentionOptions {
  causal?: boolean; // default true
  keyMask?: Tensor;
  /** Score scale; default 1/sqrt(D). */
  scale?: number;
  /** tanh soft-capping of the scaled scores, cap·tanh(s/cap) (Gemma 2); default none */
  softcap?: number;
  /**
   * "tiled": register-blocked kernel (head dims multiple of 64, used when it fits the device);
   * "rowwise": simpler kernel for any head dim multiple of 4. Default: tiled where possible.
   */
  kernel?: "tiled" | "rowwise";
}

interface AttnConfig { BQ: number; TPR: number; BKEY: number }

// causal and masking are uniforms, not pipeline variants: fewer shaders to compile.
function attentionWgsl(D: number, c: AttnConfig): string {
  const { BQ, TPR, BKEY } = c;
  const D4 = D / 4, ST = D4 + 1; // padded row stride (vec4) against bank conflicts
  const OC = D4 / TPR; // vec4 chunks of the output row each thread owns
  const KPT = BKEY / TPR; // keys each thread scores
  const WG = BQ * TPR;
  return `
${ATTENTION_BINDINGS}
var<workgroup> Qs: array<vec4<f32>, ${BQ * ST}>;
var<workgroup> Ks: array<vec4<f32>, ${BKEY * ST}>;
var<workgroup> Vs: array<vec4<f32>, ${BKEY * D4}>;
var<workgroup> Ss: array<f32, ${BQ * BKEY}>;

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let b = wg.z; let h = wg.y; let q0 = wg.x * ${BQ}u;
  let hk = h / (p.Hq / p.Hkv);
  let r = lid / ${TPR}u; let c = lid % ${TPR}u;
  let qi = q0 + r;
  // stage this block's queries
  for (var i = lid; i < ${BQ * D4}u; i += ${WG}u) {
    let rr = i / ${D4}u; let d = i % ${D4}u; let qq = q0 + rr;
    var val = vec4<f32>(0.0);
    if (qq < p.T) { val = Q[((b * p.T + qq) * p.Hq + h) * ${D4}u + d]; }
    Qs[rr * ${ST}u + d] = val;
  }
  var m = NEG; var l = 0.0;
  var o: array<vec4<f32>, ${OC}>;
  for (var j = 0u; j < ${OC}u; j++) { o[j] = vec4<f32>(0.0); }
  var kEnd = p.S;
  if (p.causal != 0u) { kEnd = min(p.S, p.qOffset + min(q0 + ${BQ}u, p.T)); }
  let qAbs = p.qOffset + qi;
  for (var k0 = 0u; k0 < kEnd; k0 += ${BKEY}u) {
    workgroupBarrier();
    for (var i = lid; i < ${BKEY * D4}u; i += ${WG}u) {
      let kk = i / ${D4}u; let d = i % ${D4}u; let s = k0 + kk;
      var kv = vec4<f32>(0.0); var vv = vec4<f32>(0.0);
      if (s < p.S) {
        let g = ((b * p.S + s) * p.Hkv + hk) * ${D4}u + d;
        kv = K[g]; vv = V[g];
      }
      Ks[kk * ${ST}u + d] = kv; Vs[kk * ${D4}u + d] = vv;
    }
    workgroupBarrier();
    var sc: array<f32, ${KPT}>;
    for (var i = 0u; i < ${KPT}u; i++) { sc[i] = 0.0; }
    for (var d = 0u; d < ${D4}u; d++) {
      let qv = Qs[r * ${ST}u + d];
      for (var i = 0u; i < ${KPT}u; i++) { sc[i] += dot(qv, Ks[(c + i * ${TPR}u) * ${ST}u + d]); }
    }
    for (var i = 0u; i < ${KPT}u; i++) {
      let kk = c + i * ${TPR}u; let s = k0 + kk;
      var ok = s < p.S;
      if (p.causal != 0u) { ok = ok && s <= qAbs; }
      if (ok && p.masked != 0u) { ok = Mask[b * p.S + s] != 0u; }
      Ss[r * ${BKEY}u + kk] = select(NEG, softcap_(sc[i] * p.scale, p.softcap), ok);
    }
    workgroupBarrier();
    var mx = m;
    for (var kk = 0u; kk < ${BKEY}u; kk++) { mx = max(mx, Ss[r * ${BKEY}u + kk]); }
    let alpha = exp(m - mx);
    l *= alpha;
    for (var j = 0u; j < ${OC}u; j++) { o[j] *= alpha; }
    for (var kk = 0u; kk < ${BKEY}u; kk++) {
      let s = Ss[r * ${BKEY}u + kk];
      let pk = select(exp(s - mx), 0.0, s == NEG); // masked keys hold exactly NEG; a NaN score stays NaN
      l += pk;
      for (var j = 0u; j < ${OC}u; j++) { o[j] = fma(vec4<f32>(pk), Vs[kk * ${D4}u + c + j * ${TPR}u], o[j]); }
    }
    m = mx;
  }
  if (qi < p.T) {
    let inv = select(1.0 / l, 0.0, l == 0.0); // zeros only when every key is masked: NaN must propagate
    for (var j = 0u; j < ${OC}u; j++) { O[((b * p.T + qi) * p.Hq + h) * ${D4}u + c + j * ${TPR}u] = o[j] * inv; }
  }
}
`;
}

function chooseConfig(ctx: GpuContext, D: number): AttnConfig {
  const D4 = D / 4;
  let TPR = 4;
  while (TPR > 1 && D4 % TPR) TPR /= 2;
  const bytes = (c: AttnConfig) => (c.BQ * (D4 + 1) + c.BKEY * (2 * D4 + 1)) * 16 + c.BQ * c.BKEY * 4;
  const cands: AttnConfig[] = ctx.isSoftware
    ? [{ BQ: 16, TPR, BKEY: 16 }, { BQ: 8, TPR, BKEY: 8 }]
    : [{ BQ: 32, TPR, BKEY: 16 }, { BQ: 16, TPR, BKEY: 16 }, { BQ: 8, TPR, BKEY: 8 }];
  for (const c of cands) if (bytes(c) <= ctx.limits.maxComputeWorkgroupStorageSize && c.BQ * c.TPR <= ctx.limits.maxComputeInvocationsPerWorkgroup) return c;
  fail("attention", `head dim ${D} needs more workgroup memory than ${ctx.limits.maxComputeWorkgroupStorageSize} bytes`, "use a head dim <= 256");
}

function chooseTiled(ctx: GpuContext, D: number, kernel: AttentionOptions["kernel"]): TiledAttnConfig | null {
  if (kernel === "rowwise") return null;
  const fits = (c: TiledAttnConfig) => D / 4 <= c.DK * 32 && tiledAttentionBytes(c) <= ctx.limits.maxComputeWorkgroupStorageSize && ctx.limits.maxComputeInvocationsPerWorkgroup >= 256;
  const cfg = [{ DK: 32 }, { DK: 16 }].find(fits);
  if (D % 64 === 0 && cfg) return cfg;
  if (kernel === "tiled") fail("attention", `the tiled kernel needs a head dim multiple of 64 (got ${D}) and ${tiledAttentionBytes({ DK: 16 })} bytes of workgroup memory (limit ${ctx.limits.maxComputeWorkgroupStorageSize})`, 'pass kernel: "rowwise" or leave kernel unset');
  return null;
}

export function attention(ctx: GpuContext, q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = "attention";
  for (const [n, t] of [["q", q], ["k", k], ["v", v]] as const) { expectDtype(op, n, t, "f32"); expectRank(op, n, t, 4); }
  const [B, T, Hq, D] = q.shape;
  const [Bk, S, Hkv, Dk] = k.shape;
  const desc = `q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)}`;
  if (Bk !== B || Dk !== D || shapeStr(k.shape) !== shapeStr(v.shape))
    fail(op, `${desc}: expected k and v of shape [${B}, S, Hkv, ${D}]`, "pass q [B,T,Hq,D] and k, v [B,S,Hkv,D]");
  if (Hq % Hkv) fail(op, `${desc}: ${Hq} query heads are not a multiple of ${Hkv} key/value heads`, "use Hq = groups × Hkv");
  if (D % 4) fail(op, `${desc}: head dim ${D} is not a multiple of 4`, "pad the head dim to a multiple of 4");
  if (S < T) fail(op, `${desc}: fewer keys (${S}) than queries (${T})`, "pass all keys, including cached ones (S >= T)");
  const causal = opts.causal ?? true;
  if (opts.keyMask) {
    if (opts.keyMask.dtype !== "u32") fail(op, `keyMask has dtype ${opts.keyMask.dtype}`, "pass keyMask as u32 [B, S] (1 = attend, 0 = padding)");
    if (shapeStr(opts.keyMask.shape) !== shapeStr([B, S])) fail(op, `keyMask ${shapeStr(opts.keyMask.shape)} is not [${B}, ${S}]`, "pass keyMask of shape [B, S]");
  }
  const out = ctx.empty([B, T, Hq, D]);
  if (B * T === 0) return out;
  const tiled = chooseTiled(ctx, D, opts.kernel);
  let pipeline: GPUComputePipeline, bq: number;
  if (tiled) {
    bq = TILED_BQ;
    pipeline = ctx.pipeline(`attention-tiled:${D}:${tiled.DK}`, () => tiledAttentionWgsl(D, tiled));
  } else {
    const cfg = chooseConfig(ctx, D);
    bq = cfg.BQ;
    pipeline = ctx.pipeline(`attention:${D}:${cfg.BQ}/${cfg.TPR}/${cfg.BKEY}`, () => attentionWgsl(D, cfg));
  }
  const mask = opts.keyMask ?? ctx.zeros([1], "u32");
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const over = [q, k, v, out].some((t) => t.byteSize > ctx.maxBinding);
  const groupsX = ceilDiv(T, bq);
  if (!over) {
    ctx.dispatch({ pipeline, bindings: [q, k, v, out, mask], uniforms: params([T, S, Hq, Hkv, { f: scale }, S - T, causal ? 1 : 0, opts.keyMask ? 1 : 0, { f: opts.softcap ?? 0 }]), workgroups: [groupsX, Hq, B] });
  } else {
    // One batch element per dispatch, each bound at its own offset.
    const qb = T * Hq * D * 4, kb = S * Hkv * D * 4;
    const align = ctx.limits.minStorageBufferOffsetAlignment;
    if (qb > ctx.maxBinding || kb > ctx.maxBinding || (B > 1 && (qb % align || kb % align)))
      fail(op, `${desc}: one sequence (${Math.max(qb, kb)} bytes) is over maxStorageBufferBindingSize ${ctx.maxBinding} or cannot be split at aligned offsets`, "use fewer tokens per sequence or fewer heads per call");
    if (opts.keyMask && B > 1) fail(op, `${desc}: over the binding limit with a key mask, which cannot be split over the batch`, "call attention once per sequence");
    for (let b = 0; b < B; b++) {
      const bq = { buffer: q.buffer, offset: b * qb, size: qb }, bo = { buffer: out.buffer, offset: b * qb, size: qb };
      const bk = { buffer: k.buffer, offset: b * kb, size: kb }, bv = { buffer: v.buffer, offset: b * kb, size: kb };
      ctx.dispatch({ pipeline, bindings: [bq, bk, bv, bo, mask], uniforms: params([T, S, Hq, Hkv, { f: scale }, S - T, causal ? 1 : 0, opts.keyMask ? 1 : 0, { f: opts.softcap ?? 0 }]), workgroups: [groupsX, Hq, 1] });
    }
  }
  if (!opts.keyMask) mask.release();
  return out;
}
