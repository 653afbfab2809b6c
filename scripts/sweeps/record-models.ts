// One-off backfill of the models table of an exported store (default data/results/), for runs made before the
// runner recorded model cards: for each model folder given (default data/models/kick-s, kick-m, kick-l), its
// weights hash is computed as the plans compute it (modelWeightsHash); if runs.parquet has runs with that hash,
// the folder's card (README.md, config.json) is added under the runs' model name(s), replacing an earlier row of
// the same (model, model_hash). models.parquet is rewritten atomically; the other tables are left as they are.
//   npx tsx scripts/sweeps/record-models.ts [--export DIR] [MODEL_DIR ...]
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readModelSpec } from "../../loaders/model/config.js";
import { readParquet, sqlString, withDuckDB, writeParquet, type Row } from "../../loaders/store/parquet.js";
import { modelWeightsHash } from "../../loaders/sweep/models.js";
import { modelCardRow } from "../../loaders/sweep/runner.js";
import { MODELS_SCHEMA, ModelRow } from "../../loaders/sweep/schema.js";
import { byModel, modelKey as key } from "../../loaders/sweep/store.js";

const { values, positionals } = parseArgs({ options: { export: { type: "string", default: "data/results" } }, allowPositionals: true });
const exportDir = values.export!;
const modelDirs = positionals.length ? positionals : ["kick-s", "kick-m", "kick-l"].map((m) => join("data/models", m));
const runsFile = join(exportDir, "runs.parquet");
const modelsFile = join(exportDir, "models.parquet");
if (!existsSync(runsFile)) throw new Error(`${runsFile} not found: give the folder of an export (--export DIR)`);

const rows = new Map<string, ModelRow>();
if (existsSync(modelsFile)) for (const r of await readParquet(modelsFile)) rows.set(key(r as ModelRow), ModelRow.parse(r));
const before = rows.size;

for (const dir of modelDirs) {
  const hash = await modelWeightsHash(dir);
  const runs = await withDuckDB((run) =>
    run(`SELECT model, count(*)::INTEGER AS n FROM read_parquet(${sqlString(runsFile)}) WHERE model_hash = ${sqlString(hash)} GROUP BY model ORDER BY model`),
  );
  if (runs.length === 0) {
    console.error(`[record-models] ${dir}: weights hash ${hash} has no runs in ${runsFile}; skipped`);
    continue;
  }
  const spec = readModelSpec(dir);
  for (const r of runs) {
    const row = ModelRow.parse(modelCardRow({ name: String(r.model), dir, hash }, spec));
    console.error(`[record-models] ${dir}: ${row.model} ${hash} (${r.n} runs, ${row.model_params} parameters, ${row.family}, card ${row.card.length} chars)${rows.has(key(row)) ? " replaces the earlier row" : ""}`);
    rows.set(key(row), row);
  }
}

const sorted = [...rows.values()].sort(byModel);
await writeParquet(sorted as Row[], MODELS_SCHEMA, modelsFile); // atomic: temp file, then rename
console.error(`[record-models] wrote ${sorted.length} row(s) to ${modelsFile} (${before} before)`);
