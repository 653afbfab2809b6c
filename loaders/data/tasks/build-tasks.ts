// Builds every evaluation suite from the knowledge base, man pages, held-out text and generators.
// Evaluation questions ask about eval facts — facts that were only ever *stated* in the corpus, never
// asked — in the question wordings of the training demonstrations (which asked about demo facts).
// This is knowledge extraction on held-out facts as in Allen-Zhu & Li ("Physics of Language Models
// 3.1"); a model of a few million parameters cannot also generalise to unseen question wordings
// (measured: scripts/gpu-host/proxy_recipe.py, docs/train.md). Demo facts feed only the MCQ dev split.
import { fill, TEMPLATES } from "../templates.js";
import type { Fact } from "../kb.js";
import { instructPrompt, kvPrompt, kvRecords, LETTERS, makeInstruction, mcqBody, mcqHeader, qaPrompt, readPrompt, summaryPrompt } from "../formats.js";
import type { ManPage } from "../sources/manpages.js";
import type { Doc } from "../sources/text.js";
import { Rng, words } from "../util.js";
import { TASK_VERSION, type TaskItem, type TaskName } from "./schema.js";

export interface TaskInputs {
  facts: Fact[];
  distractors: (f: Fact, rng: Rng, k: number) => string[];
  manTest: ManPage[];
  heldout: Doc[];
  vocab: string[];
  countTokens: (s: string) => number;
}

const CI_PER_TASK = 40;
export const CONTEXT_LENGTHS = [256, 512, 1024, 2048];
export const DEPTHS = [0, 0.25, 0.5, 0.75, 1];
const PPL_PIECE_TOKENS = 512;
const PPL_PIECES_PER_SOURCE = 50;

/** Mark `CI_PER_TASK` test items (spread deterministically) as the CI subset (all of them when there are fewer). */
export function withCi<T extends { split: "dev" | "test"; ci: boolean }>(items: T[], seed: string): T[] {
  const test = items.map((_, i) => i).filter((i) => items[i].split === "test");
  for (const i of new Rng(seed).sample(test, CI_PER_TASK)) items[i].ci = true;
  return items;
}

export const head = <T extends TaskName>(task: T, id: string, split: "dev" | "test" = "test") => ({ id: `${task}/${id}`, task, version: TASK_VERSION, split, ci: false }) as const;
/** The question for an eval fact: one of the relation's trained wordings, fixed per fact. */
const evalQ = (f: Fact) => {
  const asks = TEMPLATES[f.relation].ask;
  return fill(asks[new Rng(`wording/${f.id}`).int(asks.length)], f.subject);
};

function factoid(inp: TaskInputs): TaskItem<"factoid_qa">[] {
  return inp.facts
    .filter((f) => f.split === "eval")
    .map((f) => ({ ...head("factoid_qa", f.id), question: evalQ(f), prompt: qaPrompt(evalQ(f)), answer: f.object, aliases: f.aliases, fact_id: f.id, relation: f.relation, category: TEMPLATES[f.relation].subject, exposure: f.exposure as 1 }));
}

function mcq(inp: TaskInputs, seed: string): TaskItem<"mcq">[] {
  const rng = new Rng(`${seed}/mcq`);
  const item = (f: Fact, split: "dev" | "test"): TaskItem<"mcq"> => {
    const options = rng.shuffle([f.object, ...inp.distractors(f, rng, 3)]);
    const q = split === "dev" ? fill(TEMPLATES[f.relation].ask[0], f.subject) : evalQ(f);
    return { ...head("mcq", `${split}/${f.id}`, split), subject: TEMPLATES[f.relation].subject, question: q, options, answer: LETTERS[options.indexOf(f.object)], fact_id: f.id, relation: f.relation, exposure: f.exposure as 1 };
  };
  const out: TaskItem<"mcq">[] = [];
  const subjects = [...new Set(inp.facts.map((f) => TEMPLATES[f.relation].subject))];
  for (const s of subjects) {
    const fs = inp.facts.filter((f) => TEMPLATES[f.relation].subject === s);
    out.push(...rng.sample(fs.filter((f) => f.split === "demo"), 5).map((f) => item(f, "dev")));
    out.push(...rng.sample(fs.filter((f) => f.split === "eval"), 250).map((f) => item(f, "test")));
  }
  return out;
}

