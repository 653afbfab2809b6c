// The CPU reference forward against HF transformers' logits (float64 on the GPU host): every position of
// every prompt, a left-padded batch, greedy continuations and perplexity, for each architecture fixture.
import { beforeAll, describe, expect, it } from "vitest";
import { loadReferenceModel, openModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import { greedyGenerate, perplexity } from "../../loaders/model/generate.js";
import type { ModelTokenizer } from "../../loaders/model/tokenizer.js";
import { MODELS, maxAbsDiff, modelDir, readReference, readReferenceLogits } from "./fixtures.js";
import type { ReferenceJson } from "./fixtures.js";

const TOL = 1e-4;

describe.each(MODELS)("%s", (name) => {
  let model: ReferenceModel;
  let tokenizer: ModelTokenizer;
  let ref: ReferenceJson;
  let logits: Map<string, Float32Array>;
  beforeAll(async () => {
    const loaded = await loadReferenceModel(modelDir(name));
    model = loaded.model;
    tokenizer = loaded.opened.tokenizer!;
    ref = readReference(name);
    logits = await readReferenceLogits(name);
  });

  it("tokenizes the prompts as HF did", () => {
    for (const p of ref.prompts) expect(tokenizer.encode(p.text)).toEqual(p.ids);
  });

  it(`matches HF logits at every position (max |diff| ≤ ${TOL})`, async () => {
    for (const [i, p] of ref.prompts.entries()) {
      const out = await model.forward({ ids: [p.ids] });
      expect(out.length).toBe(p.ids.length);
      expect(maxAbsDiff(out.data, logits.get(`prompt${i}`)!)).toBeLessThanOrEqual(TOL);
    }
  });

  it("matches HF logits on a left-padded batch (real positions)", async () => {
    const { ids, attention_mask: mask } = ref.batch;
    const out = await model.forward({ ids, attentionMask: mask });
    const hf = logits.get("batch")!;
    const V = out.vocab;
    let worst = 0;
    let compared = 0;
    for (let b = 0; b < ids.length; b++) {
      for (let t = 0; t < ids[b].length; t++) {
        if (!mask[b][t]) continue;
        const o = (b * out.length + t) * V;
        worst = Math.max(worst, maxAbsDiff(out.data.subarray(o, o + V), hf.subarray(o, o + V)));
        compared++;
      }
    }
    expect(compared).toBe(ref.prompts.reduce((a, p) => a + p.ids.length, 0));
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it("greedy continuations equal HF's", async () => {
    for (const p of ref.prompts) {
      expect(await greedyGenerate(model, p.ids, { maxNewTokens: p.greedy.length })).toEqual(p.greedy);
    }
  });

  it("perplexity by the reference recipe equals HF's (non-overlapping and strided)", async () => {
    const pp = ref.perplexity;
    const plain = await perplexity(model, pp.stream, { window: pp.window });
    expect(plain.windowNlls.length).toBe(pp.window_nlls.length);
    expect(maxAbsDiff(plain.windowNlls, pp.window_nlls)).toBeLessThan(1e-5);
    expect(plain.perplexity / pp.ppl - 1).toBeCloseTo(0, 5);
    const strided = await perplexity(model, pp.stream, { window: pp.window, stride: pp.stride });
    expect(strided.windowNlls.length).toBe(pp.window_nlls_stride.length);
    expect(maxAbsDiff(strided.windowNlls, pp.window_nlls_stride)).toBeLessThan(1e-5);
    expect(strided.perplexity / pp.ppl_stride - 1).toBeCloseTo(0, 5);
  });
});

// A NaN q weight makes one head's scores NaN at every position; the reference used to treat such a row like a
// fully masked one (zeros: an empty head) and return finite, plausible logits. NaN must reach the logits.
describe("NaN in the attention", () => {
  it("a NaN q_proj weight gives NaN logits, not an empty head", async () => {
    const opened = await openModel(modelDir("llama"));
    const weights = await opened.weights.loadAll();
    await opened.weights.close();
    const clean = await new ReferenceModel(opened.spec, weights).forward({ ids: [[1, 5, 7, 9]] });
    expect(clean.data.every(Number.isFinite)).toBe(true);
    weights.get("layers.0.q.weight")![5 * opened.spec.hiddenSize + 3] = NaN;
    const logits = await new ReferenceModel(opened.spec, weights).forward({ ids: [[1, 5, 7, 9]] });
    expect(logits.data.every(Number.isNaN)).toBe(true);
  });
});
