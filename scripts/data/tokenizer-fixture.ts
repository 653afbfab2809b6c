// Writes test/fixtures/tokenizer/ts_ids.json: sample texts (corpus excerpts + tricky strings) with
// the ids kick's TypeScript encoders produce. test/reference/tokenizer_check.py encodes the same
// texts with the Python `tokenizers` library on the GPU host and writes python_ids.json.
// Usage: npx tsx scripts/data/tokenizer-fixture.ts   (after npm run data)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";
import { BpeEncoder } from "../../loaders/data/tokenizer/encode.js";
import { atomicWrite, sha256 } from "../../loaders/data/util.js";
import { TRICKY_STRINGS } from "../../loaders/data/tokenizer/tricky.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const tokPath = join(root, "data/tokenizer/tokenizer.json");
const tokText = readFileSync(tokPath, "utf8");
const json = JSON.parse(tokText);
const hf = new Tokenizer(json, {});
const fast = new BpeEncoder(json);

// Corpus sample: the first 3,000 characters of 12 documents of different kinds in shard 0.
const shard = readFileSync(join(root, "data/corpus/train-000.txt"), "utf8").split("<|endoftext|>");
const docs = JSON.parse("[" + readFileSync(join(root, "data/corpus/docs.jsonl"), "utf8").trim().split("\n").join(",") + "]") as { kind: string; shard: number }[];
const kinds = docs.filter((d) => d.shard === 0).map((d) => d.kind);
const picked = new Map<string, string>();
kinds.forEach((k, i) => {
  if (!picked.has(k) && picked.size < 12) picked.set(k, shard[i].slice(0, 3000));
});
const samples = [
  ...[...picked].map(([k, text]) => ({ name: `corpus:${k}`, text })),
  ...TRICKY_STRINGS.map((text, i) => ({ name: `tricky:${i}`, text })),
];
const out = {
  tokenizer_sha256: sha256(tokText),
  samples: samples.map((s) => ({ ...s, hf_js_ids: hf.encode(s.text, { add_special_tokens: false }).ids, fast_ids: s.text.includes("<|endoftext|>") ? null : fast.encode(s.text) })),
};
atomicWrite(join(root, "test/fixtures/tokenizer/ts_ids.json"), JSON.stringify(out) + "\n");
console.log(`wrote ${samples.length} samples (${samples.reduce((n, s) => n + s.text.length, 0)} chars)`);
