// The results store as the site sees it: the exported tables of a sweep (results.parquet,
// examples.parquet, runs.parquet in data/results/, see loaders/sweep/store.ts exportTables).
// Site loaders (src/data/*.parquet.ts, store.json.ts) and the server-side report figures read it
// through here, so both see the same columns. KICK_RESULTS_DIR points elsewhere (the browser tests
// use the synthetic fixture in test/fixtures/results/); the site build itself reads data/results/.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { EXAMPLES_SCHEMA, RESULTS_SCHEMA, RUNS_SCHEMA } from "../sweep/schema.js";
import { sqlString, withDuckDB, type TableSchema } from "../store/parquet.js";
import { dataVersion } from "./data-version.js";

export const STORE_TABLES = { results: RESULTS_SCHEMA, examples: EXAMPLES_SCHEMA, runs: RUNS_SCHEMA } as const satisfies Record<string, TableSchema>;
export type StoreTable = keyof typeof STORE_TABLES;

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** How to produce the store, shown by every page and placeholder figure that lacks it. */
export const PRODUCE_COMMAND = "npm run kick -- sweep --plan PLAN.json --export data/results";

/** The folder of exported tables: $KICK_RESULTS_DIR, else data/results/. */
export function resultsDir(): string {
  return resolve(ROOT, process.env.KICK_RESULTS_DIR ?? "data/results");
}

export interface TableStatus {
  present: boolean;
  rows: number;
  columns: string[];
  /** Schema columns (loaders/sweep/schema.ts) that the file lacks. */
  missing_columns: string[];
}

export interface StoreStatus {
  /** The folder, relative to the repository root. */
  source: string;
  /** True when the folder holds a synthetic test fixture (it has a fixture.json), not measurements. */
  fixture: boolean;
  fixture_note?: string;
  produce: string;
  tables: Record<StoreTable, TableStatus>;
  /** The weights the results measured: one entry per (model name, weights hash), with its run count. */
  weights: { model: string; model_hash: string; runs: number }[];
  /** What figures cite as their data version (loaders/figures/data-version.ts). */
  version?: { data: string | null; commit: string | null };
}

const tableFile = (table: StoreTable) => join(resultsDir(), `${table}.parquet`);

/**
 * What the store has: per table, presence, row count, columns and the schema columns it lacks. A missing table is
 * reported as absent (the pages explain how to produce it); a present but unreadable one throws, naming the file.
 */
