// Data v3: training material that teaches the skills the suites test — reading a passage over
// memory, looking a key up in a long list, finding a needle in prose, binding an answer to its
// letter — in many formats, so the model learns to read rather than a template. Built from the
// training split only: demo facts, training prose and invented content (evaluation subjects,
// held-out prose and the probe formats below never appear). See ../../docs/data.md § Data v3.
import type { Fact } from "./kb.js";
import { inventedName, kvPrompt, kvRecords, LETTERS, mcqBody, mcqHeader, readPrompt } from "./formats.js";
import { fill, TEMPLATES } from "./templates.js";
import type { Rng } from "./util.js";

export interface SkillDoc {
  kind: string;
  text: string;
}

export interface SkillInputs {
  facts: Fact[];
  distractors: (f: Fact, rng: Rng, k: number) => string[];
  /** sentences of training (never held-out) prose, for haystacks and filler */
  prose: string[];
}

/** Documents per skill. Round 1 of the recipe probe (bench/train-results/recipe-probe-v3/) learned no
 *  lookup from 4,000 key–value documents with 1–4 queries each; MQAR models learn it from ~100 k
 *  examples (Zoology), so v3b asks many queries per list and adds copy snippets (Bi-Induct). */
export const SKILL_DOCS = { kv: 12000, copy: 4000, needle: 6000, reading: 5000, letters: 5000 } as const;

/** Approximate tokens of English text or records under kick's BPE (4 characters a token). */
const approxTokens = (s: string) => Math.ceil(s.length / 4);

/** Log-uniform length in [lo, hi]: many short items, some as long as the training context. */
const logUniform = (rng: Rng, lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + rng.next() * (Math.log(hi) - Math.log(lo))));

// Formats reserved for the independent reading checks (`PROBE_FORMATS`): never written into the
// corpus (test/data/leakage checks it), so a model that passes them reads rather than matches.
export const PROBE_FORMATS = {
  kvRecord: "{k} => {v}",
  kvQuestion: "Which number is stored under {k}?",
  needle: "Hidden note: the {name} combination reads {code}.",
  reading: "Consult the notes below before replying.",
};

const KV_RECORD = ["{k}: {v}", "{k} = {v}", "{k} -> {v}", "key {k} has value {v}", "{k}\t{v}", "[{k}] {v}", "{k} | {v}"];
const KV_HEADER = ["Below is a list of records.", "Records:", "The table below maps keys to values.", "Here are some keys and their values.", "Lookup table", "Registry entries follow."];
const KV_QUESTION = ["Question: What is the value of key {k}?\nAnswer:", "Q: What value does key {k} have?\nA:", "What is stored for {k}?\nValue:", "Look up {k}.\nResult:", "Find the value of {k}.\nAnswer:"];

/** Multi-query associative recall: a record list of random keys, then 2–16 lookups (MQAR-style): each
 *  answer is a supervised lookup, so many per list give the copy circuit its signal. */
function kvDoc(rng: Rng): string {
  const n = Math.max(3, Math.round(logUniform(rng, 30, 1900) / 7));
  const q = 2 + rng.int(15);
  if (rng.next() < 0.3) {
    // The suites' own format, one query: so that format's cue is in distribution too.
    const kv = kvRecords(rng, n);
    return `${kvPrompt(kv.records, kv.key)} ${kv.value}`;
  }
  const kv = kvRecords(rng, n);
  const rows = kv.records.split("\n").map((r) => r.split(": "));
  const rec = rng.pick(KV_RECORD);
  const body = rows.map(([k, v]) => rec.replace("{k}", k).replace("{v}", v)).join("\n");
  const asks = Array.from({ length: q }, () => {
    const [k, v] = rng.pick(rows);
    return `${rng.pick(KV_QUESTION).replace("{k}", k)} ${v}`;
  });
  return `${rng.pick(KV_HEADER)}\n\n${body}\n\n${asks.join("\n\n")}`;
}

const COPY_CUE = ["Repeat the list.", "Copy:", "Again:", "Once more, exactly:", "Say it back:"];

/** A random sequence written twice: the second copy is predictable only by looking back (an
 *  induction snippet, Sabry & Belz 2025), at lengths up to a few hundred tokens. */
