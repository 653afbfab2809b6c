// Batched generation and batched scoring on the GPU (lavapipe) against independent paths: each prompt decoded
// alone by full forwards without any KV cache (the path checked against HF's logits), HF's own greedy
// continuations, and the CPU reference's log-likelihoods. Prompts of very different lengths (left padding),
// sequences stopping at different steps, and every key layout of the batched cache: Llama (one token per
// row: the whole-capacity view), Mistral with a 4-token sliding window (copied-out keys), GPT-2 (learned
// positions, which follow each row's own count).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext, type GpuContext } from "../../kernels/index.js";
import type { CausalLM } from "../../loaders/model/causal-lm.js";
import { continuationLogLikelihood, generate, generateBatch, scoreContinuations } from "../../loaders/model/generate.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { modelDir, readReference } from "./fixtures.js";

let ctx: GpuContext;
beforeAll(async () => {
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  ctx = await createContext();
});
afterAll(async () => {
  await ctx?.destroy();
});

/** The same model without its fast paths: every step is a full forward over the sequence alone. */
const plain = (m: CausalLM): CausalLM => ({ spec: m.spec, forward: (b, o) => m.forward(b, o) });

/** The reference prompts plus a 2-token one and one as long as two of them: lengths differ up to ~15×. */
function promptsOf(name: string): number[][] {
  const p = readReference(name).prompts.map((x) => x.ids);
  return [p[0], p[1].slice(0, 2), [...p[1], ...p[2]], p[2], p[0].slice(0, 5)];
}

describe.each(["llama", "mistral", "gpt2", "gemma3", "phi3"])("batched greedy generation: %s", (name) => {
  let model: GpuCausalLM;
  beforeAll(async () => {
    model = await GpuCausalLM.open(modelDir(name), { ctx });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it("equals one-prompt-at-a-time greedy without a cache, token for token, and HF's continuations", async () => {
    const prompts = promptsOf(name);
    const alone = await Promise.all(prompts.map((p) => generate(plain(model), p, { maxNewTokens: 8 })));
    const batched = await generateBatch(model, prompts, { maxNewTokens: 8, batchSize: 5 });
    expect(batched.map((g) => g.tokens)).toEqual(alone.map((g) => g.tokens));
    // the fixture prompts themselves against HF transformers' greedy output
    const ref = readReference(name).prompts;
    expect([batched[0], batched[3]].map((g) => g.tokens)).toEqual([ref[0].greedy, ref[2].greedy]);
    // two batches of 2 and 3 rows give the same again
    expect((await generateBatch(model, prompts, { maxNewTokens: 8, batchSize: 2 })).map((g) => g.tokens)).toEqual(alone.map((g) => g.tokens));
  });

  it("stops each sequence at its own step (eos, stop rule, length) while the others go on", async () => {
    const prompts = promptsOf(name);
    const free = (await generateBatch(model, prompts, { maxNewTokens: 8, batchSize: 5 })).map((g) => g.tokens);
    // eos = row 0's 3rd token; the rule stops row 2 after 5 tokens; rows without either run to the length limit
    const eos = [free[0][2]];
    const stopWhen = (tokens: number[], i: number) => i === 2 && tokens.length === 5;
    const batched = await generateBatch(model, prompts, { maxNewTokens: 8, eosTokenIds: eos, stopWhen, batchSize: 5 });
    const alone = await Promise.all(
      prompts.map(async (p, i) => {
        const g = await generate(plain(model), p, { maxNewTokens: 8, eosTokenIds: eos });
        return i === 2 && g.tokens.length > 5 ? { tokens: g.tokens.slice(0, 5), stoppedBy: "rule" } : g;
      }),
    );
    expect(batched.map((g) => [g.tokens, g.stoppedBy])).toEqual(alone.map((g) => [g.tokens, g.stoppedBy]));
    expect(batched[0]).toMatchObject({ tokens: free[0].slice(0, 3), stoppedBy: "eos" });
    expect(new Set(batched.map((g) => g.tokens.length)).size).toBeGreaterThan(1);
  });
});

describe("batched sessions and scoring (llama)", () => {
  let model: GpuCausalLM;
  beforeAll(async () => {
    model = await GpuCausalLM.open(modelDir("llama"), { ctx });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it("seeded sampling draws the same tokens per row batched as alone", async () => {
    const prompts = promptsOf("llama");
    const sampling = prompts.map((_, i) => ({ seed: 100 + i, temperature: 0.9 }));
    const batched = await generateBatch(model, prompts, { maxNewTokens: 6, sampling, batchSize: 5 });
    for (const [i, p] of prompts.entries()) expect(batched[i].tokens).toEqual((await generate(plain(model), p, { maxNewTokens: 6, sampling: sampling[i] })).tokens);
  });

  it("refuses padding after the first feed and feeds beyond the capacity", async () => {
    const s = model.startBatchDecode(2, 4);
    try {
      await s.feed([[1, 2], [0, 3]], [[1, 1], [0, 1]]);
      await expect(s.feed([[1], [2]], [[1], [0]])).rejects.toThrow(/first feed only/);
      await expect(s.feed([[1, 2, 3], [1, 2, 3]])).rejects.toThrow(/capacity/);
    } finally {
      s.close();
    }
  });

  it("batched log-likelihoods (GPU gather of the scored rows) equal the CPU reference's, one request at a time", async () => {
    const { model: ref } = await loadReferenceModel(modelDir("llama"));
    const p = readReference("llama").prompts;
    // shared contexts with one-token continuations (share a row), a multi-token one, different lengths
    const requests = [
      { context: p[0].ids, continuation: [p[0].greedy[0]] },
      { context: p[0].ids, continuation: [(p[0].greedy[0] + 1) % 320] },
      { context: p[1].ids.slice(0, 3), continuation: p[1].ids.slice(3, 9) },
      { context: p[2].ids, continuation: p[2].greedy.slice(0, 4) },
    ];
    const { scores } = await scoreContinuations(model, requests, { batchSize: 4 });
    for (const [i, r] of requests.entries()) {
      const want = await continuationLogLikelihood(ref, r.context, r.continuation);
      expect(Math.abs(scores[i].logLikelihood - want.logLikelihood)).toBeLessThan(1e-4);
      expect(scores[i].isGreedy).toBe(want.isGreedy);
    }
    expect(scores.map((s) => s.isGreedy)).toEqual([true, false, false, true]);
  });
});
