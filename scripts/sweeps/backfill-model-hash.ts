// One-off migration of an exported results table (default data/results/) written before results rows carried
// `model_hash`: each row gets its run's hash from runs.parquet (loaders/sweep/results-identity.ts, the join the
// store's import and export use), in the schema's column order. Rows, their order, the other columns and the
// other tables are left as they are; a results row without a run refuses the migration. Idempotent.
//   npx tsx scripts/sweeps/backfill-model-hash.ts [EXPORT_DIR]
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { sqlString, withDuckDB } from "../../loaders/store/parquet.js";
import { resultsWithModelHash } from "../../loaders/sweep/results-identity.js";

const dir = process.argv[2] ?? "data/results";
const results = join(dir, "results.parquet");
const runs = join(dir, "runs.parquet");
await withDuckDB(async (run) => {
  const count = async (sql: string) => Number((await run(`SELECT count(*) AS n FROM (${sql})`))[0].n);
  const before = await count(`SELECT * FROM read_parquet(${sqlString(results)})`);
  const source = resultsWithModelHash(`read_parquet(${sqlString(results)})`, `read_parquet(${sqlString(runs)})`);
  const after = await count(source);
  if (after !== before) throw new Error(`${results}: ${before - after} of ${before} rows have no run in ${runs}; nothing was changed`);
  // as the store's export writes it (store.ts exportTables), so a later export of the same runs is byte-identical
  await run(`COPY (${source} ORDER BY ALL) TO ${sqlString(`${results}.tmp`)} (FORMAT parquet, COMPRESSION zstd)`);
  const hashes = await run(`SELECT model, model_hash, count(*)::INTEGER AS rows FROM read_parquet(${sqlString(`${results}.tmp`)}) GROUP BY ALL ORDER BY ALL`);
  for (const h of hashes) console.error(`[backfill] ${h.model} ${h.model_hash}: ${h.rows} rows`);
});
await rename(`${results}.tmp`, results);
console.error(`[backfill] ${results}: model_hash from ${runs}`);
