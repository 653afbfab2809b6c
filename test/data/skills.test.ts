// Data v3's skill documents, read back from the built corpus and checked by parsers written here
// (not the generator's code): every lookup's answer is the value its key has in the list, every
// needle's answer is the code its sentence states, every letter names the option that is right.
import { describe, expect, it } from "vitest";
import { findLeaks } from "../../loaders/data/leakage.js";
import { PROBE_FORMATS, SKILL_DOCS } from "../../loaders/data/skills.js";
import { Rng } from "../../loaders/data/util.js";
import { corpusDocs, readJsonl } from "./helpers.js";

const texts = corpusDocs();
const kinds = readJsonl<{ id: string; kind: string }>("corpus/docs.jsonl");
const ofKind = (k: string) => texts.filter((_, i) => kinds[i].kind === k);
const sample = (k: string, n = 300) => new Rng(`skills-test/${k}`).sample(ofKind(k), n);

describe("data v3 skill documents", () => {
  it("the corpus holds every skill in its planned count, aligned with docs.jsonl", () => {
    expect(kinds.length).toBe(texts.length);
    for (const [k, n] of Object.entries(SKILL_DOCS)) expect(ofKind(`skill:${k}`).length, k).toBe(n);
  });

  it("key-value lookups: each answer is the value of the asked key in the list", () => {
    let asked = 0;
    for (const doc of sample("skill:kv")) {
      const values = new Map<string, string>();
      for (const m of doc.matchAll(/^(?:key )?\[?([a-z0-9]{6})(?:\]|:| =| ->| has value|\t| \|)\s*(\d{4})$/gm)) values.set(m[1], m[2]);
      const qs = [...doc.matchAll(/(?:key |for |Look up |value of )([a-z0-9]{6})(?: have)?\??\.?\n(?:Answer|A|Value|Result): (\d{4})/g)];
      expect(qs.length, doc.slice(-200)).toBeGreaterThan(0);
      for (const q of qs) expect(values.get(q[1]), q[0]).toBe(q[2]);
      asked += qs.length;
    }
    expect(asked).toBeGreaterThan(300);
  });

  it("key-value lists ask many lookups each (the dense MQAR signal), and copy snippets repeat their sequence exactly", () => {
    const perDoc = sample("skill:kv").map((d) => [...d.matchAll(/\n(?:Answer|A|Value|Result): \d{4}/g)].length);
    expect(perDoc.reduce((a, b) => a + b) / perDoc.length).toBeGreaterThan(5);
    for (const doc of sample("skill:copy")) {
      const m = doc.match(/^([\s\S]+)\n\n(?:Repeat the list\.|Copy:|Again:|Once more, exactly:|Say it back:)\n([\s\S]+)$/);
      expect(m, doc.slice(0, 120)).not.toBeNull();
      expect(m![2]).toBe(m![1]);
    }
  });

  it("needles: the answer is the code the needle sentence gives for the asked name", () => {
    for (const doc of sample("skill:needle")) {
      const q = doc.match(/(?:Question|Q): [^\n]*?the ([a-z]+ [a-z]+)(?: marked)?\?\n(?:Answer|A): (\d{4})$/);
      expect(q, doc.slice(-160)).not.toBeNull();
      const said = [...doc.matchAll(new RegExp(`the ${q![1]} (?:is|opens with|is marked) (\\d{4})\\.`, "g"))].map((m) => m[1]);
      expect(said, q![1]).toEqual([q![2]]);
    }
  });

  it("letters: the answer letter names the right option (colours: the colour the stem states), four-option positions balanced", () => {
    const pos = new Map<string, number>();
    for (const doc of sample("skill:letters", 600))
      for (const item of doc.split("\n\n").filter((x) => /\nAnswer: /.test(x))) {
        const options = new Map([...item.matchAll(/^([A-E])\. (.*)$/gm)].map((m) => [m[1], m[2]]));
        const [, letter, text] = item.match(/\nAnswer: ([A-E])(?:\. (.*))?$/)!;
        expect(options.has(letter), item).toBe(true);
        if (text !== undefined) expect(options.get(letter)).toBe(text);
        const colour = item.match(/ painted the \w+ (\w+)\. What color/);
        if (colour) expect(options.get(letter), item).toBe(colour[1]);
        if (options.size === 4) pos.set(letter, (pos.get(letter) ?? 0) + 1);
      }
    const four = ["A", "B", "C", "D"].map((l) => pos.get(l) ?? 0);
    const mean = four.reduce((a, b) => a + b) / 4;
    for (const n of four) expect(Math.abs(n - mean) / mean).toBeLessThan(0.15);
  });

  it("reading probes' wordings never occur in the corpus, and the checker finds a planted one", () => {
    expect(findLeaks({ corpus: texts, heldoutParagraphs: [], counterfactuals: [] })).toEqual([]);
    const planted = `Notes. ${PROBE_FORMATS.needle.replace("{name}", "red box").replace("{code}", "1234")}`;
    expect(findLeaks({ corpus: [planted], heldoutParagraphs: [], counterfactuals: [] })).toHaveLength(1);
  });
});
