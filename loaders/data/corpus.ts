// The pretraining corpus: cleaned natural documents (minus held-out ones), fact statements at
// their planned exposure, and task-format demonstrations, shuffled into text shards.
import { cleanText, dedupe } from "./clean.js";
import type { DemoDoc } from "./demos.js";
import type { Fact } from "./kb.js";
import type { Doc } from "./sources/text.js";
import { fill, TEMPLATES } from "./templates.js";
import { Rng } from "./util.js";

export interface CorpusDoc {
  id: string;
  kind: string; // natural source name, "facts" or "demo:<kind>"
  text: string;
}

export interface Corpus {
  train: CorpusDoc[];
  heldout: Doc[];
  stats: { droppedDocs: number; droppedParagraphs: number };
}

/** Every fact stated `exposure` times, each time with a randomly chosen paraphrase, 20 per document. */
export function factDocs(facts: Fact[], seed: string): CorpusDoc[] {
  const rng = new Rng(`${seed}/facts`);
  const sentences: string[] = [];
  for (const f of facts) for (let i = 0; i < f.exposure; i++) sentences.push(fill(rng.pick(TEMPLATES[f.relation].state), f.subject, f.object));
  rng.shuffle(sentences);
  const docs: CorpusDoc[] = [];
  for (let i = 0; i < sentences.length; i += 20) {
    const chunk = sentences.slice(i, i + 20);
    const paras = [];
    for (let j = 0; j < chunk.length; j += 5) paras.push(chunk.slice(j, j + 5).join(" "));
    docs.push({ id: `facts/${docs.length}`, kind: "facts", text: paras.join("\n\n") });
  }
  return docs;
}

export function buildCorpus(raw: Doc[], facts: CorpusDoc[], demos: DemoDoc[], seed: string): Corpus {
  const cleaned = raw.map((d) => ({ ...d, text: cleanText(d.text, d.source === "wordnet") })).filter((d) => d.text.length > 0);
  const { docs, droppedDocs, droppedParagraphs } = dedupe(cleaned);
  const natural = docs.filter((d) => !d.heldout).map((d) => ({ id: d.id, kind: d.source, text: d.text }));
  const demoDocs = demos.map((d, i) => ({ id: `demo/${d.kind}/${i}`, kind: `demo:${d.kind}`, text: d.text }));
  const train = new Rng(`${seed}/corpus-order`).shuffle([...natural, ...facts, ...demoDocs]);
  return { train, heldout: docs.filter((d) => d.heldout), stats: { droppedDocs, droppedParagraphs } };
}

/** Split documents into shards of about `target` characters; documents are never cut. */
export function shard<T extends { text: string }>(docs: T[], target: number): T[][] {
  const out: T[][] = [[]];
  let size = 0;
  for (const d of docs) {
    if (size >= target) (out.push([]), (size = 0));
    out[out.length - 1].push(d);
    size += d.text.length;
  }
  return out;
}
