// One-off migration of an exported results table (default data/results/): recompute each row's `method` from its
// run's compression spec (runs.parquet) with the current compressionColumns, so runs made before the method column
// named OWL / act-order / true-sequential / sym (loaders/sweep/compression-methods.ts methodLabel) read like new
// ones. Only that column changes; the rows, their order and the other tables are left as they are.
//   npx tsx scripts/sweeps/relabel-methods.ts [EXPORT_DIR]
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { compressionMethod, parseCompression } from "../../loaders/sweep/compression.js";
import { RESULTS_SCHEMA } from "../../loaders/sweep/schema.js";
import { sqlString, withDuckDB } from "../../loaders/store/parquet.js";

const dir = process.argv[2] ?? "data/results";
const results = join(dir, "results.parquet");
await withDuckDB(async (run) => {
  const runs = await run(`SELECT run_id, compression FROM read_parquet(${sqlString(join(dir, "runs.parquet"))})`);
  await run(`CREATE TEMP TABLE labels (run_id VARCHAR, method VARCHAR)`);
  for (const r of runs) {
    const spec = parseCompression(JSON.parse(String(r.compression)), `run ${r.run_id}`);
    await run(`INSERT INTO labels VALUES (${sqlString(String(r.run_id))}, ${sqlString(compressionMethod(spec).columns(spec).method)})`);
  }
  const columns = Object.keys(RESULTS_SCHEMA).map((c) => (c === "method" ? `coalesce(l.method, r.method) AS "method"` : `r."${c}"`)).join(", ");
  const changed = await run(`SELECT r.method AS before, l.method AS after, count(*) AS n FROM read_parquet(${sqlString(results)}) r JOIN labels l USING (run_id) WHERE r.method <> l.method GROUP BY ALL ORDER BY ALL`);
  for (const c of changed) console.error(`[relabel] ${c.before} → ${c.after}: ${c.n} rows`);
  await run(`COPY (SELECT ${columns} FROM read_parquet(${sqlString(results)}) r LEFT JOIN labels l USING (run_id) ORDER BY ALL) TO ${sqlString(`${results}.tmp`)} (FORMAT parquet, COMPRESSION zstd)`);
});
await rename(`${results}.tmp`, results);
