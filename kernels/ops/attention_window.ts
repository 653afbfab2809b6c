// Causal attention with a sliding window (Mistral): query at absolute position S - T + i sees key s
// when s <= its position, s is more than `window` back no further (pos - s < window), and keyMask[b, s] != 0.
// One thread per (batch, query, head) with an online softmax over at most `window` keys: simple, and
// cheap because the window bounds the work. The full-context kernel is ops/attention.ts.
//   q [B, T, Hq, D], k, v [B, S, Hkv, D], keyMask u32 [B, S] (optional) → [B, T, Hq, D]
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, expectRank, grid1d, params } from "./common.js";

function wgsl(D: number): string {
  const D4 = D / 4;
  return `
struct P { B: u32, T: u32, S: u32, Hq: u32, Hkv: u32, window: u32, masked: u32, scale: f32, softcap: f32 };
@group(0) @binding(0) var<storage, read> Q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> K: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> V: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> Mask: array<u32>;
@group(0) @binding(4) var<storage, read_write> O: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> p: P;
// tanh soft-capping of a score (Gemma 2): cap·tanh(x/cap); softcap 0 leaves x as it is
fn softcap_(x: f32, cap: f32) -> f32 { return select(x, cap * tanh(clamp(x / cap, -15.0, 15.0)), cap > 0.0); }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.y * nwg.x * 64u + gid.x; // (b, i, h)
  if (idx >= p.B * p.T * p.Hq) { return; }
  let h = idx % p.Hq; let bi = idx / p.Hq; let i = bi % p.T; let b = bi / p.T;
  let hk = h / (p.Hq / p.Hkv);
  let qpos = p.S - p.T + i;
  var q: array<vec4<f32>, ${D4}>;
  var o: array<vec4<f32>, ${D4}>;
  for (var d = 0u; d < ${D4}u; d++) { q[d] = Q[idx * ${D4}u + d]; o[d] = vec4<f32>(0.0); }
  var m = -3.0e38; var l = 0.0;
  let first = select(0u, qpos + 1u - p.window, qpos + 1u > p.window);
  for (var s = first; s <= qpos; s++) {
    if (p.masked != 0u && Mask[b * p.S + s] == 0u) { continue; }
    let kb = ((b * p.S + s) * p.Hkv + hk) * ${D4}u;
    var dotv = 0.0;
    for (var d = 0u; d < ${D4}u; d++) { dotv += dot(q[d], K[kb + d]); }
    let sc = softcap_(dotv * p.scale, p.softcap);
    let mx = max(m, sc);
    let alpha = exp(m - mx); let pk = exp(sc - mx);
    l = l * alpha + pk;
    for (var d = 0u; d < ${D4}u; d++) { o[d] = o[d] * alpha + pk * V[kb + d]; }
    m = mx;
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var d = 0u; d < ${D4}u; d++) { O[idx * ${D4}u + d] = o[d] * inv; }
}`;
}

export interface WindowAttentionOptions {
  window: number;
  keyMask?: Tensor;
  scale?: number;
  /** tanh soft-capping of the scaled scores, cap·tanh(s/cap) (Gemma 2); default none */
  softcap?: number;
}

export function attentionWindow(ctx: GpuContext, q: Tensor, k: Tensor, v: Tensor, opts: WindowAttentionOptions): Tensor {
  const op = "attentionWindow";
  for (const [n, t] of [["q", q], ["k", k], ["v", v]] as const) { expectDtype(op, n, t, "f32"); expectRank(op, n, t, 4); }
  const [B, T, Hq, D] = q.shape;
  const [Bk, S, Hkv, Dk] = k.shape;
  const desc = `q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)}`;
  if (Bk !== B || Dk !== D || shapeStr(k.shape) !== shapeStr(v.shape)) fail(op, `${desc}: expected k and v of shape [${B}, S, Hkv, ${D}]`, "pass q [B,T,Hq,D] and k, v [B,S,Hkv,D]");
  if (Hq % Hkv) fail(op, `${desc}: ${Hq} query heads are not a multiple of ${Hkv} kv heads`, "use Hq = groups × Hkv");
  if (D % 4 || D > 256) fail(op, `${desc}: head dim ${D} is not a multiple of 4 up to 256`, "use such a head dim");
  if (S < T) fail(op, `${desc}: fewer keys (${S}) than queries (${T})`, "pass all keys, including cached ones");
  if (!Number.isInteger(opts.window) || opts.window < 1) fail(op, `window ${opts.window}`, "pass an integer window >= 1");
  if (opts.keyMask && (opts.keyMask.dtype !== "u32" || shapeStr(opts.keyMask.shape) !== shapeStr([B, S])))
    fail(op, `keyMask ${opts.keyMask.dtype} ${shapeStr(opts.keyMask.shape)}`, `pass keyMask as u32 [${B}, ${S}]`);
  for (const [n, t] of [["q", q], ["k", k], ["v", v]] as const) expectBindable(ctx, op, n, t, "call it on fewer sequences");
  const out = ctx.empty([B, T, Hq, D]);
  const n = B * T * Hq;
  if (n === 0) return out;
  const mask = opts.keyMask ?? q; // unused binding when unmasked
  ctx.dispatch({
    pipeline: ctx.pipeline(`attentionWindow:${D}`, () => wgsl(D)),
    bindings: [q, k, v, mask, out],
    uniforms: params([B, T, S, Hq, Hkv, opts.window, opts.keyMask ? 1 : 0, { f: opts.scale ?? 1 / Math.sqrt(D) }, { f: opts.softcap ?? 0 }]),
    workgroups: grid1d(ctx, Math.ceil(n / 64)),
  });
  return out;
}

/** Plain-TypeScript twin (float64 accumulation). */
export function attentionWindowRef(
  q: Float32Array, k: Float32Array, v: Float32Array, B: number, T: number, S: number, Hq: number, Hkv: number, D: number,
  opts: { window: number; keyMask?: Uint32Array; scale?: number; softcap?: number },
): Float32Array {
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const out = new Float32Array(B * T * Hq * D);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < T; i++)
      for (let h = 0; h < Hq; h++) {
        const hk = Math.floor(h / (Hq / Hkv)), pos = S - T + i, qo = ((b * T + i) * Hq + h) * D;
        const keys: number[] = [], sc: number[] = [];
        for (let s = Math.max(0, pos - opts.window + 1); s <= pos; s++) {
          if (opts.keyMask && !opts.keyMask[b * S + s]) continue;
          let d0 = 0;
          for (let d = 0; d < D; d++) d0 += q[qo + d] * k[((b * S + s) * Hkv + hk) * D + d];
          const x = d0 * scale;
          keys.push(s); sc.push(opts.softcap ? opts.softcap * Math.tanh(x / opts.softcap) : x);
        }
        if (!keys.length) continue;
        const mx = Math.max(...sc), w = sc.map((x) => Math.exp(x - mx)), sum = w.reduce((a, c) => a + c, 0);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          keys.forEach((s, j) => (acc += w[j] * v[((b * S + s) * Hkv + hk) * D + d]));
          out[qo + d] = acc / sum;
        }
      }
  return out;
}