function copyDoc(rng: Rng, prose: string[]): string {
  const n = logUniform(rng, 8, 160);
  const seq =
    rng.next() < 0.5
      ? Array.from({ length: n }, () => kvRecords(rng, 1).key).join(" ")
      : Array.from({ length: Math.max(1, Math.round(n / 12)) }, () => rng.pick(prose)).join(" ");
  return `${seq}\n\n${rng.pick(COPY_CUE)}\n${seq}`;
}

const NEEDLE_COLOR = ["blue", "red", "green", "silver", "amber", "black", "white", "golden", "grey", "violet", "orange", "brown"];
const NEEDLE_THING = ["door", "lamp", "river", "garden", "tower", "gate", "bridge", "chest", "box", "mill", "cellar", "well", "vault", "boat"];
const NEEDLE = [
  ["The pass code for the {name} is {code}.", "What is the pass code for the {name}?"],
  ["The secret number of the {name} is {code}.", "What is the secret number of the {name}?"],
  ["Remember this: the {name} opens with {code}.", "Which number opens the {name}?"],
  ["The key number for the {name} is {code}.", "What is the key number for the {name}?"],
  ["Note that the {name} is marked {code}.", "How is the {name} marked?"],
];

/** A needle sentence at a uniformly spread depth in consecutive training-prose sentences. */
function needleDoc(rng: Rng, prose: string[]): string {
  const budget = logUniform(rng, 48, 1900);
  const name = `${rng.pick(NEEDLE_COLOR)} ${rng.pick(NEEDLE_THING)}`;
  const code = String(1000 + rng.int(9000));
  const [say, ask] = rng.pick(NEEDLE);
  const hay: string[] = [];
  let used = 0;
  for (let i = rng.int(prose.length); used < budget; i = (i + 1) % prose.length) {
    hay.push(prose[i]);
    used += approxTokens(prose[i]) + 1;
  }
  hay.splice(rng.int(hay.length + 1), 0, fill(say.replace("{name}", name).replace("{code}", code), ""));
  const question = ask.replace("{name}", name);
  const cue = rng.next() < 0.5 ? `\n\nQuestion: ${question}\nAnswer:` : `\n\nQ: ${question}\nA:`;
  return `${hay.join(" ")}${cue} ${code}`;
}

const READ_HEADER = ["Read the text and answer the question.", "Answer the question using the passage.", "Use only the text below.", "Read carefully, then answer."];

/** Statements about other subjects (demo facts, invented countries) and prose filler around the key sentence. */
function passageAround(rng: Rng, key: string | null, demo: Fact[], prose: string[], avoid: string): string {
  const n = 2 + rng.int(10);
  const parts: string[] = key ? [key] : [];
  while (parts.length < n) {
    const r = rng.next();
    if (r < 0.6) {
      const g = rng.pick(demo);
      if (g.subject !== avoid) parts.push(fill(rng.pick(TEMPLATES[g.relation].state), g.subject, g.object));
    } else parts.push(rng.pick(prose));
  }
  return rng.shuffle(parts).join(" ");
}

/** The answer is in the passage only: invented subjects, counterfactual demo facts (objects swapped),
 *  true demo facts, and irrelevant passages where the answer comes from memory. */
function readingItem(rng: Rng, demo: Fact[], distractors: SkillInputs["distractors"], prose: string[], mention: (f: Fact) => void): string {
  const f = rng.pick(demo);
  const ask = fill(rng.pick(TEMPLATES[f.relation].ask), f.subject);
  const r = rng.next();
  let subject = f.subject;
  let answer = f.object;
  let key: string | null;
  if (r < 0.35) {
    // invented subject, real relation: nothing in memory can answer
    subject = inventedName(rng);
    answer = rng.pick(distractors(f, rng, 3));
    key = fill(rng.pick(TEMPLATES[f.relation].state), subject, answer);
  } else if (r < 0.65) {
    // counterfactual: the passage wins over memory (Longpre et al. 2021; KAFT)
    answer = rng.pick(distractors(f, rng, 3));
    key = fill(rng.pick(TEMPLATES[f.relation].state), f.subject, answer);
  } else if (r < 0.85) {
    mention(f);
    key = fill(rng.pick(TEMPLATES[f.relation].state), f.subject, f.object);
  } else {
    // irrelevant passage: the question is answered from memory
    mention(f);
    key = null;
  }
  const q = subject === f.subject ? ask : fill(rng.pick(TEMPLATES[f.relation].ask), subject);
  const passage = passageAround(rng, key, demo, prose, subject);
  const form = rng.int(3);
  if (form === 0) return `${readPrompt(passage, q)} ${answer}`;
  if (form === 1) return `${rng.pick(READ_HEADER)}\n\nPassage: ${passage}\n\nQ: ${q}\nA: ${answer}`;
  return `Context: ${passage}\nQuestion: ${q}\nAnswer: ${answer}`;
}

