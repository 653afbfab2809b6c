/**
 * The plain-TypeScript float64 twin of TrainableLlama's loss: what the gradient checks differentiate by
 * finite differences. Built from the float64 forwards in kernels/backward/reference.ts; weights may be
 * Float64Array so that a perturbation of 1e-5 is not lost to f32 rounding.
 */
import {
  attentionRef64, crossEntropyRef64, linearRef64, rmsNormRef64, ropeRef64, swigluRef64,
} from "../../kernels/index.js";
import type { ModelSpec } from "../model/config.js";
import { IGNORE, ropeTables } from "./model.js";

export type Weights64 = Map<string, Float64Array | Float32Array>;

export interface RefBatch { B: number; T: number; ids?: ArrayLike<number>; inputEmbeds?: ArrayLike<number>; targets: ArrayLike<number> }

/** Logits [B·T, vocab] and the mean loss over the scored targets. */
export function referenceForward(spec: ModelSpec, w: Weights64, b: RefBatch): { logits: Float64Array; loss: number } {
  const { B, T } = b, N = B * T, h = spec.hiddenSize, H = spec.numHeads, KV = spec.numKvHeads, D = spec.headDim, I = spec.intermediateSize;
  const get = (n: string) => { const t = w.get(n); if (!t) throw new Error(`reference: weight "${n}" missing`); return t; };
  const { cos, sin } = ropeTables(spec, T);
  let x = new Float64Array(N * h);
  if (b.inputEmbeds) x.set(Array.from(b.inputEmbeds));
  else {
    const E = get("embed");
    for (let t = 0; t < N; t++) for (let i = 0; i < h; i++) x[t * h + i] = E[b.ids![t] * h + i];
  }
  for (let l = 0; l < spec.numLayers; l++) {
    const L = `layers.${l}.`, eps = spec.norm.eps;
    const a = rmsNormRef64(x, get(`${L}attn_norm.weight`), eps);
    const q = ropeRef64(linearRef64(a, get(`${L}q.weight`), N, h, H * D), B, T, H, D, cos, sin);
    const k = ropeRef64(linearRef64(a, get(`${L}k.weight`), N, h, KV * D), B, T, KV, D, cos, sin);
    const v = linearRef64(a, get(`${L}v.weight`), N, h, KV * D);
    const o = attentionRef64(q, k, v, { B, T, Hq: H, Hkv: KV, D });
    const ao = linearRef64(o, get(`${L}o.weight`), N, H * D, h);
    const x1 = x.map((xi, i) => xi + ao[i]);
    const m = rmsNormRef64(x1, get(`${L}mlp_norm.weight`), eps);
    const hh = swigluRef64(linearRef64(m, get(`${L}gate.weight`), N, h, I), linearRef64(m, get(`${L}up.weight`), N, h, I));
    const d = linearRef64(hh, get(`${L}down.weight`), N, I, h);
    x = x1.map((xi, i) => xi + d[i]);
  }
  const hf = rmsNormRef64(x, get("final_norm.weight"), spec.norm.eps);
  const logits = linearRef64(hf, spec.tiedEmbeddings ? get("embed") : get("lm_head"), N, h, spec.vocabSize);
  const per = crossEntropyRef64(logits, b.targets, spec.vocabSize, IGNORE);
  let sum = 0, n = 0;
  for (let i = 0; i < N; i++) if (b.targets[i] !== IGNORE) { sum += per[i]; n++; }
  return { logits, loss: n ? sum / n : 0 };
}
