// Fluency of generated answers ("fluent but wrong", issue 20) against hand-computed values: distinct-n,
// repetition, and the dense model's perplexity of the answers — on the scripted model, whose probability of every
// scripted token is known in closed form, and on the llama fixture against the float64 forward.
import { describe, expect, it } from "vitest";
import type { EvalContext, MetricRow } from "../../loaders/evaluate/common.js";
import { distinctN, fluencyRows, repetitionRate } from "../../loaders/evaluate/fluency.js";
import { evaluateTask } from "../../loaders/evaluate/index.js";
import { selectItems } from "../../loaders/evaluate/suite.js";
import { parseTaskSpec } from "../../loaders/evaluate/task-spec.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import { referenceForward } from "../../loaders/train/reference.js";
import { LLAMA_DIR, OracleModel } from "./oracle.js";

const find = (rows: MetricRow[], subset: string, metric: string): MetricRow => {
  const r = rows.find((x) => x.subset === subset && x.metric === metric);
  if (!r) throw new Error(`no row ${subset}/${metric}`);
  return r;
};

describe("text measures", () => {
  it("distinct-n counts distinct n-grams over all answers", () => {
    // words: the cat the cat | a dog → 4 distinct of 6; bigrams: the-cat, cat-the, the-cat | a-dog → 3 of 4
    expect(distinctN(["The cat, the cat.", "a dog"], 1)).toEqual({ value: 4 / 6, total: 6 });
    expect(distinctN(["The cat, the cat.", "a dog"], 2)).toEqual({ value: 3 / 4, total: 4 });
    expect(distinctN(["Paris", "Rome"], 2).total).toBe(0);
  });

  it("repetition is the share of an answer's words that repeat an earlier one", () => {
    expect(repetitionRate("Paris Paris Paris")).toBeCloseTo(2 / 3, 12);
    expect(repetitionRate("Paris, paris! Rome")).toBeCloseTo(1 / 3, 12);
    expect(repetitionRate("Paris")).toBe(0);
    expect(repetitionRate(" ... ")).toBeNull();
  });
});

describe("factoid QA answers' fluency", () => {
  it("stores distinct-n, repetition and the dense model's perplexity of the answers beside accuracy", async () => {
    const spec = parseTaskSpec({ task: "factoid_qa", items: "ci", limit: 3, max_new_tokens: 24, bootstrap: 200 });
    const items = selectItems({ ...spec, task: "factoid_qa" });
    const oracle = new OracleModel();
    const say = [items[0].aliases[0], "the the the", "no idea"];
    items.forEach((x, i) => oracle.answer(x.prompt, ` ${say[i]}`));
    const ctx: EvalContext = { model: oracle, tokenizer: oracle.tokenizer, seed: 0, batchSize: 2, dense: { modelHash: "oracle", self: true, cacheDir: null, model: async () => oracle } };
    const r = await evaluateTask(spec, ctx);
    const words = say.map((s) => s.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean));
    const all = words.flat();
    expect(find(r.results, "all", "distinct_1").value).toBeCloseTo(new Set(all).size / all.length, 12);
    // per answer: 0, 2/3, 0
    expect(find(r.results, "all", "repetition").value).toBeCloseTo((0 + 2 / 3 + 0) / 3, 12);
    expect(find(r.results, "all", "empty_answers").value).toBe(0);
    // the scripted model gives every scripted token logit 10 and the other V − 1 logit 0, so each answer token
    // (the newline that ends the line included) has NLL log(1 + (V − 1)e^−10), and so does every answer's mean
    const V = oracle.spec.vocabSize;
    const ppl = find(r.results, "all", "dense_answer_ppl");
    expect(ppl.value / (1 + (V - 1) * Math.exp(-10)) - 1).toBeLessThan(1e-9);
    expect(ppl.value / (1 + (V - 1) * Math.exp(-10)) - 1).toBeGreaterThan(-1e-9);
    expect(ppl.n).toBe(3);
    // without a dense model the text measures stay, the perplexity goes
    const bare = await evaluateTask(spec, { ...ctx, dense: undefined });
    expect(bare.results.some((x) => x.metric === "dense_answer_ppl")).toBe(false);
    expect(find(bare.results, "all", "distinct_1").value).toBe(find(r.results, "all", "distinct_1").value);
  });

  it("the dense perplexity of given answers equals the float64 forward's", async () => {
    const { model, opened } = await loadReferenceModel(LLAMA_DIR);
    const promptIds = [[1, 17, 40, 9], [1, 5, 6, 7, 8, 90]];
    const answerIds = [[33, 34, 35], [200], []];
    // the evaluated model differs (attention queries zeroed): the answers are scored by the dense one only
    const other = new ReferenceModel(opened.spec, new Map([...(model.weights as Map<string, Float32Array>)].map(([k, v]) => [k, /\.q\.weight$/.test(k) ? v.map(() => 0) : v])));
    const rows = await fluencyRows(
      { model: other, tokenizer: opened.tokenizer!, seed: 0, dense: { modelHash: "x", self: false, cacheDir: null, model: async () => model } },
      "all",
      ["a b", "c", ""],
      { promptIds: [...promptIds, [1, 2]], answerIds },
      100,
    );
    const nll = (p: number[], a: number[]) => {
      const ids = [...p, ...a];
      const { logits } = referenceForward(opened.spec, model.weights as Map<string, Float32Array>, { B: 1, T: ids.length, ids, targets: ids.map(() => -100) });
      const V = opened.spec.vocabSize;
      let s = 0;
      a.forEach((tok, j) => {
        const row = logits.subarray((p.length + j - 1) * V, (p.length + j) * V);
        const m = Math.max(...row);
        s += m + Math.log(row.reduce((acc, x) => acc + Math.exp(x - m), 0)) - row[tok];
      });
      return s / a.length;
    };
    const expected = Math.exp((nll(promptIds[0], answerIds[0]) + nll(promptIds[1], answerIds[1])) / 2);
    const got = find(rows, "all", "dense_answer_ppl");
    console.log(`dense answer perplexity: ${got.value} (float64 ${expected})`);
    expect(Math.abs(got.value / expected - 1)).toBeLessThan(1e-5);
    expect(got.n).toBe(2);
    expect(find(rows, "all", "empty_answers").value).toBe(1);
  });
});
