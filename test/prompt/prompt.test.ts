// Soft prompts (loaders/prompt): the prompt gradient on the llama fixture against central finite differences
// of the float64 reference loss (loaders/train/reference.ts), prompted logits of ReferenceModel / GpuCausalLM
// against that float64 forward, a short tuning run that lowers held-out perplexity of a repeated text,
// evaluation with `soft:<id>`, resume, and the bad-input errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext } from "../../kernels/index.js";
import type { CausalLM, ForwardOptions, Logits, TokenBatch } from "../../loaders/model/causal-lm.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ModelTokenizer } from "../../loaders/model/tokenizer.js";
import { evaluateTask, parseTaskSpec } from "../../loaders/evaluate/index.js";
import { checkPromptFits, loadSoftPrompt, PAPER_B_HARD_PROMPT, saveSoftPrompt, tokenizerHash, type SoftPromptCard } from "../../loaders/prompt/prompt-file.js";
import { SoftPromptLM } from "../../loaders/prompt/soft-lm.js";
import { initPrompt, promptBatch, promptLossGrad, promptLr, trainSoftPrompt } from "../../loaders/prompt/train.js";
import { TrainableLlama } from "../../loaders/train/model.js";
import { referenceForward } from "../../loaders/train/reference.js";
import { rng, withContext } from "../kernels/helpers.js";

const LLAMA = "test/fixtures/models/llama";
let ctx: GpuContext;
let tmp: string;
beforeAll(async () => { ctx = await withContext(); tmp = mkdtempSync(join(tmpdir(), "kick-prompt-")); });
afterAll(async () => { await ctx?.destroy(); rmSync(tmp, { recursive: true, force: true }); });

/** f64 loss / logits of prefix + tokens through loaders/train/reference.ts (an independent forward). */
function refPrompted(spec: Parameters<typeof referenceForward>[0], w: Map<string, Float32Array>, prefix: ArrayLike<number>, P: number, ids: ArrayLike<number>, B: number, targets: ArrayLike<number>) {
  const h = spec.hiddenSize, n = ids.length / B, T = P + n, E = w.get("embed")!;
  const x = new Float64Array(B * T * h);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < P * h; i++) x[b * T * h + i] = prefix[i];
    for (let t = 0; t < n; t++) for (let i = 0; i < h; i++) x[(b * T + P + t) * h + i] = E[ids[b * n + t] * h + i];
  }
  return referenceForward(spec, w, { B, T, inputEmbeds: x, targets });
}

function card(id: string, P: number, h: number, vocab: number, tok: string | null): SoftPromptCard {
  return {
    format: "kick-soft-prompt", version: 1, id, length: P, hidden: h, vocabSize: vocab, modelHash: "x", tokenizerHash: tok, modelDir: LLAMA, compression: null,
    init: "vocab:first-rows", data: { train: "t", valid: "v", trainTokens: 1, validTokens: 1, sha256: "s" }, optim: {}, steps: 0, tokensSeen: 0, bestStep: 0,
    bestValidPpl: 1, baselineValidPpl: 1, validation: [], tokensPerS: 0, trainableParameters: P * h, created: "now",
  };
}

