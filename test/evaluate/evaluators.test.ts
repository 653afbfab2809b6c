// Evaluators on a scripted model whose right and wrong answers are chosen by the test, so every expected
// score is known by construction; and on the CPU reference model for determinism, batching and the
// perplexity recipe (checked against generate.ts's independent implementation).
import { TASK_VERSION } from "../../loaders/data/tasks/schema.js";
import { describe, expect, it } from "vitest";
import type { EvalContext, MetricRow } from "../../loaders/evaluate/common.js";
import { evaluateTask } from "../../loaders/evaluate/index.js";
import { checkSatisfied, cleanResponse } from "../../loaders/evaluate/instruction.js";
import { mcqClozePrompt, mcqPrompt } from "../../loaders/evaluate/mcq.js";
import { LETTERS } from "../../loaders/data/formats.js";
import { readSuite, selectItems } from "../../loaders/evaluate/suite.js";
import { parseTaskSpec } from "../../loaders/evaluate/task-spec.js";
import type { CausalLM, DecodeSession } from "../../loaders/model/causal-lm.js";
import { perplexity } from "../../loaders/model/generate.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { LLAMA_DIR, OracleModel } from "./oracle.js";

const ctxOf = (model: OracleModel, seed = 0): EvalContext => ({ model, tokenizer: model.tokenizer, seed, batchSize: 4 });
const find = (rows: MetricRow[], subset: string, metric: string): MetricRow => {
  const r = rows.find((x) => x.subset === subset && x.metric === metric);
  if (!r) throw new Error(`no row ${subset}/${metric}`);
  return r;
};

describe("factoid QA", () => {
  it("scores LLM-KICK alias hits on the answer only and strict EM, with Wilson intervals", async () => {
    const spec = parseTaskSpec({ task: "factoid_qa", items: "ci", limit: 4, max_new_tokens: 48, prompt: "hard:Answer briefly.\n" });
    const items = selectItems({ ...spec, task: "factoid_qa" });
    const oracle = new OracleModel();
    const say = [items[0].aliases[0], `It is ${items[1].aliases[0]} for sure`, "no idea", items[3].aliases[0]];
    // the hard prompt is prepended verbatim: the oracle only knows the prefixed prompts
    items.forEach((x, i) => oracle.answer(`Answer briefly.\n${x.prompt}`, ` ${say[i]}`));
    const r = await evaluateTask(spec, ctxOf(oracle));
    const hit = find(r.results, "all", "alias_hit");
    const em = find(r.results, "all", "exact_match");
    expect([hit.value, hit.n]).toEqual([0.75, 4]);
    expect(em.value).toBe(0.5);
    // Wilson 95% for 3/4: (0.3006, 0.9544); for 2/4: (0.1500, 0.8500) (hand-computed, z = 1.96)
    expect(hit.ci_low).toBeCloseTo(0.3006, 3);
    expect(hit.ci_high).toBeCloseTo(0.9544, 3);
    expect(em.ci_low).toBeCloseTo(0.15, 3);
    expect(em.ci_high).toBeCloseTo(0.85, 3);
    expect(r.examples.filter((e) => e.example_id.endsWith("#alias_hit")).map((e) => [e.prediction, e.correct])).toEqual([
      [say[0], true],
      [say[1], true],
      ["no idea", false],
      [say[3], true],
    ]);
    // per exposure bin: the counts add up to the items
    const bins = r.results.filter((x) => x.subset.startsWith("exposure/") && x.metric === "alias_hit");
    expect(bins.reduce((a, b) => a + b.n, 0)).toBe(4);
  });
});