/** Reading QA: a passage of three statements about different subjects; half the items swap the
 *  asked fact's object for another object of the same relation (counterfactual). */
function icr(inp: TaskInputs, seed: string): TaskItem<"icr_qa">[] {
  const rng = new Rng(`${seed}/icr`);
  const ev = inp.facts.filter((f) => f.split === "eval");
  const known = new Set(inp.facts.map((f) => `${f.relation}\u0000${f.subject}\u0000${f.object}`.toLowerCase()));
  const out: TaskItem<"icr_qa">[] = [];
  for (const f of rng.sample(ev, 600)) {
    for (const cf of [false, true]) {
      let answer = f.object;
      if (cf) {
        const alt = inp.distractors(f, rng, 5).find((o) => !known.has(`${f.relation}\u0000${f.subject}\u0000${o}`.toLowerCase()));
        if (!alt) continue;
        answer = alt;
      }
      const others = rng.sample(ev.filter((g) => g.subject !== f.subject), 2).map((g) => fill(rng.pick(TEMPLATES[g.relation].state), g.subject, g.object));
      const passage = rng.shuffle([fill(rng.pick(TEMPLATES[f.relation].state), f.subject, answer), ...others]).join(" ");
      const q = evalQ(f);
      out.push({ ...head("icr_qa", `${f.id}/${cf ? "cf" : "fact"}`), passage, question: q, closed_prompt: qaPrompt(q), open_prompt: readPrompt(passage, q), answer, aliases: cf ? [answer] : f.aliases, counterfactual: cf, original_answer: f.object, fact_id: f.id, relation: f.relation, exposure: f.exposure as 1 });
    }
  }
  return out;
}

export const summaryBin = (w: number): "short" | "medium" | "long" | undefined => (w <= 150 ? "short" : w <= 400 ? "medium" : w <= 800 ? "long" : undefined);

function summarization(inp: TaskInputs, seed: string): TaskItem<"summarization">[] {
  const rng = new Rng(`${seed}/summ`);
  const out: TaskItem<"summarization">[] = [];
  for (const b of ["short", "medium", "long"] as const) {
    const pages = inp.manTest.filter((m) => summaryBin(words(m.description)) === b);
    for (const m of rng.sample(pages, 100))
      out.push({ ...head("summarization", m.id), document: m.description, summary: m.summary, prompt: summaryPrompt(m.description), bin: b, words: words(m.description), source_id: m.id });
  }
  return out;
}

/** Key–value lookups and needles in held-out prose, filled to about `context_tokens` tokens. */
function longContext(inp: TaskInputs, seed: string): TaskItem<"long_context">[] {
  const rng = new Rng(`${seed}/long`);
  const out: TaskItem<"long_context">[] = [];
  // Haystack units are sentences of held-out prose, so any length can be filled closely.
  const prose = inp.heldout.filter((d) => d.source === "austen" || d.source === "sotu").flatMap((d) => d.text.split(/(?<=[.!?])\s+/)).filter((s) => s.length < 600);
  for (const len of CONTEXT_LENGTHS)
    for (const depth of DEPTHS)
      for (let r = 0; r < 8; r++) {
        // kv: about 7 tokens per record.
        let n = Math.max(4, Math.round(len / 7));
        let kv = kvRecords(rng, n, depth);
        let prompt = kvPrompt(kv.records, kv.key);
        while (inp.countTokens(prompt) > len && n > 4) {
          n = Math.floor(n * 0.9);
          kv = kvRecords(rng, n, depth);
          prompt = kvPrompt(kv.records, kv.key);
        }
        out.push({ ...head("long_context", `kv/${len}/${depth}/${r}`), kind: "kv", context_tokens: len, n_tokens: inp.countTokens(prompt), depth, prompt, answer: kv.value });
        // needle: a pass code sentence inside consecutive held-out sentences.
        const code = String(1000 + rng.int(9000));
        const name = `${rng.pick(["blue", "red", "green", "silver", "amber"])} ${rng.pick(["door", "lamp", "river", "garden", "tower"])}`;
        const needle = `The pass code for the ${name} is ${code}.`;
        const question = `\n\nQuestion: What is the pass code for the ${name}?\nAnswer:`;
        const budget = len - inp.countTokens(needle + question) - 8;
        let start = rng.int(Math.max(1, prose.length - 400));
        const hay: string[] = [];
        let used = 0;
        while (start < prose.length) {
          const t = inp.countTokens(prose[start]) + 1;
          if (used + t > budget) break;
          hay.push(prose[start++]);
          used += t;
        }
        hay.splice(Math.round(depth * hay.length), 0, needle);
        const np = hay.join(" ") + question;
        out.push({ ...head("long_context", `needle/${len}/${depth}/${r}`), kind: "needle", context_tokens: len, n_tokens: inp.countTokens(np), depth, prompt: np, answer: code });
      }
  return out;
}