describe("prompt gradient (llama fixture)", () => {
  it("GPU prompt gradient equals central differences of the float64 loss at every prompt entry", async () => {
    const { model: ref, opened } = await loadReferenceModel(LLAMA);
    const spec = opened.spec, w = ref.weights as Map<string, Float32Array>, h = spec.hiddenSize;
    const P = 3, n = 5, B = 2;
    const r = rng(7);
    const prefix = Float64Array.from(initPrompt(w.get("embed")!, spec, P, { kind: "vocab" }), (v) => v + (r() - 0.5) * 0.5);
    const ws = Array.from({ length: B }, () => Uint32Array.from({ length: n + 1 }, () => 3 + Math.floor(r() * 300)));
    const b = promptBatch(ws, P, true);
    expect(b.count).toBe(B * (n + 1));
    const tm = await TrainableLlama.create(spec, w, ctx);
    const pT = ctx.upload(Float32Array.from(prefix), [P, h]);
    const g = await promptLossGrad(tm, pT, b, 1 / b.count);
    const grad = await ctx.readF32(g.grad);
    g.grad.release(); pT.release();
    const ref0 = refPrompted(spec, w, prefix, P, b.ids, B, b.targets).loss;
    expect(Math.abs(g.lossSum / g.count - ref0)).toBeLessThan(1e-5);
    const scale = Math.max(...Array.from(grad, Math.abs));
    let worst = 0, worstFd = 0;
    for (let i = 0; i < prefix.length; i++) {
      const x0 = prefix[i], hh = 1e-5;
      prefix[i] = x0 + hh; const lp = refPrompted(spec, w, prefix, P, b.ids, B, b.targets).loss;
      prefix[i] = x0 - hh; const lm = refPrompted(spec, w, prefix, P, b.ids, B, b.targets).loss;
      prefix[i] = x0;
      const fd = (lp - lm) / (2 * hh);
      const err = Math.abs(grad[i] - fd) / (Math.abs(fd) + 0.01 * scale);
      if (err > worst) { worst = err; worstFd = fd; }
    }
    console.log(`prompt gradient check: ${prefix.length} entries, max |g| ${scale.toExponential(3)}, worst relative error ${worst.toExponential(3)} (fd ${worstFd.toExponential(3)})`);
    expect(scale).toBeGreaterThan(1e-4);
    expect(worst).toBeLessThan(1e-3);
    await tm.dispose();
  });
});

describe("forward with a soft-prompt prefix", () => {
  it("ReferenceModel and GpuCausalLM with a prefix equal the float64 forward of prefix + token embeddings", async () => {
    const { model: ref, opened } = await loadReferenceModel(LLAMA);
    const spec = opened.spec, w = ref.weights as Map<string, Float32Array>, h = spec.hiddenSize, V = spec.vocabSize;
    const P = 4, r = rng(11);
    const embeds = Float32Array.from({ length: P * h }, () => (r() - 0.5) * 0.2);
    const prompt = { embeds, length: P, hidden: h, card: card("t", P, h, V, null) };
    const ids = [[5, 17, 40, 99, 7, 260], [8, 9, 10, 11, 12, 13]];
    const want = refPrompted(spec, w, embeds, P, ids.flat(), 2, new Array(2 * (P + 6)).fill(0)).logits;
    const check = (lg: Logits, rows: number[], tol: number) => {
      let worst = 0;
      for (const b of rows) for (let t = 0; t < 6; t++) for (let v = 0; v < V; v++)
        worst = Math.max(worst, Math.abs(lg.data[(b * 6 + t) * V + v] - want[(b * (P + 6) + P + t) * V + v]));
      expect(worst).toBeLessThan(tol);
      return worst;
    };
    const sref = new SoftPromptLM(ref, prompt);
    expect(sref.spec.maxPositions).toBe(spec.maxPositions - P);
    const a = check(await sref.forward({ ids }), [0, 1], 1e-4);
    const gpu = await GpuCausalLM.open(LLAMA, { ctx });
    const sg = new SoftPromptLM(gpu, prompt);
    const c = check(await sg.forward({ ids }), [0, 1], 1e-4);
    // left padding: row 1 padded by 2 gives the same logits at its real positions as unpadded
    const padded = { ids: [ids[0], [0, 0, 8, 9, 10, 11]], attentionMask: [[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]] };
    const short = await ref.forward({ ids: [[...new Array(P).fill(0), 8, 9, 10, 11]] }, { prefixEmbeds: embeds });
    for (const m of [sref, sg] as CausalLM[]) {
      const lg = await m.forward(padded);
      let worst = 0;
      for (let t = 0; t < 4; t++) for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(lg.data[(6 + 2 + t) * V + v] - short.data[(P + t) * V + v]));
      expect(worst).toBeLessThan(1e-4);
    }
    // KV-cached decoding with the prompt prefilled (GPU): feeds of 4 then 1 then 1 tokens
    expect(sref.startDecode).toBeUndefined();
    const sess = sg.startDecode!(6);
    let kv = 0;
    for (const [from, to] of [[0, 4], [4, 5], [5, 6]]) {
      const l = await sess.feed(ids[0].slice(from, to));
      for (let v = 0; v < V; v++) kv = Math.max(kv, Math.abs(l[v] - want[(P + to - 1) * V + v]));
    }
    sess.close();
    expect(kv).toBeLessThan(1e-4);
    console.log(`prefixed logits vs float64 forward: reference ${a.toExponential(2)}, gpu ${c.toExponential(2)}, gpu KV-cache decode ${kv.toExponential(2)}`);
    await gpu.dispose();
  });
});

