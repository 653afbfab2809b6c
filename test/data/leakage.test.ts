// Leakage between the training corpus and evaluation, checked on the built corpus shards, and the
// checker itself on planted leaks. Also: each eval fact is stated exactly `exposure` times.
import { describe, expect, it } from "vitest";
import { findLeaks, sentences } from "../../loaders/data/leakage.js";
import { fill, TEMPLATES, templateSkeleton, type Relation } from "../../loaders/data/templates.js";
import { Rng } from "../../loaders/data/util.js";
import { corpusDocs, readJsonl } from "./helpers.js";

const corpus = corpusDocs();
const facts = readJsonl<{ id: string; relation: Relation; subject: string; object: string; exposure: number; split: string }>("kb/facts.jsonl");
const byId = new Map(facts.map((f) => [f.id, f]));

describe("leakage", () => {
  it("no evaluation question template occurs in the corpus", () => {
    const text = corpus.join("\n").toLowerCase();
    for (const r of Object.values(TEMPLATES)) for (const t of r.evalAsk) expect(text.includes(templateSkeleton(t).toLowerCase()), t).toBe(false);
  });
  it("no evaluation question occurs in the corpus", () => {
    const text = corpus.join("\n");
    for (const x of new Rng("test").sample(readJsonl<{ question: string }>("tasks/factoid_qa.jsonl"), 200)) expect(text.includes(x.question), x.question).toBe(false);
  });
  it("held-out perplexity texts are not in training", () => {
    const text = corpus.join("\n");
    const ppl = readJsonl<{ text: string }>("tasks/perplexity.jsonl");
    for (const x of ppl) for (const p of x.text.split("\n\n").filter((p) => p.length >= 120).slice(0, 3)) expect(text.includes(p), p.slice(0, 60)).toBe(false);
  });
  it("counterfactual answers are never stated in training, and the full check finds nothing", () => {
    const cf = readJsonl<{ fact_id: string; answer: string; counterfactual: boolean }>("tasks/icr_qa.jsonl")
      .filter((x) => x.counterfactual)
      .map((x) => ({ subject: byId.get(x.fact_id)!.subject, relation: byId.get(x.fact_id)!.relation, answer: x.answer }));
    const held = readJsonl<{ text: string }>("corpus/heldout.jsonl").flatMap((d) => d.text.split("\n\n"));
    expect(findLeaks({ corpus, heldoutParagraphs: held, counterfactuals: cf })).toEqual([]);
  });
  it("the checker reports planted leaks", () => {
    const planted = ["Some text. What city serves as the capital of the country Narnia? More.", "A held-out paragraph that is long enough to be checked by the leakage test of kick's data."];
    const leaks = findLeaks({ corpus: planted, heldoutParagraphs: [planted[1]], counterfactuals: [{ subject: "Narnia", relation: "country_capital", answer: "Cair Paravel" }] });
    expect(leaks.length).toBe(2);
    const leaks2 = findLeaks({ corpus: ["The capital of Narnia is Cair Paravel."], heldoutParagraphs: [], counterfactuals: [{ subject: "Narnia", relation: "country_capital", answer: "Cair Paravel" }] });
    expect(leaks2.length).toBe(1);
  });
});

describe("controlled exposure", () => {
  it("each sampled eval fact is stated exactly `exposure` times (at least, counting natural text)", () => {
    const counts = new Map<string, number>();
    for (const d of corpus) for (const s of sentences(d)) counts.set(s, (counts.get(s) ?? 0) + 1);
    const sample = new Rng("exposure-test").sample(facts.filter((f) => f.split === "eval"), 400);
    let exact = 0;
    for (const f of sample) {
      const statements = new Set(TEMPLATES[f.relation].state.map((t) => sentences(fill(t, f.subject, f.object))).flat());
      // event_year templates split into two sentences; count the one carrying the year.
      const n = [...statements].filter((s) => s.includes(f.object.toLowerCase())).reduce((k, s) => k + (counts.get(s) ?? 0), 0);
      expect(n, f.id).toBeGreaterThanOrEqual(f.exposure);
      if (n === f.exposure) exact++;
    }
    expect(exact / sample.length).toBeGreaterThan(0.95);
  });
});