const COLORS = ["red", "green", "blue", "yellow", "white", "black", "purple", "orange", "pink", "brown"];
const OBJECTS = ["fence", "boat", "door", "kite", "wagon", "chair", "roof", "lantern", "cup", "hat"];

/** Letter binding (Wiegreffe et al. 2025's "Colors" task, then known facts): the right option's
 *  letter is balanced over positions, option counts vary (2–5), and the target is the letter alone
 *  or the letter with its text (Xue et al. 2024). */
function lettersDoc(rng: Rng, demo: Fact[], distractors: SkillInputs["distractors"], mention: (f: Fact) => void): string {
  const letters = [...LETTERS, "E"];
  const items: string[] = [];
  const fromFacts = rng.next() < 0.5;
  const f0 = rng.pick(demo);
  const header = fromFacts ? mcqHeader(TEMPLATES[f0.relation].subject) : "The following are questions about short stories (with answers).\n\n";
  for (let i = 0; i < 4; i++) {
    const k = rng.next() < 0.7 ? 4 : 2 + rng.int(4);
    let stem: string;
    let right: string;
    let wrong: string[];
    if (fromFacts) {
      const same = demo.filter((g) => g.relation === f0.relation);
      const f = rng.pick(same);
      mention(f);
      stem = fill(rng.pick(TEMPLATES[f.relation].ask), f.subject);
      right = f.object;
      wrong = distractors(f, rng, k - 1);
    } else {
      const who = inventedName(rng);
      const [color, ...others] = rng.sample(COLORS, k);
      const thing = rng.pick(OBJECTS);
      stem = `${who} painted the ${thing} ${color}. What color is the ${thing}?`;
      right = color;
      wrong = others;
    }
    const opts = rng.shuffle([right, ...wrong]);
    // four options: the suites' layout; other counts: the same layout with fewer or more letters
    const text = k === 4 ? mcqBody(stem, opts) : `${stem}\n${opts.map((o, j) => `${letters[j]}. ${o}`).join("\n")}\nAnswer:`;
    const letter = letters[opts.indexOf(right)];
    items.push(`${text} ${rng.next() < 0.7 ? letter : `${letter}. ${right}`}`);
  }
  return header + items.join("\n\n");
}

/** All skill documents, and how often each demo fact is stated truly inside them. */
export function buildSkills(inp: SkillInputs, rng: Rng): { docs: SkillDoc[]; mentions: Map<string, number> } {
  const demo = inp.facts.filter((f) => f.split === "demo");
  const mentions = new Map<string, number>();
  const mention = (f: Fact) => mentions.set(f.id, (mentions.get(f.id) ?? 0) + 1);
  const docs: SkillDoc[] = [];
  for (let i = 0; i < SKILL_DOCS.kv; i++) docs.push({ kind: "kv", text: kvDoc(rng) });
  for (let i = 0; i < SKILL_DOCS.copy; i++) docs.push({ kind: "copy", text: copyDoc(rng, inp.prose) });
  for (let i = 0; i < SKILL_DOCS.needle; i++) docs.push({ kind: "needle", text: needleDoc(rng, inp.prose) });
  for (let i = 0; i < SKILL_DOCS.reading; i++)
    docs.push({ kind: "reading", text: Array.from({ length: 4 }, () => readingItem(rng, demo, inp.distractors, inp.prose, mention)).join("\n\n") });
  for (let i = 0; i < SKILL_DOCS.letters; i++) docs.push({ kind: "letters", text: lettersDoc(rng, demo, inp.distractors, mention) });
  return { docs, mentions };
}