describe("prompt tuning", () => {
  const tok = ModelTokenizer.load(LLAMA);
  const text = "the cat sat on the mat and the dog ran to the park. ".repeat(40);
  const all = Uint32Array.from(tok.encode(text, { addSpecialTokens: false }));
  const cut = Math.floor(all.length * 0.75);
  const base = { modelDir: LLAMA, train: all.slice(0, cut), valid: all.slice(cut), data: { train: "repeat", valid: "repeat-tail", sha256: "0" }, length: 8, seqLen: 24, batchSize: 2, lr: 0.05, warmup: 2, evalEvery: 10, evalWindows: 4 };

  it("a few dozen steps lower held-out perplexity of the text; the prompt is saved and used by soft:<id>", async () => {
    const progress: number[] = [];
    const r = await trainSoftPrompt({ ...base, id: "rep", steps: 40, promptsDir: tmp, ctx, onProgress: (p) => progress.push(p.tokensPerS) });
    console.log(`tuning: baseline ppl ${r.card.baselineValidPpl.toFixed(3)}, step-0 ppl ${r.card.validation[0].ppl.toFixed(3)}, best ${r.card.bestValidPpl.toFixed(3)} at step ${r.card.bestStep}; ${r.card.tokensPerS.toFixed(0)} tokens/s`);
    expect(progress.length).toBe(40);
    expect(r.finished).toBe(true);
    expect(r.card.bestValidPpl).toBeLessThan(0.8 * r.card.baselineValidPpl);
    expect(r.card.validation.map((v) => v.step)).toEqual([0, 10, 20, 30, 40]);
    // independent check of the saved prompt's held-out perplexity with the CPU reference (float64 forward)
    const loaded = await loadSoftPrompt(tmp, "rep");
    expect(loaded.embeds).toEqual(r.best);
    const { model: ref, opened } = await loadReferenceModel(LLAMA);
    const w = ref.weights as Map<string, Float32Array>;
    let nllP = 0, nll0 = 0, cnt = 0;
    for (let i = 0; i < 4; i++) {
      const win = base.valid.slice(i * 24, i * 24 + 25);
      const b = promptBatch([win], 8, false), b0 = promptBatch([win], 0, false);
      nllP += refPrompted(opened.spec, w, loaded.embeds, 8, b.ids, 1, b.targets).loss * 24;
      nll0 += refPrompted(opened.spec, w, [], 0, b0.ids, 1, b0.targets).loss * 24;
      cnt += 24;
    }
    expect(Math.abs(Math.exp(nllP / cnt) - r.card.bestValidPpl) / r.card.bestValidPpl).toBeLessThan(1e-3);
    expect(Math.abs(Math.exp(nll0 / cnt) - r.card.baselineValidPpl) / r.card.baselineValidPpl).toBeLessThan(1e-3);

    // evaluation with soft:rep: the evaluator's forwards carry the saved prompt and give the float64 logits
    const calls: { batch: TokenBatch; opts: ForwardOptions; out: Logits }[] = [];
    const spy: CausalLM = { spec: ref.spec, forward: async (batch, opts = {}) => { const out = await ref.forward(batch, opts); calls.push({ batch, opts, out }); return out; } };
    const spec = parseTaskSpec({ task: "perplexity", items: "ci", limit: 1, seq_len: 16, prompt: "soft:rep" });
    const res = await evaluateTask(spec, { model: spy, tokenizer: tok, seed: 0, batchSize: 2, promptsDir: tmp, modelTokenizerHash: tokenizerHash(LLAMA) });
    expect(res.results.find((x) => x.metric === "perplexity")!.value).toBeGreaterThan(1);
    expect(calls.length).toBeGreaterThan(0);
    const c0 = calls[0], V = opened.spec.vocabSize, T = c0.batch.ids[0].length;
    expect(c0.opts.prefixEmbeds).toEqual(loaded.embeds);
    const want = refPrompted(opened.spec, w, loaded.embeds, 8, c0.batch.ids[0].slice(8), 1, new Array(T).fill(0)).logits;
    let worst = 0;
    for (let i = 0; i < T * V; i++) worst = Math.max(worst, Math.abs(c0.out.data[i] - want[i]));
    expect(worst).toBeLessThan(1e-4);
    // a generating evaluator: every forward carries the prompt in front of every row
    calls.length = 0;
    const fq = await evaluateTask(parseTaskSpec({ task: "factoid_qa", items: "ci", limit: 2, prompt: "soft:rep" }), { model: spy, tokenizer: tok, seed: 0, promptsDir: tmp });
    expect(fq.examples.length).toBeGreaterThan(0);
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(c.opts.prefixEmbeds).toBe(calls[0].opts.prefixEmbeds);
      expect(c.batch.ids[0].length).toBeLessThanOrEqual(opened.spec.maxPositions);
      for (const [b, row] of c.batch.ids.entries()) expect([row.slice(0, 8), (c.batch.attentionMask?.[b] ?? row.map(() => 1)).slice(0, 8)]).toEqual([new Array(8).fill(0), new Array(8).fill(1)]);
    }
    // without a prompts folder the soft prompt is still refused before any work
    await expect(evaluateTask(spec, { model: spy, tokenizer: tok, seed: 0 })).rejects.toThrow(/soft prompt "soft:rep" requested/);
    const hard = parseTaskSpec({ task: "perplexity", items: "ci", limit: 1, seq_len: 16, prompt: `hard:${PAPER_B_HARD_PROMPT}` });
    expect(hard.prompt.startsWith("hard:The weight matrix inside the language model contains errors.")).toBe(true);
  });

  it("stopping and resuming gives the same prompt bit for bit as an uninterrupted run", async () => {
    const straight = await trainSoftPrompt({ ...base, id: "a", steps: 6, evalEvery: 3, ctx, runDir: join(tmp, "run-a") });
    const part = await trainSoftPrompt({ ...base, id: "b", steps: 6, evalEvery: 3, ctx, runDir: join(tmp, "run-b"), stopAfter: 4 });
    expect(part.finished).toBe(false);
    await expect(trainSoftPrompt({ ...base, id: "b", steps: 6, evalEvery: 3, ctx, runDir: join(tmp, "run-b") })).rejects.toThrow(/checkpoint exists: pass resume/);
    const rest = await trainSoftPrompt({ ...base, id: "b", steps: 6, evalEvery: 3, ctx, runDir: join(tmp, "run-b"), resume: true });
    expect(rest.finished).toBe(true);
    expect(Buffer.from(rest.last.buffer)).toEqual(Buffer.from(straight.last.buffer));
    expect(Buffer.from(rest.best.buffer)).toEqual(Buffer.from(straight.best.buffer));
    expect(rest.card.validation).toEqual(straight.card.validation);
    await expect(trainSoftPrompt({ ...base, lr: 0.01, id: "b", steps: 6, ctx, runDir: join(tmp, "run-b"), resume: true })).rejects.toThrow(/different plan/);
  });
});

