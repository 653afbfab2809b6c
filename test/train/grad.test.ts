// End-to-end gradient check of the trainable Llama on WebGPU: the float64 reference loss is first checked
// against loaders/model's independent ReferenceModel logits, then the GPU's gradients of sampled parameters
// (every tensor) and of input embeddings (soft prompts, weights frozen) against central finite differences
// of the float64 loss.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext } from "../../kernels/index.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import { IGNORE, TrainableLlama, initWeights } from "../../loaders/train/model.js";
import { referenceForward } from "../../loaders/train/reference.js";
import { llamaSpec } from "../../loaders/train/spec.js";
import { prefixGrad, prefixInputs } from "../../loaders/train/soft-prompt.js";
import { rng, withContext } from "../kernels/helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

const shape = (tied: boolean) => ({ hiddenSize: 16, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 24, vocabSize: 37, maxPositions: 16, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: tied, eosTokenId: 36 });
const B = 2, T = 6;

function batch(seed: number) {
  const r = rng(seed);
  const ids = Uint32Array.from({ length: B * T }, () => Math.floor(r() * 37));
  const targets = Uint32Array.from({ length: B * T }, (_, i) => (i % 5 === 4 ? IGNORE : Math.floor(r() * 37)));
  return { B, T, ids, targets };
}

/** Larger-than-default weights so that attention and the norms are far from trivial. */
function weights(tied: boolean, seed: number) {
  const spec = llamaSpec(shape(tied));
  const w = initWeights(spec, seed, 0.3);
  const r = rng(seed + 1);
  for (const [n, a] of w) if (n.endsWith("norm.weight")) for (let i = 0; i < a.length; i++) a[i] = 0.5 + r();
  return { spec, w };
}

describe("float64 reference loss", () => {
  it("its logits equal loaders/model's ReferenceModel (an independent forward)", async () => {
    for (const tied of [false, true]) {
      const { spec, w } = weights(tied, 3);
      const b = batch(4);
      const ref = referenceForward(spec, w, b);
      const rows = Array.from({ length: B }, (_, i) => Array.from(b.ids.subarray(i * T, (i + 1) * T)));
      const other = await new ReferenceModel(spec, w).forward({ ids: rows });
      let worst = 0;
      for (let i = 0; i < ref.logits.length; i++) worst = Math.max(worst, Math.abs(ref.logits[i] - other.data[i]));
      expect(worst, `tied=${tied}`).toBeLessThan(1e-5);
    }
  });
});

