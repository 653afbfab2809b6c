/**
 * Writes checkpoints with kick's save.ts for the GPU host to reload with HF transformers
 * (make_model_fixtures.py compares HF's logits with the kick_logits.json written here).
 *
 *   npx tsx test/reference/make_kick_written_models.ts [OUT_DIR]   (default test/fixtures/models/written-by-kick)
 *
 * Each is modified first (so the check is not "copy a file"): llama pruned and saved as bfloat16 in shards,
 * gpt2 (Conv1D fusion and transposition on the way out) as float16, qwen2 (tied, qkv bias) as float32.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { saveModel } from "../../loaders/model/save.js";
import type { SaveDtype } from "../../loaders/model/save.js";

const fixtures = fileURLToPath(new URL("../fixtures/models/", import.meta.url));
const out = process.argv[2] ?? join(fixtures, "written-by-kick");
mkdirSync(out, { recursive: true });

const plans: { name: string; dtype: SaveDtype; maxShardBytes?: number; modify: (w: Map<string, Float32Array>) => void }[] = [
  {
    name: "llama",
    dtype: "bfloat16",
    maxShardBytes: 40_000,
    modify: (w) => w.get("layers.0.q.weight")!.forEach((_, i, a) => { if (i % 2) a[i] = 0; }), // 50% pruned
  },
  { name: "gpt2", dtype: "float16", modify: (w) => w.get("layers.1.k.weight")!.forEach((v, i, a) => { a[i] = v * 1.5; }) },
  { name: "qwen2", dtype: "float32", modify: (w) => w.get("layers.0.v.bias")!.fill(0.25) },
];

for (const p of plans) {
  const src = join(fixtures, p.name);
  const { model, opened } = await loadReferenceModel(src);
  p.modify(model.weights);
  const dir = join(out, p.name);
  const files = await saveModel(dir, { sourceDir: src, spec: opened.spec, weights: model.weights, dtype: p.dtype, maxShardBytes: p.maxShardBytes, overwrite: true });
  // kick's logits from the checkpoint as written (so rounding to bf16/f16 is on both sides)
  const reread = await loadReferenceModel(dir);
  const ids = JSON.parse((await import("node:fs")).readFileSync(join(src, "reference.json"), "utf8")).prompts[0].ids as number[];
  const lg = await reread.model.forward({ ids: [ids] });
  const rows: number[][] = [];
  for (let t = 0; t < lg.length; t++) rows.push(Array.from(lg.data.subarray(t * lg.vocab, (t + 1) * lg.vocab)));
  writeFileSync(join(dir, "kick_logits.json"), JSON.stringify({ ids, logits: rows }));
  console.log(`${p.name}: ${p.dtype}, files ${files.join(" ")}`);
}