export async function storeStatus(): Promise<StoreStatus> {
  const dir = resultsDir();
  const fixtureFile = join(dir, "fixture.json");
  const fixture = existsSync(fixtureFile);
  const status: StoreStatus = {
    source: relative(ROOT, dir) || ".",
    fixture,
    ...(fixture ? { fixture_note: String(JSON.parse(await readFile(fixtureFile, "utf8")).note ?? "synthetic test fixture") } : {}),
    produce: PRODUCE_COMMAND,
    tables: {} as Record<StoreTable, TableStatus>,
    weights: [],
    version: dataVersion(tableFile("results"), ROOT),
  };
  for (const [table, schema] of Object.entries(STORE_TABLES) as [StoreTable, TableSchema][]) {
    const file = tableFile(table);
    if (!existsSync(file)) {
      status.tables[table] = { present: false, rows: 0, columns: [], missing_columns: Object.keys(schema) };
      continue;
    }
    try {
      const { columns, rows } = await withDuckDB(async (run) => {
        const cols = (await run(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(file)}))`)).map((r) => String(r.column_name));
        const n = Number((await run(`SELECT count(*) AS n FROM read_parquet(${sqlString(file)})`))[0].n);
        return { columns: cols, rows: n };
      });
      status.tables[table] = { present: true, rows, columns, missing_columns: Object.keys(schema).filter((c) => !columns.includes(c)) };
      if (table === "results" && columns.includes("model_hash")) {
        const weights = await withDuckDB((run) => run(`SELECT model, model_hash, count(DISTINCT run_id)::INTEGER AS runs FROM read_parquet(${sqlString(file)}) GROUP BY ALL ORDER BY ALL`));
        status.weights = weights.map((w) => ({ model: String(w.model), model_hash: String(w.model_hash), runs: Number(w.runs) }));
      }
    } catch (error) {
      // missing ≠ corrupt: a table that is there but unreadable fails the loader (and so the build), naming it
      throw new Error(
        `results table ${file} exists but cannot be read (${(error as Error).message}). Restore it (git checkout -- ${relative(ROOT, file)}) ` +
          `or re-export the store (${PRODUCE_COMMAND}); delete it to build the site without results`,
      );
    }
  }
  return status;
}

/**
 * SQL that selects a table with its schema's types (INT32/DOUBLE/VARCHAR/BOOLEAN): the columns the
 * file has, cast; missing ones are left out so the page can name them. A missing file gives an
 * empty table with every schema column.
 */
async function tableSelect(table: StoreTable, status: TableStatus): Promise<string> {
  const schema: TableSchema = STORE_TABLES[table];
  if (!status.present) return `SELECT ${Object.entries(schema).map(([c, t]) => `CAST(NULL AS ${t}) AS "${c}"`).join(", ")} WHERE false`;
  const cols = Object.entries(schema).filter(([c]) => status.columns.includes(c));
  return `SELECT ${cols.map(([c, t]) => `CAST("${c}" AS ${t}) AS "${c}"`).join(", ")} FROM read_parquet(${sqlString(tableFile(table))})`;
}

/** For a Framework loader: one store table as Parquet (Snappy) on stdout. */
// The examples table (every prediction: >1M rows) is read by the explorer a run at a time over HTTP range
// requests (src/components/parquet-arrow.ts RemoteParquet): sorted by run_id, in row groups small enough that
// one run is a few of them (16384 rows: ~0.1 MB a drill-down instead of the whole file), zstd so the many small
// groups still come out smaller than one snappy file.
const COPY_OPTIONS: Record<StoreTable, string> = {
  results: "FORMAT parquet, COMPRESSION snappy",
  runs: "FORMAT parquet, COMPRESSION snappy",
  examples: "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 16384",
};

export async function writeStoreTableToStdout(table: StoreTable): Promise<void> {
  const status = (await storeStatus()).tables[table];
  if (!status.present) process.stderr.write(`[results] ${tableFile(table)} not found: writing an empty ${table} table (the pages explain how to produce it)\n`);
  else if (status.missing_columns.length) process.stderr.write(`[results] ${tableFile(table)} lacks column(s) ${status.missing_columns.join(", ")}\n`);
  const dir = await mkdtemp(join(tmpdir(), "kick-results-"));
  try {
    const out = join(dir, `${table}.parquet`);
    const select = await tableSelect(table, status);
    await withDuckDB((run) => run(`COPY (${select}${table === "examples" ? " ORDER BY run_id" : ""}) TO ${sqlString(out)} (${COPY_OPTIONS[table]})`));
    await pipeline(createReadStream(out), process.stdout, { end: false });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs queries against the store's tables on the server (node DuckDB), with `setup` statements first
 * (the report's views, src/components/report-sql.ts), exactly as the page does in DuckDB-WASM.
 */
export async function withStore<T>(setup: readonly string[], work: (query: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const status = await storeStatus();
  return withDuckDB(async (run) => {
    for (const table of Object.keys(STORE_TABLES) as StoreTable[]) {
      await run(`CREATE VIEW "${table}" AS ${await tableSelect(table, status.tables[table])}`);
    }
    for (const statement of setup) await run(statement);
    return work(async (sql) =>
      (await run(sql)).map((row) => {
        for (const key of Object.keys(row)) if (typeof row[key] === "bigint") row[key] = Number(row[key]);
        return row;
      }),
    );
  });
}