function instruction(inp: TaskInputs, seed: string): TaskItem<"instruction">[] {
  const rng = new Rng(`${seed}/instruct`);
  return Array.from({ length: 1000 }, (_, i) => {
    const x = makeInstruction(rng, inp.vocab);
    return { ...head("instruction", String(i).padStart(4, "0")), family: x.family, instruction: x.instruction, prompt: instructPrompt(x.instruction), check: x.check };
  });
}

/** Held-out documents cut at paragraph boundaries into pieces of at most ~512 tokens. */
function perplexity(inp: TaskInputs, seed: string): TaskItem<"perplexity">[] {
  const rng = new Rng(`${seed}/ppl`);
  const out: TaskItem<"perplexity">[] = [];
  for (const src of [...new Set(inp.heldout.map((d) => d.source))].sort()) {
    const pieces: { doc: Doc; text: string }[] = [];
    for (const d of inp.heldout.filter((x) => x.source === src)) {
      // Units are paragraphs; paragraphs longer than a piece (SOTU addresses have no breaks) are
      // cut at sentence ends. Each unit keeps the separator that preceded it in the document.
      const units = d.text.split("\n\n").flatMap((p) =>
        (inp.countTokens(p) > PPL_PIECE_TOKENS ? p.split(/(?<=[.!?])\s+/) : [p]).map((u, i) => ({ u, sep: i === 0 ? "\n\n" : " " })),
      );
      let cur = "";
      let n = 0;
      for (const { u, sep } of units) {
        const t = inp.countTokens(u);
        if (n + t > PPL_PIECE_TOKENS && cur) (pieces.push({ doc: d, text: cur }), (cur = ""), (n = 0));
        cur = cur ? cur + sep + u : u;
        n += t;
      }
      if (cur) pieces.push({ doc: d, text: cur });
    }
    rng.sample(pieces, PPL_PIECES_PER_SOURCE).forEach((p, i) => out.push({ ...head("perplexity", `${src}/${i}`), doc_id: p.doc.id, source: src, title: p.doc.title, text: p.text, n_tokens: inp.countTokens(p.text) }));
  }
  return out;
}

export function buildTasks(inp: TaskInputs, seed: string): { [T in TaskName]: TaskItem<T>[] } {
  return {
    factoid_qa: withCi(factoid(inp), `${seed}/ci/factoid`),
    mcq: withCi(mcq(inp, seed), `${seed}/ci/mcq`),
    icr_qa: withCi(icr(inp, seed), `${seed}/ci/icr`),
    summarization: withCi(summarization(inp, seed), `${seed}/ci/summ`),
    long_context: withCi(longContext(inp, seed), `${seed}/ci/long`),
    instruction: withCi(instruction(inp, seed), `${seed}/ci/instr`),
    perplexity: withCi(perplexity(inp, seed), `${seed}/ci/ppl`),
  };
}
