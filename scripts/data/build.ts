// npm run data             build everything into data/ (see docs/data.md)
// npm run data -- --check  build, then fail if any output hash differs from the committed manifest
import { existsSync, readFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildData, type Output } from "../../loaders/data/build.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dataDir = join(root, "data");
const check = process.argv.includes("--check");
const manifestPath = join(dataDir, "manifest.json");
const before: Output[] | undefined = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")).outputs : undefined;

const t0 = Date.now();
const manifest = buildData(dataDir);
copyFileSync(join(dataDir, "NOTICE"), join(root, "NOTICE"));
const secs = ((Date.now() - t0) / 1000).toFixed(1);
const total = (pred: (o: Output) => boolean) => manifest.outputs.filter(pred).reduce((n, o) => n + o.bytes, 0);
console.log(`data: ${manifest.kb.facts} facts, corpus ${manifest.corpus.train_chars} chars / ${manifest.corpus.train_tokens} tokens in ${manifest.corpus.shards} shards, tasks ${Object.entries(manifest.tasks).map(([k, v]) => `${k}=${(v as { items: number }).items}`).join(" ")}`);
console.log(`data: committed outputs ${total((o) => o.committed)} bytes, uncommitted ${total((o) => !o.committed)} bytes, built in ${secs} s`);

if (check) {
  if (!before) {
    console.error("data --check: no committed data/manifest.json to compare with");
    process.exit(1);
  }
  const old = new Map(before.map((o) => [o.path, o.sha256]));
  const diffs = manifest.outputs.filter((o) => old.get(o.path) !== o.sha256).map((o) => o.path);
  const missing = before.filter((o) => !manifest.outputs.some((n) => n.path === o.path)).map((o) => o.path);
  if (diffs.length || missing.length) {
    console.error(`data --check: FAILED, outputs differ from the committed manifest: ${[...diffs, ...missing.map((m) => `${m} (missing)`)].join(", ")}`);
    process.exit(1);
  }
  console.log(`data --check: OK, all ${manifest.outputs.length} output hashes match the committed manifest`);
}
