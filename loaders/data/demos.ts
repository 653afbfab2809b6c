// Task-format demonstrations for the training corpus, drawn only from demo facts, training
// man pages and invented content, so that a small model learns the evaluation formats.
import { fill, TEMPLATES } from "./templates.js";
import type { Fact } from "./kb.js";
import { instructPrompt, inventedPassage, kvPrompt, kvRecords, LETTERS, makeInstruction, mcqBody, mcqHeader, qaPrompt, readPrompt, summaryPrompt } from "./formats.js";
import type { ManPage } from "./sources/manpages.js";
import { Rng } from "./util.js";

/** Question→answer demonstrations per demo fact, and MCQ demonstration documents (4 items each). */
const QA_PER_FACT = 8;
const MCQ_DOCS = 3000;

export interface DemoDoc {
  kind: string;
  text: string;
}

export interface DemoInputs {
  facts: Fact[];
  distractors: (f: Fact, rng: Rng, k: number) => string[];
  manTrain: ManPage[];
  vocab: string[];
}

/** Builds demonstration documents and counts how often each demo fact is stated in them. */
export function buildDemos(inp: DemoInputs, seed: string): { docs: DemoDoc[]; mentions: Map<string, number> } {
  const rng = new Rng(`${seed}/demos`);
  const mentions = new Map<string, number>();
  const mention = (f: Fact) => mentions.set(f.id, (mentions.get(f.id) ?? 0) + 1);
  const demo = inp.facts.filter((f) => f.split === "demo");
  const docs: DemoDoc[] = [];
  const group = (kind: string, n: number, per: number, make: () => string) => {
    for (let i = 0; i < n; i++) docs.push({ kind, text: Array.from({ length: per }, make).join("\n\n") });
  };

  // Mixed training (Allen-Zhu & Li, "Physics of Language Models 3.1"): a small model only learns to
  // answer questions about facts it read as statements when it also sees question→answer pairs for
  // a good share of facts, asked in several wordings. Every demo fact is asked QA_PER_FACT times.
  const qa = rng.shuffle(demo.flatMap((f) => Array.from({ length: QA_PER_FACT }, () => f)));
  for (let i = 0; i < qa.length; i += 5)
    docs.push({
      kind: "qa",
      text: qa.slice(i, i + 5).map((f) => {
        mention(f);
        return `${qaPrompt(fill(rng.pick(TEMPLATES[f.relation].ask), f.subject))} ${f.object}`;
      }).join("\n\n"),
    });
  for (let i = 0; i < MCQ_DOCS; i++) {
    const f0 = rng.pick(demo);
    const same = demo.filter((f) => TEMPLATES[f.relation].subject === TEMPLATES[f0.relation].subject);
    const items = Array.from({ length: 4 }, () => {
      const f = rng.pick(same);
      mention(f);
      const opts = rng.shuffle([f.object, ...inp.distractors(f, rng, 3)]);
      return `${mcqBody(fill(rng.pick(TEMPLATES[f.relation].ask), f.subject), opts)} ${LETTERS[opts.indexOf(f.object)]}`;
    });
    docs.push({ kind: "mcq", text: mcqHeader(TEMPLATES[f0.relation].subject) + items.join("\n\n") });
  }
  group("reading", 500, 3, () => {
    if (rng.next() < 0.6) {
      const p = inventedPassage(rng);
      return `${readPrompt(p.passage, p.q)} ${p.a}`;
    }
    const f = rng.pick(demo);
    mention(f);
    const others = rng.sample(demo.filter((g) => g.subject !== f.subject), 2).map((g) => {
      mention(g);
      return fill(rng.pick(TEMPLATES[g.relation].state), g.subject, g.object);
    });
    const passage = rng.shuffle([fill(rng.pick(TEMPLATES[f.relation].state), f.subject, f.object), ...others]).join(" ");
    return `${readPrompt(passage, fill(rng.pick(TEMPLATES[f.relation].ask), f.subject))} ${f.object}`;
  });
  for (const m of inp.manTrain) docs.push({ kind: "summary", text: `${summaryPrompt(m.description)} ${m.summary}` });
  for (let i = 0; i < 600; i++) {
    const kv = kvRecords(rng, 4 + rng.int(120));
    docs.push({ kind: "kv", text: `${kvPrompt(kv.records, kv.key)} ${kv.value}` });
  }
  group("instruction", 1000, 4, () => {
    const x = makeInstruction(rng, inp.vocab);
    return `${instructPrompt(x.instruction)} ${x.response}`;
  });
  return { docs, mentions };
}
