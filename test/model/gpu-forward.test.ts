// The WebGPU transformer against HF transformers' logits (fixtures made on the GPU host) for every
// architecture: every position of every prompt, the left-padded batch, greedy continuations (KV cache and
// full-forward paths), perplexity with the cross-entropy on the GPU, and the calibration hooks vs the
// CPU reference. One GPU context for the whole file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext, type GpuContext } from "../../kernels/index.js";
import type { CausalLM, LinearSite } from "../../loaders/model/causal-lm.js";
import { continuationLogLikelihood, generate, greedyGenerate, perplexity } from "../../loaders/model/generate.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { MODELS, maxAbsDiff, modelDir, readReference, readReferenceLogits } from "./fixtures.js";

const TOL = 1e-4;
let ctx: GpuContext;
beforeAll(async () => {
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  ctx = await createContext();
});
afterAll(async () => {
  await ctx?.destroy();
});

/** The same model without its fast paths: generation and perplexity go through forward() alone. */
const plain = (m: CausalLM): CausalLM => ({ spec: m.spec, forward: (b, o) => m.forward(b, o) });

describe.each(MODELS)("%s on the GPU", (name) => {
  let model: GpuCausalLM;
  beforeAll(async () => {
    model = await GpuCausalLM.open(modelDir(name), { ctx });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it(`matches HF logits at every position (max |diff| ≤ ${TOL})`, async () => {
    const ref = readReference(name);
    const hf = await readReferenceLogits(name);
    for (const [i, p] of ref.prompts.entries()) {
      const out = await model.forward({ ids: [p.ids] });
      expect(out.length).toBe(p.ids.length);
      expect(maxAbsDiff(out.data, hf.get(`prompt${i}`)!)).toBeLessThanOrEqual(TOL);
    }
  });

  it("matches HF logits on the left-padded batch at every real position", async () => {
    const { batch } = readReference(name);
    const hf = (await readReferenceLogits(name)).get("batch")!;
    const out = await model.forward({ ids: batch.ids, attentionMask: batch.attention_mask });
    let worst = 0, compared = 0;
    for (let b = 0; b < batch.ids.length; b++)
      for (let t = 0; t < batch.ids[b].length; t++) {
        if (!batch.attention_mask[b][t]) continue;
        const o = (b * out.length + t) * out.vocab;
        worst = Math.max(worst, maxAbsDiff(out.data.subarray(o, o + out.vocab), hf.subarray(o, o + out.vocab)));
        compared++;
      }
    expect(compared).toBeGreaterThan(batch.ids[0].length);
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it("greedy continuations equal HF's, with the KV cache and without", async () => {
    for (const p of readReference(name).prompts) {
      expect(await greedyGenerate(model, p.ids, { maxNewTokens: p.greedy.length })).toEqual(p.greedy);
      expect(await greedyGenerate(plain(model), p.ids, { maxNewTokens: p.greedy.length })).toEqual(p.greedy);
    }
  });

  it("perplexity with GPU cross-entropy equals HF's (non-overlapping and strided)", async () => {
    const pp = readReference(name).perplexity;
    const a = await perplexity(model, pp.stream, { window: pp.window });
    expect(maxAbsDiff(a.windowNlls, pp.window_nlls)).toBeLessThan(2e-5);
    expect(Math.abs(a.perplexity / pp.ppl - 1)).toBeLessThan(2e-5);
    const b = await perplexity(model, pp.stream, { window: pp.window, stride: pp.stride });
    expect(b.windowNlls.length).toBe(pp.window_nlls_stride.length);
    expect(maxAbsDiff(b.windowNlls, pp.window_nlls_stride)).toBeLessThan(2e-5);
    expect(Math.abs(b.perplexity / pp.ppl_stride - 1)).toBeLessThan(2e-5);
  });
});

describe("GPU extras (llama)", () => {
  let gpu: GpuCausalLM;
  beforeAll(async () => {
    gpu = await GpuCausalLM.open(modelDir("llama"), { ctx });
  });
  afterAll(async () => {
    await gpu?.dispose();
  });

  it("linear-input hooks see the reference's inputs, real rows only, for every linear of every layer", async () => {
    const { model: ref } = await loadReferenceModel(modelDir("llama"));
    const { batch } = readReference("llama");
    const seen = (m: CausalLM) => {
      const got = new Map<string, { site: LinearSite; rows: number; data: Float32Array }>();
      return {
        got,
        run: () => m.forward({ ids: batch.ids, attentionMask: batch.attention_mask }, {
          onLinearInput: (site, input, rows) => got.set(`${site.layer}.${site.linear}`, { site, rows, data: input.slice() }),
        }),
      };
    };
    const g = seen(gpu), r = seen(ref);
    await g.run();
    await r.run();
    expect(g.got.size).toBe(2 * 7);
    const real = batch.attention_mask.flat().filter(Boolean).length;
    for (const [k, want] of r.got) {
      const have = g.got.get(k)!;
      expect(have.site).toEqual(want.site);
      expect(have.rows).toBe(real);
      expect(maxAbsDiff(have.data, want.data)).toBeLessThan(1e-4);
    }
  });

  it("seeded sampling draws the same tokens with and without the KV cache; stop strings cut the text", async () => {
    const { prompts } = readReference("llama");
    const opts = { maxNewTokens: 10, sampling: { seed: 7, temperature: 0.8, topK: 50 } };
    const a = await generate(gpu, prompts[0].ids, opts);
    const b = await generate(plain(gpu), prompts[0].ids, opts);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens.length).toBe(10);
    // stop on the decoded 3rd token: generation ends there and the text stops before it
    const decode = (ids: number[]) => ids.map((i) => `<${i}>`).join("");
    const stop = `<${a.tokens[2]}>`;
    const c = await generate(gpu, prompts[0].ids, { ...opts, decode, stopStrings: [stop] });
    expect(c.stoppedBy).toBe("stop_string");
    expect(c.text).toBe(decode(a.tokens.slice(0, a.tokens.indexOf(a.tokens[2]))));
  });

  it("continuation log-likelihoods equal the CPU reference's", async () => {
    const { model: ref } = await loadReferenceModel(modelDir("llama"));
    const p = readReference("llama").prompts[2];
    const [ctxIds, cont] = [p.ids.slice(0, 5), p.ids.slice(5)];
    const a = await continuationLogLikelihood(gpu, ctxIds, cont);
    const b = await continuationLogLikelihood(ref, ctxIds, cont);
    expect(Math.abs(a.logLikelihood - b.logLikelihood)).toBeLessThan(1e-4);
    expect(a.isGreedy).toBe(b.isGreedy);
  });

  it("fails up front, naming the memory needed and available, when the model does not fit", async () => {
    await expect(GpuCausalLM.open(modelDir("llama"), { ctx, memoryBytes: 1000 })).rejects.toThrow(/needs [\d.]+ MiB of GPU memory .*; 0\.0 MiB available on .*stream/);
  });

  it("streams layers from disk with the same logits", async () => {
    const streamed = await GpuCausalLM.open(modelDir("llama"), { ctx, stream: true });
    try {
      expect(streamed.residency).toBe("stream");
      const ids = readReference("llama").prompts[1].ids;
      const a = await streamed.forward({ ids: [ids] });
      const b = await gpu.forward({ ids: [ids] });
      expect(maxAbsDiff(a.data, b.data)).toBe(0);
    } finally {
      await streamed.dispose();
    }
  });
});