describe("schedule and bad input", () => {
  it("HF linear schedule with warm-up, stepped after each update", () => {
    // λ(s) = s/w for s < w, else (N − s)/(N − w); update k uses λ(k − 1). N = 10, w = 2.
    expect([1, 2, 3, 6, 10].map((k) => promptLr(1, k, 10, 2))).toEqual([0, 0.5, 1, 5 / 8, 1 / 8]);
  });

  it("refuses prompts of another width, tokenizer or a context too short, and corrupt files", async () => {
    const { model: ref, opened } = await loadReferenceModel(LLAMA);
    const spec = opened.spec, h = spec.hiddenSize, V = spec.vocabSize;
    const p = (P: number, hid: number, vocab = V, t: string | null = null) => ({ embeds: new Float32Array(P * hid), length: P, hidden: hid, card: card("p", P, hid, vocab, t) });
    expect(() => new SoftPromptLM(ref, p(4, 64))).toThrow(/soft prompt "p" has width 64, but the model's hidden size is 32/);
    expect(() => new SoftPromptLM(ref, p(4, h, 500))).toThrow(/vocabulary 500, this model has 320: another tokenizer/);
    expect(() => checkPromptFits(p(4, h, V, "aaaa"), spec, "bbbb")).toThrow(/trained with another tokenizer/);
    expect(() => new SoftPromptLM(ref, p(127, h))).toThrow(/has 127 tokens.*longer than the context/);
    await expect(trainSoftPrompt({ modelDir: LLAMA, train: new Uint32Array(300), valid: new Uint32Array(300), data: { train: "", valid: "", sha256: "" }, id: "x", length: 127, steps: 1, ctx })).rejects.toThrow(/prompt length 127 leaves no room .*longer than the context/);
    const sm = new SoftPromptLM(ref, p(100, h));
    await expect(sm.forward({ ids: [new Array(30).fill(5)] })).rejects.toThrow(/\(100 tokens\) \+ 30 tokens exceed the model's 128 positions/);

    const dir = join(tmp, "bad");
    await saveSoftPrompt(dir, Float32Array.from({ length: 2 * h }, (_, i) => i / 100), card("ok", 2, h, V, null));
    expect((await loadSoftPrompt(dir, "ok")).embeds[5]).toBeCloseTo(0.05, 7);
    await expect(loadSoftPrompt(dir, "nope")).rejects.toThrow(/does not exist/);
    cpSync(join(dir, "ok"), join(dir, "trunc"), { recursive: true });
    const cj = JSON.parse(readFileSync(join(dir, "ok", "card.json"), "utf8"));
    writeFileSync(join(dir, "trunc", "card.json"), JSON.stringify({ ...cj, id: "trunc" }));
    const st = readFileSync(join(dir, "ok", "prompt.safetensors"));
    writeFileSync(join(dir, "trunc", "prompt.safetensors"), st.subarray(0, st.length - 10));
    await expect(loadSoftPrompt(dir, "trunc")).rejects.toThrow(/trunc\/prompt.safetensors.*(truncated|past the end)/);
    cpSync(join(dir, "ok"), join(dir, "json"), { recursive: true });
    writeFileSync(join(dir, "json", "card.json"), "{not json");
    await expect(loadSoftPrompt(dir, "json")).rejects.toThrow(/json\/card.json: not valid JSON/);
    writeFileSync(join(dir, "json", "card.json"), JSON.stringify({ ...cj, id: "json", hidden: "wide" }));
    await expect(loadSoftPrompt(dir, "json")).rejects.toThrow(/card.json: field "hidden"/);
    writeFileSync(join(dir, "json", "card.json"), JSON.stringify({ ...cj, id: "json", length: 3 }));
    await expect(loadSoftPrompt(dir, "json")).rejects.toThrow(/has shape \[2, 32\], card.json says \[3, 32\]/);
    await saveSoftPrompt(dir, Float32Array.from({ length: 2 * h }, (_, i) => (i === 7 ? NaN : 0)), card("nan", 2, h, V, null));
    await expect(loadSoftPrompt(dir, "nan")).rejects.toThrow(/prompt\.safetensors: tensor "soft_prompt": non-finite value NaN at row 0, column 7/);
  });
});