describe("multiple choice", () => {
  it("builds the Hendrycks prompt with k solved examples", () => {
    const base = { id: "x", task: "mcq" as const, version: TASK_VERSION as typeof TASK_VERSION, split: "test" as const, ci: false, subject: "world capitals", fact_id: "f", relation: "r", exposure: 1 as const };
    const shot = { ...base, question: "Which city is the capital of Chad?", options: ["Bern", "N'Djamena", "Lima", "Accra"], answer: "B" as const };
    const item = { ...base, question: "Which city is the capital of Peru?", options: ["Lima", "Quito", "Oslo", "Rome"], answer: "A" as const };
    expect(mcqPrompt(item, [shot])).toBe(
      "The following are multiple choice questions (with answers) about world capitals.\n\n" +
        "Which city is the capital of Chad?\nA. Bern\nB. N'Djamena\nC. Lima\nD. Accra\nAnswer: B\n\n" +
        "Which city is the capital of Peru?\nA. Lima\nB. Quito\nC. Oslo\nD. Rome\nAnswer:",
    );
  });

  it("scores generate-one-letter and log-likelihood over A–D, k-shot from the dev split", async () => {
    const spec = parseTaskSpec({ task: "mcq", items: "ci", limit: 3, k_shot: 1, max_new_tokens: 3 });
    const items = selectItems({ ...spec, task: "mcq" });
    const dev = readSuite("mcq").filter((x) => x.split === "dev");
    const oracle = new OracleModel();
    const wrong = (l: string) => (l === "A" ? "C" : "A");
    items.forEach((x, i) => {
      const shots = [dev.find((d) => d.subject === x.subject)!];
      oracle.answer(mcqPrompt(x, shots), ` ${i === 2 ? wrong(x.answer) : x.answer}`);
    });
    const r = await evaluateTask(spec, ctxOf(oracle));
    expect(find(r.results, "all", "generate_accuracy").value).toBeCloseTo(2 / 3, 12);
    expect(find(r.results, "all", "loglik_accuracy").value).toBeCloseTo(2 / 3, 12);
    expect(find(r.results, "all", "k_shot").value).toBe(1);
    const ll = r.examples.filter((e) => e.example_id.endsWith("#loglik"));
    expect(ll.map((e) => e.prediction)).toEqual([items[0].answer, items[1].answer, wrong(items[2].answer)]);
    expect(ll.map((e) => e.correct)).toEqual([true, true, false]);
  });
});

describe("multiple choice, cloze formulation", () => {
  it("builds the cloze prompt: solved dev questions with the option text, no letters", () => {
    const base = { id: "x", task: "mcq" as const, version: TASK_VERSION as typeof TASK_VERSION, split: "test" as const, ci: false, subject: "world capitals", fact_id: "f", relation: "r", exposure: 1 as const };
    const shot = { ...base, question: "Which city is the capital of Chad?", options: ["Bern", "N'Djamena", "Lima", "Accra"], answer: "B" as const };
    const item = { ...base, question: "Which city is the capital of Peru?", options: ["Lima", "Quito", "Oslo", "Rome"], answer: "A" as const };
    expect(mcqClozePrompt(item, [shot])).toBe("Q: Which city is the capital of Chad?\nA: N'Djamena\n\nQ: Which city is the capital of Peru?\nA:");
  });

  it("scores option texts by summed and per-character log-likelihood, per subject and exposure", async () => {
    const spec = parseTaskSpec({ task: "mcq", items: "ci", limit: 4, scoring: ["cloze"] });
    const items = selectItems({ ...spec, task: "mcq" });
    const oracle = new OracleModel();
    // items 0, 1: the model continues with the gold option; item 2: with a wrong one; item 3: nothing it knows
    items.slice(0, 3).forEach((x, i) => {
      const k = LETTERS.indexOf(x.answer);
      oracle.answer(mcqClozePrompt(x, []), ` ${x.options[i === 2 ? (k + 1) % 4 : k]}`);
    });
    const r = await evaluateTask(spec, ctxOf(oracle));
    const raw = find(r.results, "all", "cloze_accuracy").value, norm = find(r.results, "all", "cloze_norm_accuracy").value;
    // item 3 is scored by the oracle's uniform fallback: the shortest / any option, so only bounds are exact
    expect(raw).toBeGreaterThanOrEqual(2 / 4);
    expect(raw).toBeLessThanOrEqual(3 / 4);
    expect(norm).toBeGreaterThanOrEqual(2 / 4);
    const ex = r.examples.filter((e) => e.example_id.endsWith("#cloze")), sum = r.examples.filter((e) => e.example_id.endsWith("#cloze_sum"));
    expect(ex.slice(0, 3).map((e) => e.correct)).toEqual([true, true, false]);
    expect(sum.slice(0, 3).map((e) => e.correct)).toEqual([true, true, false]);
    expect(sum.filter((e) => e.correct).length / sum.length).toBeCloseTo(raw, 12);
    expect(ex.filter((e) => e.correct).length / ex.length).toBeCloseTo(norm, 12);
    expect(r.results.some((x) => x.subset === `exposure/${items[0].exposure}` && x.metric === "cloze_accuracy")).toBe(true);
    expect(r.results.some((x) => x.metric === "loglik_accuracy")).toBe(false);
    expect(() => parseTaskSpec({ task: "mcq", scoring: ["letters"] })).toThrow(/scoring/);
  });
});

