// Every task suite against its schema, plus cross-checks with the knowledge base that the
// schema alone cannot express.
import { describe, expect, it } from "vitest";
import { FactSchema, SCHEMAS, TASK_VERSION, type TaskName } from "../../loaders/data/tasks/schema.js";
import { readJsonl } from "./helpers.js";

const facts = readJsonl("kb/facts.jsonl").map((f) => FactSchema.parse(f));
const kb = new Map(facts.map((f) => [f.id, f]));

describe.each(Object.keys(SCHEMAS) as TaskName[])("suite %s", (name) => {
  const items = readJsonl<{ id: string; split: string; ci: boolean; task: string; version: string }>(`tasks/${name}.jsonl`);
  it("every item matches the schema", () => {
    items.forEach((it, i) => {
      const r = SCHEMAS[name].safeParse(it);
      expect(r.success, `${name} line ${i + 1}: ${r.success ? "" : r.error.message}`).toBe(true);
    });
  });
  it("has unique ids, the task name and version, hundreds of items and a CI subset of test items", () => {
    expect(new Set(items.map((x) => x.id)).size).toBe(items.length);
    expect(items.every((x) => x.task === name && x.version === TASK_VERSION)).toBe(true);
    expect(items.length).toBeGreaterThanOrEqual(170);
    const ci = items.filter((x) => x.ci);
    expect(ci.length).toBe(40);
    expect(ci.every((x) => x.split === "test")).toBe(true);
  });
});

describe("knowledge base", () => {
  it("has unique ids and one object per (relation, subject)", () => {
    expect(new Set(facts.map((f) => f.id)).size).toBe(facts.length);
    expect(new Set(facts.map((f) => `${f.relation}|${f.subject.toLowerCase()}`)).size).toBe(facts.length);
    expect(facts.every((f) => f.aliases.includes(f.object))).toBe(true);
  });
  it("mentions demo facts only in demonstrations", () => {
    expect(facts.filter((f) => f.split === "eval").every((f) => f.demo_mentions === 0)).toBe(true);
    expect(facts.filter((f) => f.split === "demo").some((f) => f.demo_mentions > 0)).toBe(true);
  });
  it("contains known facts from the sources", () => {
    const get = (rel: string, s: string) => facts.find((f) => f.relation === rel && f.subject === s)?.object;
    expect(get("country_capital", "France")).toBe("Paris");
    expect(get("element_symbol", "Iron")).toBe("Fe");
    expect(get("element_number", "Iron")).toBe("26");
    expect(get("state_capital", "Alabama")).toBe("Montgomery");
  });
});

describe("cross-checks with the knowledge base", () => {
  it("factoid items ask only eval facts, with the fact's answer and exposure", () => {
    for (const x of readJsonl<{ fact_id: string; answer: string; exposure: number; aliases: string[] }>("tasks/factoid_qa.jsonl")) {
      const f = kb.get(x.fact_id)!;
      expect(f.split).toBe("eval");
      expect([x.answer, x.exposure, x.aliases]).toEqual([f.object, f.exposure, f.aliases]);
    }
  });
  it("MCQ: the answer letter points at the fact's object, distractors are wrong, dev uses demo facts", () => {
    const items = readJsonl<{ fact_id: string; options: string[]; answer: string; split: string }>("tasks/mcq.jsonl");
    for (const x of items) {
      const f = kb.get(x.fact_id)!;
      expect(x.options["ABCD".indexOf(x.answer)]).toBe(f.object);
      expect(new Set(x.options).size).toBe(4);
      expect(x.options.filter((o) => f.aliases.includes(o)).length).toBe(1);
      expect(f.split).toBe(x.split === "dev" ? "demo" : "eval");
    }
    expect(items.filter((x) => x.split === "dev").length).toBeGreaterThanOrEqual(5 * 10);
  });
  it("ICR-QA: passages state the answer; counterfactual answers differ from the fact", () => {
    const items = readJsonl<{ passage: string; answer: string; counterfactual: boolean; original_answer: string; fact_id: string }>("tasks/icr_qa.jsonl");
    for (const x of items) {
      expect(x.passage).toContain(x.answer);
      expect(x.original_answer).toBe(kb.get(x.fact_id)!.object);
      if (x.counterfactual) expect(kb.get(x.fact_id)!.aliases.map((a) => a.toLowerCase())).not.toContain(x.answer.toLowerCase());
      else expect(x.answer).toBe(x.original_answer);
    }
    expect(items.filter((x) => x.counterfactual).length).toBeGreaterThan(500);
  });
  it("summarization has three length bins of 100 documents", () => {
    const items = readJsonl<{ bin: string; words: number; document: string }>("tasks/summarization.jsonl");
    for (const b of ["short", "medium", "long"]) expect(items.filter((x) => x.bin === b).length).toBe(100);
    for (const x of items) expect(x.words).toBe(x.document.split(/\s+/).filter(Boolean).length);
  });
  it("long-context items fit their context length and contain their answer", () => {
    for (const x of readJsonl<{ n_tokens: number; context_tokens: number; prompt: string; answer: string }>("tasks/long_context.jsonl")) {
      expect(x.n_tokens).toBeLessThanOrEqual(x.context_tokens);
      expect(x.n_tokens).toBeGreaterThan(x.context_tokens * 0.6);
      expect(x.prompt).toContain(x.answer);
    }
  });
  it("instruction checks hold for a solution computed here", () => {
    for (const x of readJsonl<{ family: string; instruction: string; check: { type: string; expected: string } }>("tasks/instruction.jsonl")) {
      const quoted = /"([^"]+)"/.exec(x.instruction)?.[1];
      const list = x.instruction.split(": ")[1]?.replace(/\? Answer with a number\.$/, "").split(" ");
      const solve: Record<string, () => string> = {
        uppercase: () => quoted!.toUpperCase(),
        first_letter: () => quoted![0],
        repeat: () => Array(Number(/ (\d+) times/.exec(x.instruction)![1])).fill(quoted).join(" "),
        reverse: () => [...list].reverse().join(" "),
        sort: () => [...list].sort().join(" "),
        count: () => String(list.length),
        join: () => list.join("-"),
      };
      expect(solve[x.family](), x.instruction).toBe(x.check.expected);
    }
  });
});