describe("GPU gradients vs finite differences of the float64 loss", () => {
  for (const tied of [false, true]) {
    it(`every parameter tensor (sampled entries), tied=${tied}; recomputation gives identical gradients`, async () => {
      const { spec, w } = weights(tied, 7 + Number(tied));
      const b = batch(11);
      const model = await TrainableLlama.create(spec, w, ctx);
      const count = Array.from(b.targets).filter((t) => t !== IGNORE).length;
      const grads = model.zeroGrads();
      const r = await model.forwardBackward(b, { lossScale: 1 / count, grads });
      const w64 = new Map([...w].map(([n, a]) => [n, Float64Array.from(a)]));
      const ref = referenceForward(spec, w64, b);
      expect(r.count).toBe(count);
      expect(Math.abs(r.lossSum / r.count - ref.loss)).toBeLessThan(1e-5);
      const pick = rng(99);
      let checked = 0, worst = 0;
      const report: string[] = [];
      for (const [name, g] of grads) {
        const gpu = await ctx.readF32(g);
        const x = w64.get(name)!;
        const scale = Math.max(...Array.from(gpu, Math.abs));
        for (let s = 0; s < 4; s++) {
          const i = Math.floor(pick() * x.length);
          const h = 1e-5, x0 = x[i];
          x[i] = x0 + h; const lp = referenceForward(spec, w64, b).loss;
          x[i] = x0 - h; const lm = referenceForward(spec, w64, b).loss;
          x[i] = x0;
          const fd = (lp - lm) / (2 * h);
          const err = Math.abs(gpu[i] - fd) / (Math.abs(fd) + 1e-2 * scale);
          worst = Math.max(worst, err);
          if (err > 1e-3) report.push(`${name}[${i}]: gpu ${gpu[i]} fd ${fd}`);
          checked++;
        }
      }
      console.log(`tied=${tied}: ${checked} sampled gradients, worst relative error ${worst.toExponential(2)}`);
      expect(report, report.join("\n")).toEqual([]);
      // per-layer recomputation: the same dispatches in the same order → bit-identical gradients
      const g2 = model.zeroGrads();
      await model.forwardBackward(b, { lossScale: 1 / count, grads: g2, recompute: true });
      for (const [name, g] of grads) expect(Buffer.from((await ctx.readF32(g2.get(name)!)).buffer).equals(Buffer.from((await ctx.readF32(g)).buffer)), name).toBe(true);
      [...grads.values(), ...g2.values()].forEach((t) => t.release());
      await model.dispose();
    });
  }

  it("input-embedding gradients with frozen weights (soft prompts)", async () => {
    const { spec, w } = weights(false, 21);
    const b = batch(22);
    const model = await TrainableLlama.create(spec, w, ctx);
    const r0 = rng(23);
    const emb = Float64Array.from({ length: B * T * 16 }, () => (r0() * 2 - 1) * 0.5);
    const count = Array.from(b.targets).filter((t) => t !== IGNORE).length;
    const inputEmbeds = ctx.upload(Float32Array.from(emb), [B * T, 16]);
    const before = await ctx.readF32(model.p("layers.0.q.weight"));
    const r = await model.forwardBackward({ B, T, inputEmbeds, targets: b.targets }, { lossScale: 1 / count, grads: null, wantInputGrad: true });
    const dx = await ctx.readF32(r.inputGrad!);
    const scale = Math.max(...Array.from(dx, Math.abs));
    const refB = { B, T, inputEmbeds: emb, targets: b.targets };
    const pick = rng(24);
    const bad: string[] = [];
    for (let s = 0; s < 24; s++) {
      const i = Math.floor(pick() * emb.length), h = 1e-5, x0 = emb[i];
      emb[i] = x0 + h; const lp = referenceForward(spec, w, refB).loss;
      emb[i] = x0 - h; const lm = referenceForward(spec, w, refB).loss;
      emb[i] = x0;
      const fd = (lp - lm) / (2 * h);
      if (Math.abs(dx[i] - fd) > 1e-3 * (Math.abs(fd) + 1e-2 * scale)) bad.push(`dx[${i}] gpu ${dx[i]} fd ${fd}`);
    }
    expect(bad, bad.join("\n")).toEqual([]);
    expect(scale).toBeGreaterThan(0);
    expect(await ctx.readF32(model.p("layers.0.q.weight"))).toEqual(before);
    r.inputGrad!.release();
    inputEmbeds.release();
    await model.dispose();
  });

  it("a soft-prompt prefix shared by the batch: its gradient vs finite differences", async () => {
    const { spec, w } = weights(true, 31);
    const P = 2, n = 4, T = P + n, h = 16;
    const r0 = rng(32);
    const ids = Uint32Array.from({ length: B * n }, () => Math.floor(r0() * 37));
    const targets = Uint32Array.from({ length: B * T }, (_, i) => (i % T < P - 1 ? IGNORE : Math.floor(r0() * 37)));
    const prefix = Float64Array.from({ length: P * h }, () => (r0() * 2 - 1) * 0.5);
    const model = await TrainableLlama.create(spec, w, ctx);
    const pT = ctx.upload(Float32Array.from(prefix), [P, h]);
    const inputs = prefixInputs(model, pT, ids, B);
    const count = Array.from(targets).filter((t) => t !== IGNORE).length;
    const r = await model.forwardBackward({ B, T, inputEmbeds: inputs, targets }, { lossScale: 1 / count, grads: null, wantInputGrad: true });
    const g = await ctx.readF32(prefixGrad(ctx, r.inputGrad!, B, T, P));
    const E = w.get("embed")!;
    const refLoss = () => {
      const x = new Float64Array(B * T * h);
      for (let b = 0; b < B; b++) {
        x.set(prefix, b * T * h);
        for (let t = 0; t < n; t++) for (let i = 0; i < h; i++) x[(b * T + P + t) * h + i] = E[ids[b * n + t] * h + i];
      }
      return referenceForward(spec, w, { B, T, inputEmbeds: x, targets }).loss;
    };
    const scale = Math.max(...Array.from(g, Math.abs));
    const bad: string[] = [];
    for (let i = 0; i < prefix.length; i++) {
      const x0 = prefix[i], hh = 1e-5;
      prefix[i] = x0 + hh; const lp = refLoss();
      prefix[i] = x0 - hh; const lm = refLoss();
      prefix[i] = x0;
      const fd = (lp - lm) / (2 * hh);
      if (Math.abs(g[i] - fd) > 1e-3 * (Math.abs(fd) + 1e-2 * scale)) bad.push(`prefix[${i}] gpu ${g[i]} fd ${fd}`);
    }
    expect(scale).toBeGreaterThan(0);
    expect(bad, bad.join("\n")).toEqual([]);
    await model.dispose();
  });
});