describe("in-context retrieval QA", () => {
  it("separates closed book, factual and counterfactual passages", async () => {
    const spec = parseTaskSpec({ task: "icr_qa", items: "ci", limit: 4, max_new_tokens: 48 });
    const items = selectItems({ ...spec, task: "icr_qa" });
    const factual = items.filter((x) => !x.counterfactual).length;
    expect(factual).toBeGreaterThan(0);
    expect(factual).toBeLessThan(items.length);
    const oracle = new OracleModel();
    for (const x of items) oracle.answer(x.open_prompt, ` ${x.answer}`);
    for (const x of items) oracle.answer(x.closed_prompt, " unknown");
    const r = await evaluateTask(spec, ctxOf(oracle));
    expect([find(r.results, "closed", "exact_match").value, find(r.results, "closed", "exact_match").n]).toEqual([0, factual]);
    expect(find(r.results, "closed", "f1").value).toBe(0);
    expect(find(r.results, "open_factual", "exact_match").value).toBe(1);
    expect(find(r.results, "open_counterfactual", "exact_match").value).toBe(1);
    expect(find(r.results, "open_counterfactual", "containment").value).toBe(1);
    expect(find(r.results, "open_counterfactual", "original_answer").value).toBe(0);
    const f1 = find(r.results, "open_factual", "f1");
    expect([f1.value, f1.ci_low, f1.ci_high]).toEqual([1, 1, 1]);
  });
});

describe("long context, instruction following, summarization", () => {
  it("long-context accuracy per context length", async () => {
    const spec = parseTaskSpec({ task: "long_context", items: "ci", limit: 3, max_new_tokens: 12 });
    const items = selectItems({ ...spec, task: "long_context" });
    const oracle = new OracleModel();
    items.forEach((x, i) => oracle.answer(x.prompt, i === 1 ? " 0000" : ` ${x.answer}`));
    const r = await evaluateTask(spec, ctxOf(oracle));
    expect(find(r.results, "all", "accuracy").value).toBeCloseTo(2 / 3, 12);
    const lengths = r.results.filter((x) => x.subset.startsWith("length/") && x.metric === "accuracy");
    expect(lengths.reduce((a, b) => a + b.n, 0)).toBe(3);
    expect(find(r.results, lengths[0].subset, "truncated_prompts").value).toBe(0);
  });

  it("instruction checks: exact and uppercase_of, after cleaning the response", async () => {
    expect(cleanResponse(' "HELLO  WORLD".\nmore')).toBe("HELLO WORLD");
    expect(checkSatisfied({ type: "uppercase_of", expected: "HELLO WORLD" }, "HELLO WORLD")).toBe(true);
    expect(checkSatisfied({ type: "uppercase_of", expected: "HELLO WORLD" }, "hello world")).toBe(false);
    expect(checkSatisfied({ type: "exact", expected: "a b" }, "a  b")).toBe(false);
    const spec = parseTaskSpec({ task: "instruction", items: "ci", limit: 4, max_new_tokens: 64 });
    const items = selectItems({ ...spec, task: "instruction" });
    const oracle = new OracleModel();
    items.forEach((x, i) => oracle.answer(x.prompt, ` ${i % 2 === 0 ? x.check.expected : `${x.check.expected.toLowerCase()} extra`}`));
    const r = await evaluateTask(spec, ctxOf(oracle));
    expect(find(r.results, "all", "constraints_satisfied").value).toBe(0.5);
    expect(find(r.results, "all", "unique_tokens").value).toBeGreaterThan(0);
  });

  it("summarization ROUGE by length bin", async () => {
    const spec = parseTaskSpec({ task: "summarization", items: "ci", limit: 2, max_new_tokens: 64 });
    const items = selectItems({ ...spec, task: "summarization" });
    expect(items[0].summary.split(" ").length).toBeGreaterThan(1); // so ROUGE-2 of a copy is 1
    const oracle = new OracleModel();
    oracle.answer(items[0].prompt, ` ${items[0].summary}`).answer(items[1].prompt, " zzz qqq");
    const r = await evaluateTask(spec, ctxOf(oracle));
    for (const m of ["rouge1", "rouge2", "rougeL"]) expect(find(r.results, "all", m).value).toBe(0.5);
    expect(r.examples.map((e) => e.logprob)).toEqual([1, 0]); // per-example ROUGE-L
  });
});

