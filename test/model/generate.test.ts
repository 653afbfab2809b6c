// Sampling (distribution facts), stop strings and eos, log-likelihood scoring, perplexity edge cases.
import { describe, expect, it } from "vitest";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { continuationLogLikelihood, generate, greedyGenerate, mulberry32, perplexity, sampleToken } from "../../loaders/model/generate.js";
import { modelDir, readReference } from "./fixtures.js";

describe("sampleToken", () => {
  const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
  const freq = (opts: Parameters<typeof sampleToken>[1], n = 20000) => {
    const rand = mulberry32(7);
    const c = [0, 0, 0];
    for (let i = 0; i < n; i++) c[sampleToken(logits, opts, rand)]++;
    return c.map((x) => x / n);
  };
  it("draws from softmax(logits)", () => {
    freq({}).forEach((f, i) => expect(Math.abs(f - [0.5, 0.3, 0.2][i])).toBeLessThan(0.015));
  });
  it("top-k 2 and top-p 0.6 renormalise over {0, 1}", () => {
    freq({ topK: 2 }).forEach((f, i) => expect(Math.abs(f - [0.625, 0.375, 0][i])).toBeLessThan(0.015));
    freq({ topP: 0.6 }).forEach((f, i) => expect(Math.abs(f - [0.625, 0.375, 0][i])).toBeLessThan(0.015));
    expect(freq({ topP: 0.4 })).toEqual([1, 0, 0]);
  });
  it("temperature 0.5 squares the odds", () => {
    // p ∝ p_i^2: 0.25, 0.09, 0.04 over 0.38
    freq({ temperature: 0.5 }).forEach((f, i) => expect(Math.abs(f - [0.25, 0.09, 0.04][i] / 0.38)).toBeLessThan(0.015));
    expect(() => sampleToken(logits, { temperature: 0 }, Math.random)).toThrow(/temperature/);
  });
});

describe("generate", () => {
  it("top-k 1 sampling is greedy; a seed reproduces a sample", async () => {
    const { model } = await loadReferenceModel(modelDir("qwen2"));
    const p = readReference("qwen2").prompts[0];
    expect((await generate(model, p.ids, { maxNewTokens: 8, sampling: { topK: 1, seed: 3 } })).tokens).toEqual(p.greedy);
    const a = await generate(model, p.ids, { maxNewTokens: 6, sampling: { seed: 11 } });
    const b = await generate(model, p.ids, { maxNewTokens: 6, sampling: { seed: 11 } });
    expect(a.tokens).toEqual(b.tokens);
    expect(a.stoppedBy).toBe("length");
  });

  it("stops at eos and at stop strings, cutting the text before the stop string", async () => {
    const { model, opened } = await loadReferenceModel(modelDir("gpt2"));
    const tok = opened.tokenizer!;
    const p = readReference("gpt2").prompts[1];
    const decode = (ids: number[]) => tok.decode(ids);
    const eos = await generate(model, p.ids, { maxNewTokens: 8, eosTokenIds: [p.greedy[2]] });
    expect(eos).toMatchObject({ tokens: p.greedy.slice(0, 3), stoppedBy: "eos" });
    const full = decode(p.greedy);
    const stop = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 2);
    const g = await generate(model, p.ids, { maxNewTokens: 8, stopStrings: ["\u0000never", stop], decode });
    expect(g.stoppedBy).toBe("stop_string");
    expect(g.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(p.greedy.slice(0, g.tokens.length)).toEqual(g.tokens);
    await expect(generate(model, p.ids, { maxNewTokens: 1, stopStrings: ["x"] })).rejects.toThrow(/decode/);
  });
});

describe("scoring", () => {
  it("log-likelihood of the greedy continuation is greedy and higher than of an altered one", async () => {
    const { model } = await loadReferenceModel(modelDir("llama3-rope"));
    const p = readReference("llama3-rope").prompts[0];
    const good = await continuationLogLikelihood(model, p.ids, p.greedy.slice(0, 4));
    expect(good.isGreedy).toBe(true);
    const altered = [...p.greedy.slice(0, 3), (p.greedy[3] + 1) % 320];
    const bad = await continuationLogLikelihood(model, p.ids, altered);
    expect(bad.isGreedy).toBe(false);
    expect(bad.logLikelihood).toBeLessThan(good.logLikelihood);
    // the sum of per-step log-probs equals the joint: scoring 4 tokens = scoring 3, then the 4th after them
    const first = await continuationLogLikelihood(model, p.ids, p.greedy.slice(0, 3));
    const last = await continuationLogLikelihood(model, [...p.ids, ...p.greedy.slice(0, 3)], [p.greedy[3]]);
    expect(first.logLikelihood + last.logLikelihood).toBeCloseTo(good.logLikelihood, 4);
  });

  it("perplexity rejects streams shorter than a window and bad strides", async () => {
    const { model } = await loadReferenceModel(modelDir("opt"));
    await expect(perplexity(model, [1, 2, 3], { window: 16 })).rejects.toThrow(/less than one window/);
    await expect(perplexity(model, new Array(40).fill(5), { window: 16, stride: 17 })).rejects.toThrow(/stride/);
    const seen: number[] = [];
    await perplexity(model, new Array(40).fill(5), { window: 16, onProgress: (d) => seen.push(d) });
    expect(seen).toEqual([1, 2]); // 40 tokens → two full windows of 16, remainder dropped
    expect(await greedyGenerate(model, [5], { maxNewTokens: 0 })).toEqual([]);
  });
});
