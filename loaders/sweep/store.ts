// The results store: one folder per finished run, written atomically (temp folder, then rename),
// so a sweep killed at any moment loses at most the run in flight and never leaves half a run.
//   <store>/store.json                 {"schema_version": N}
//   <store>/runs/<run_id>/results.parquet, examples.parquet, run.parquet
// `exportTables` consolidates the runs into results.parquet / examples.parquet / runs.parquet.
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { z } from "zod";
import { readParquet, sqlString, withDuckDB, writeParquet, type Row, type TableSchema } from "../store/parquet.js";
import {
  EXAMPLES_SCHEMA,
  ExampleRow,
  RESULTS_SCHEMA,
  ResultRow,
  RUNS_SCHEMA,
  RunRow,
  STORE_SCHEMA_VERSION,
} from "./schema.js";

export interface FinishedRun {
  run: RunRow;
  results: ResultRow[];
  examples: ExampleRow[];
}

const TABLES = [
  ["results", RESULTS_SCHEMA],
  ["examples", EXAMPLES_SCHEMA],
  ["runs", RUNS_SCHEMA],
] as const satisfies readonly (readonly [string, TableSchema])[];

const RUN_ID = /^[a-z0-9][a-z0-9-]{0,127}$/;

function validateRows<T>(schema: z.ZodType<T>, rows: readonly unknown[], what: string): T[] {
  return rows.map((row, i) => {
    const parsed = schema.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${what} row ${i}: field "${issue.path.join(".") || "(row)"}": ${issue.message}`);
    }
    return parsed.data;
  });
}

export class ResultsStore {
  private constructor(readonly dir: string) {}

  get runsDir(): string {
    return join(this.dir, "runs");
  }

  /** Opens a store; with `create`, makes an empty one where none exists. Never overwrites a bad store.json. */
  static async open(dir: string, { create = false } = {}): Promise<ResultsStore> {
    const meta = join(dir, "store.json");
    if (!existsSync(meta)) {
      if (!create) throw new Error(`no results store at ${dir} (missing ${meta}); create one with a sweep first`);
      await mkdir(join(dir, "runs"), { recursive: true });
      await writeFile(`${meta}.tmp`, `${JSON.stringify({ schema_version: STORE_SCHEMA_VERSION }, null, 2)}\n`);
      await rename(`${meta}.tmp`, meta);
      return new ResultsStore(dir);
    }
    let version: unknown;
    try {
      version = JSON.parse(await readFile(meta, "utf8")).schema_version;
    } catch (error) {
      throw new Error(`results store ${meta} is corrupt (${(error as Error).message}); it was left untouched`);
    }
    if (version !== STORE_SCHEMA_VERSION) {
      throw new Error(
        `results store ${dir} has schema version ${JSON.stringify(version)}, but this kick reads version ${STORE_SCHEMA_VERSION}: ` +
          `write to a new store (--store DIR), or rerun the sweep there`,
      );
    }
    await mkdir(join(dir, "runs"), { recursive: true });
    return new ResultsStore(dir);
  }

  /** Run ids with a complete folder (temp folders of interrupted writes are not listed). */
  async finishedRunIds(): Promise<string[]> {
    const entries = await readdir(this.runsDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && RUN_ID.test(e.name)).map((e) => e.name).sort();
  }

  has(runId: string): boolean {
    return existsSync(join(this.runsDir, runId));
  }

  /** Validates and writes one finished run atomically; returns false if that run is already stored. */
  async writeRun(finished: FinishedRun): Promise<boolean> {
    const runId = finished.run.run_id;
    if (!RUN_ID.test(runId)) throw new Error(`run id ${JSON.stringify(runId)} must match ${RUN_ID}`);
    const run = validateRows(RunRow, [finished.run], `run ${runId}: runs`);
    const results = validateRows(ResultRow, finished.results, `run ${runId}: results`);
    const examples = validateRows(ExampleRow, finished.examples, `run ${runId}: examples`);
    for (const row of [...results, ...examples]) {
      if (row.run_id !== runId) throw new Error(`run ${runId}: a row carries run_id ${row.run_id}`);
    }
    if (this.has(runId)) return false;
    const tmp = join(this.runsDir, `.tmp-${runId}-${process.pid}-${Date.now()}`);
    await mkdir(tmp, { recursive: true });
    try {
      await writeParquet(results as Row[], RESULTS_SCHEMA, join(tmp, "results.parquet"));
      await writeParquet(examples as Row[], EXAMPLES_SCHEMA, join(tmp, "examples.parquet"));
      await writeParquet(run as Row[], RUNS_SCHEMA, join(tmp, "run.parquet"));
      if (this.has(runId)) return false; // another shard finished it meanwhile
      await rename(tmp, join(this.runsDir, runId));
      return true;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Removes leftovers of interrupted writes. */
  async sweepTemporaries(): Promise<void> {
    for (const entry of await readdir(this.runsDir)) {
      if (entry.startsWith(".tmp-")) await rm(join(this.runsDir, entry), { recursive: true, force: true });
    }
  }

  /** Copies the runs of other stores (e.g. shards) into this one; a run id stored twice must be identical. */
  async mergeFrom(sources: readonly ResultsStore[]): Promise<{ added: number; skipped: number }> {
    let added = 0;
    let skipped = 0;
    for (const source of sources) {
      for (const runId of await source.finishedRunIds()) {
        const from = join(source.runsDir, runId);
        if (this.has(runId)) {
          const [a, b] = await Promise.all([
            readParquet(join(from, "results.parquet")),
            readParquet(join(this.runsDir, runId, "results.parquet")),
          ]);
          const strip = (rows: Record<string, unknown>[]) => JSON.stringify(rows.map(({ created_at: _c, seconds: _s, ...rest }) => rest));
          if (strip(a) !== strip(b)) throw new Error(`run ${runId} differs between ${source.dir} and ${this.dir}: refusing to merge`);
          skipped += 1;
          continue;
        }
        const tmp = join(this.runsDir, `.tmp-${runId}-${process.pid}-${Date.now()}`);
        await cp(from, tmp, { recursive: true });
        await rename(tmp, join(this.runsDir, runId));
        added += 1;
      }
    }
    return { added, skipped };
  }

  /**
   * Adds the runs of an export (results.parquet, examples.parquet, runs.parquet as exportTables writes them)
   * as run folders: the committed data/results/ is such an export, and a local store is seeded from it so that
   * sweeps skip what it holds. Runs already in this store are skipped. Returns how many were added.
   */
  async importExport(exportDir: string): Promise<{ added: number; skipped: number }> {
    const files = Object.fromEntries(TABLES.map(([t]) => [t, join(exportDir, `${t}.parquet`)]));
    const absent = Object.values(files).filter((f) => !existsSync(f));
    if (absent.length) throw new Error(`${exportDir} is neither a results store (no store.json) nor an export of one (missing ${absent.join(", ")})`);
    let added = 0;
    let skipped = 0;
    await withDuckDB(async (run) => {
      for (const [table, schema] of TABLES) {
        const columns = Object.keys(schema).map((c) => `"${c}"`).join(", ");
        try {
          await run(`CREATE TEMP TABLE "${table}" AS SELECT ${columns} FROM read_parquet(${sqlString(files[table]!)})`);
        } catch (error) {
          throw new Error(`export file ${files[table]} is corrupt or lacks columns (${(error as Error).message}); nothing was imported`);
        }
      }
      const ids = (await run(`SELECT DISTINCT run_id FROM "runs" ORDER BY 1`)).map((r) => String(r.run_id));
      for (const runId of ids) {
        if (!RUN_ID.test(runId)) throw new Error(`export ${exportDir}: run id ${JSON.stringify(runId)} must match ${RUN_ID}`);
        if (this.has(runId)) {
          skipped += 1;
          continue;
        }
        const tmp = join(this.runsDir, `.tmp-${runId}-${process.pid}-${Date.now()}`);
        await mkdir(tmp, { recursive: true });
        try {
          for (const [table] of TABLES) {
            const file = table === "runs" ? "run.parquet" : `${table}.parquet`;
            await run(`COPY (SELECT * FROM "${table}" WHERE run_id = ${sqlString(runId)} ORDER BY ALL) TO ${sqlString(join(tmp, file))} (FORMAT parquet, COMPRESSION snappy)`);
          }
          await rename(tmp, join(this.runsDir, runId));
          added += 1;
        } finally {
          await rm(tmp, { recursive: true, force: true });
        }
      }
    });
    return { added, skipped };
  }

  /** Writes results.parquet, examples.parquet and runs.parquet for the whole store into `outDir`. */
  async exportTables(outDir: string): Promise<Record<string, number>> {
    const runIds = await this.finishedRunIds();
    await mkdir(outDir, { recursive: true });
    const counts: Record<string, number> = {};
    for (const [table, schema] of TABLES) {
      const fileName = table === "runs" ? "run.parquet" : `${table}.parquet`;
      const files = runIds.map((id) => join(this.runsDir, id, fileName));
      const out = join(outDir, `${table}.parquet`);
      const tmp = `${out}.tmp`;
      const columns = Object.keys(schema).map((c) => `"${c}"`).join(", ");
      await withDuckDB(async (run) => {
        for (const file of files) {
          try {
            await run(`SELECT count(*) FROM read_parquet(${sqlString(file)})`);
          } catch (error) {
            throw new Error(`results store file ${file} is corrupt (${(error as Error).message}); it was left untouched`);
          }
        }
        // An empty store still gets its tables, with the right columns and no rows.
        const source = files.length
          ? `SELECT ${columns} FROM read_parquet([${files.map(sqlString).join(", ")}])`
          : `SELECT ${Object.entries(schema).map(([c, t]) => `CAST(NULL AS ${t}) AS "${c}"`).join(", ")} WHERE false`;
        // zstd: the committed examples table (millions of predictions) is half its snappy size
        await run(`COPY (${source} ORDER BY ALL) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
        counts[table] = Number((await run(`SELECT count(*) AS n FROM read_parquet(${sqlString(tmp)})`))[0].n);
      });
      await rename(tmp, out);
    }
    return counts;
  }
}