describe("on the CPU reference model", () => {
  it("perplexity equals generate.ts's reference recipe per source", async () => {
    const { model, opened } = await loadReferenceModel(LLAMA_DIR);
    const tok = opened.tokenizer!;
    const spec = parseTaskSpec({ task: "perplexity", items: "ci", limit: 2, seq_len: 32 });
    const items = selectItems({ ...spec, task: "perplexity" });
    const r = await evaluateTask(spec, { model, tokenizer: tok, seed: 0, batchSize: 4 });
    for (const source of new Set(items.map((x) => x.source))) {
      const stream = tok.encode(items.filter((x) => x.source === source).map((x) => x.text).join("\n\n"));
      const expected = await perplexity(model, stream, { window: 32 });
      const row = find(r.results, source, "perplexity");
      expect(row.n).toBe(expected.windowNlls.length);
      expect(Math.abs(row.value / expected.perplexity - 1)).toBeLessThan(1e-9);
      expect(row.ci_low!).toBeLessThanOrEqual(row.value);
      expect(row.ci_high!).toBeGreaterThanOrEqual(row.value);
    }
    expect(find(r.results, "all", "seq_len").value).toBe(32);
  });

  it("generation does not depend on batching or on the KV-cache path; sampling is seeded", async () => {
    const { model, opened } = await loadReferenceModel(LLAMA_DIR);
    const tokenizer = opened.tokenizer!;
    // a model with a (naive) KV-cache interface takes generate's one-sequence path
    const withSession: CausalLM = {
      spec: model.spec,
      forward: (b) => model.forward(b),
      startDecode(): DecodeSession {
        const seq: number[] = [];
        return {
          async feed(tokens) {
            seq.push(...tokens);
            const lg = await model.forward({ ids: [seq] });
            return lg.data.slice((lg.length - 1) * lg.vocab, lg.length * lg.vocab);
          },
          close() {},
        };
      },
    };
    const spec = parseTaskSpec({ task: "factoid_qa", items: "ci", limit: 5, max_new_tokens: 5 });
    const preds = async (m: CausalLM, batchSize: number, s = spec, seed = 0) =>
      (await evaluateTask(s, { model: m, tokenizer, seed, batchSize })).examples.map((e) => e.prediction);
    const one = await preds(model, 1);
    expect(await preds(model, 4)).toEqual(one);
    expect(await preds(withSession, 1)).toEqual(one);
    const sampled = parseTaskSpec({ ...spec, temperature: 1 });
    const s0 = await preds(model, 4, sampled, 0);
    expect(await preds(model, 1, sampled, 0)).toEqual(s0);
    expect(await preds(withSession, 1, sampled, 0)).toEqual(s0);
    expect(await preds(model, 4, sampled, 1)).not.toEqual(s0);
  });
});
