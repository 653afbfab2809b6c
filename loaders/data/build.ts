// The whole data build: sources → knowledge base → corpus (facts + demos) → tokenizer → token
// shards → task suites → NOTICE + manifest. Deterministic: same packages and seed, same bytes.
import { mkdirSync, renameSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { buildCorpus, factDocs, shard } from "./corpus.js";
import { buildDemos } from "./demos.js";
import { buildKb, EXPOSURE_BINS, makeDistractors } from "./kb.js";
import { findLeaks } from "./leakage.js";
import { buildNotice } from "./notice.js";
import { readRawFacts } from "./sources/facts.js";
import { readManPages } from "./sources/manpages.js";
import { DEBS, NPMS } from "./sources/pins.js";
import { readAllDocs } from "./sources/text.js";
import { buildSkills } from "./skills.js";
import { buildTasks, summaryBin } from "./tasks/build-tasks.js";
import { FactSchema, SCHEMAS, type TaskName } from "./tasks/schema.js";
import { TEMPLATES } from "./templates.js";
import { BpeEncoder } from "./tokenizer/encode.js";
import { preTokenize } from "./tokenizer/byte-level.js";
import { EOS, toTokenizerJson } from "./tokenizer/tokenizer-json.js";
import { trainBpe } from "./tokenizer/train-bpe.js";
import { atomicWrite, Rng, sha256, toJsonl, words } from "./util.js";

export const SEED = "kick-data-v1";
export const VOCAB_SIZE = 8192; // including the one special token
export const SHARD_CHARS = 8_000_000;
export const DOC_SEPARATOR = EOS;

export interface Output {
  path: string; // relative to the data dir
  sha256: string;
  bytes: number;
  committed: boolean;
}

const log = (msg: string) => process.stderr.write(`[data] ${msg}\n`);
const countBy = <T>(xs: T[], key: (x: T) => string) => {
  const m: Record<string, number> = {};
  for (const x of xs) m[key(x)] = (m[key(x)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(m).sort());
};

/** Build into `outDir` (written to `<outDir>.tmp` first, then moved into place). Returns the manifest. */
export function buildData(outDir: string) {
  const t0 = Date.now();
  const tmp = `${outDir}.tmp-build`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const outputs: Output[] = [];
  const write = (rel: string, data: string | Uint8Array, committed: boolean) => {
    atomicWrite(join(tmp, rel), data);
    outputs.push({ path: rel, sha256: sha256(data), bytes: typeof data === "string" ? Buffer.byteLength(data) : data.length, committed });
  };

  log("reading sources");
  const raw = readAllDocs();
  const facts = buildKb(readRawFacts(), SEED);
  const distractors = makeDistractors(facts);
  const man = readManPages();
  const manRng = new Rng(`${SEED}/man-split`);
  const manTestIds = new Set<string>();
  for (const b of ["short", "medium", "long"]) for (const m of manRng.sample(man.filter((p) => summaryBin(words(p.description)) === b), 120)) manTestIds.add(m.id);
  const manTest = man.filter((m) => manTestIds.has(m.id));
  const manTrain = man.filter((m) => !manTestIds.has(m.id) && words(m.description) <= 1500);

  // Instruction vocabulary: plain lowercase words that are common in the natural text.
  const wc = new Map<string, number>();
  for (const d of raw) if (!d.heldout) for (const w of d.text.match(/\b[a-z]{3,8}\b/g) ?? []) wc.set(w, (wc.get(w) ?? 0) + 1);
  const vocab = [...wc].filter(([, n]) => n >= 300).map(([w]) => w).sort();

  log(`knowledge base: ${facts.length} facts; building corpus`);
  const demos = buildDemos({ facts, distractors, manTrain, vocab }, SEED);
  const corpus = buildCorpus(raw, factDocs(facts, SEED), demos.docs, SEED);

  log(`corpus: ${corpus.train.length} training docs, ${corpus.heldout.length} held out; training tokenizer`);
  const pre = new Map<string, number>();
  for (const d of corpus.train) for (const w of preTokenize(d.text)) pre.set(w, (pre.get(w) ?? 0) + 1);
  const tokJson = toTokenizerJson(trainBpe(pre, VOCAB_SIZE - 1));
  write("tokenizer/tokenizer.json", tokJson, true);
  const enc = new BpeEncoder(JSON.parse(tokJson));

  // Data v3's skill material joins the corpus after the tokenizer is trained on the v2 documents, so
  // the tokenizer, the task suites (their token counts) and the v2 models' compatibility are unchanged.
  const proseSentences = corpus.train
    .filter((d) => d.kind !== "facts" && !d.kind.startsWith("demo:"))
    .flatMap((d) => d.text.split(/(?<=[.!?])\s+/))
    .filter((x) => x.length >= 20 && x.length < 400);
  const skillRng = new Rng(`${SEED}/skills-v3`);
  const skills = buildSkills({ facts, distractors, prose: proseSentences }, skillRng);
  const train = [...corpus.train];
  skills.docs.forEach((d, i) => train.splice(skillRng.int(train.length + 1), 0, { id: `skill/${d.kind}/${i}`, kind: `skill:${d.kind}`, text: d.text }));
  for (const [id, n] of skills.mentions) demos.mentions.set(id, (demos.mentions.get(id) ?? 0) + n);

  log(`writing corpus and token shards (${skills.docs.length} skill documents added)`);
  const shards = shard(train, SHARD_CHARS);
  let trainTokens = 0;
  shards.forEach((docs, i) => {
    const name = `train-${String(i).padStart(3, "0")}`;
    write(`corpus/${name}.txt`, docs.map((d) => d.text).join(DOC_SEPARATOR), false);
    const ids: number[] = [];
    for (const d of docs) {
      for (const id of enc.encode(d.text)) ids.push(id);
      ids.push(enc.eosId);
    }
    trainTokens += ids.length;
    write(`tokens/${name}.bin`, new Uint8Array(Uint16Array.from(ids).buffer), false);
  });
  write("corpus/docs.jsonl", toJsonl(shards.flatMap((docs, s) => docs.map((d) => ({ id: d.id, kind: d.kind, shard: s, chars: d.text.length })))), false);
  write("corpus/heldout.jsonl", toJsonl(corpus.heldout.map((d) => ({ id: d.id, source: d.source, title: d.title, text: d.text }))), false);

  // statements = declarative paraphrases injected (the planned exposure); demo_mentions = extra
  // statements inside training demonstrations (demo facts only).
  const kbRows = facts.map((f) => FactSchema.parse({ ...f, category: TEMPLATES[f.relation].subject, statements: f.exposure, demo_mentions: demos.mentions.get(f.id) ?? 0 }));
  write("kb/facts.jsonl", toJsonl(kbRows), true);

  log("building task suites");
  const tasks = buildTasks({ facts, distractors, manTest, heldout: corpus.heldout, vocab, countTokens: (s) => enc.encode(s).length }, SEED);
  const taskCounts: Record<string, unknown> = {};
  for (const [name, items] of Object.entries(tasks) as [TaskName, { split: string; ci: boolean }[]][]) {
    items.forEach((it, i) => {
      const r = SCHEMAS[name].safeParse(it);
      if (!r.success) throw new Error(`task ${name} item ${i}: ${r.error.message}`);
    });
    write(`tasks/${name}.jsonl`, toJsonl(items), true);
    const extra = (k: string) => (items[0] && k in (items[0] as object) ? { [k]: countBy(items, (x) => String((x as Record<string, unknown>)[k])) } : {});
    taskCounts[name] = { items: items.length, split: countBy(items, (x) => x.split), ci: items.filter((x) => x.ci).length, ...extra("exposure"), ...extra("relation"), ...extra("subject"), ...extra("bin"), ...extra("kind"), ...extra("context_tokens"), ...extra("family"), ...extra("counterfactual"), ...extra("source") };
  }

  const byId = new Map(facts.map((f) => [f.id, f]));
  const leaks = findLeaks({
    corpus: train.map((d) => d.text),
    heldoutParagraphs: corpus.heldout.flatMap((d) => d.text.split("\n\n")),
    counterfactuals: tasks.icr_qa.filter((x) => x.counterfactual).map((x) => ({ subject: byId.get(x.fact_id)!.subject, relation: byId.get(x.fact_id)!.relation, answer: x.answer })),
  });
  if (leaks.length) throw new Error(`leakage between corpus and evaluation (${leaks.length}):\n${leaks.slice(0, 20).join("\n")}`);

  write("NOTICE", buildNotice(), true);

  const kindStats: Record<string, { docs: number; chars: number }> = {};
  for (const d of train) {
    const k = (kindStats[d.kind] ??= { docs: 0, chars: 0 });
    k.docs++;
    k.chars += d.text.length;
  }
  const manifest = {
    name: "kick-data",
    version: 1,
    seed: SEED,
    sources: { debian: Object.values(DEBS).map(({ name, version, sha256, licence }) => ({ name, version, sha256, licence })), npm: Object.values(NPMS).map(({ name, version, licence }) => ({ name, version, licence })) },
    tokenizer: { type: "byte-level BPE", vocab_size: VOCAB_SIZE, special_tokens: { [EOS]: enc.eosId }, token_dtype: "uint16le", doc_separator_text: DOC_SEPARATOR, doc_separator_token: enc.eosId },
    corpus: {
      recipe: "v3",
      train_docs: train.length,
      train_chars: train.reduce((n, d) => n + d.text.length, 0),
      train_tokens: trainTokens,
      shards: shards.length,
      by_kind: Object.fromEntries(Object.entries(kindStats).sort()),
      heldout_docs: countBy(corpus.heldout, (d) => d.source),
      dedup: corpus.stats,
    },
    kb: {
      facts: facts.length,
      exposure_bins: EXPOSURE_BINS,
      by_relation: countBy(facts, (f) => f.relation),
      by_category: countBy(facts, (f) => TEMPLATES[f.relation].subject),
      by_exposure: countBy(facts, (f) => String(f.exposure)),
      by_split: countBy(facts, (f) => f.split),
      fact_statements: facts.reduce((n, f) => n + f.exposure, 0),
    },
    tasks: taskCounts,
    outputs: outputs.sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
  atomicWrite(join(tmp, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
  // Move the generated paths into place (other things under outDir, e.g. models/, are untouched).
  mkdirSync(outDir, { recursive: true });
  for (const top of ["tokenizer", "corpus", "tokens", "kb", "tasks", "NOTICE", "manifest.json"]) {
    const dst = join(outDir, top);
    if (existsSync(dst)) rmSync(dst, { recursive: true, force: true });
    renameSync(join(tmp, top), dst);
  }
  rmSync(tmp, { recursive: true, force: true });
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return manifest;
}
