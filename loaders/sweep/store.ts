// The results store: one folder per finished run, written atomically (temp folder, then rename),
// so a sweep killed at any moment loses at most the run in flight and never leaves half a run.
//   <store>/store.json                 {"schema_version": N}
//   <store>/runs/<run_id>/results.parquet, examples.parquet, run.parquet
//   <store>/models/<model_hash>-<model>.json   the model card of each (model, weights hash) with stored runs
// `exportTables` consolidates the runs into results.parquet / examples.parquet / runs.parquet, and the model
// cards into models.parquet (an optional table: stores and exports from before it have none).
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { z } from "zod";
import { readParquet, sqlString, withDuckDB, writeParquet, type Row, type TableSchema } from "../store/parquet.js";
import {
  EXAMPLES_SCHEMA,
  ExampleRow,
  MODELS_SCHEMA,
  ModelRow,
  RESULTS_SCHEMA,
  ResultRow,
  RUNS_SCHEMA,
  RunRow,
  STORE_SCHEMA_VERSION,
} from "./schema.js";
import { resultsWithModelHash } from "./results-identity.js";

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

/** The export's optional table of model cards (exports written before it lack the file). */
const MODELS_FILE = "models.parquet";

/** A models-table row's identity (model name and weights hash), and the table's order. */
export const modelKey = (r: Pick<ModelRow, "model" | "model_hash">) => `${r.model}\n${r.model_hash}`;
export const byModel = (a: ModelRow, b: ModelRow) => (modelKey(a) < modelKey(b) ? -1 : modelKey(a) > modelKey(b) ? 1 : 0);

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

  get modelsDir(): string {
    return join(this.dir, "models");
  }

  private modelFile(model: string, modelHash: string): string {
    return join(this.modelsDir, `${modelHash}-${encodeURIComponent(model)}.json`);
  }

  /** Whether the card of `model` with these weights is recorded. */
  hasModel(model: string, modelHash: string): boolean {
    return existsSync(this.modelFile(model, modelHash));
  }

  /**
   * Records a model card (one per model name and weights hash) atomically; returns false when that one is
   * already recorded: the first card is kept (README.md is not part of the weights hash).
   */
  async recordModel(row: ModelRow): Promise<boolean> {
    const [valid] = validateRows(ModelRow, [row], `model ${row.model}: models`);
    const file = this.modelFile(valid.model, valid.model_hash);
    if (existsSync(file)) return false;
    await mkdir(this.modelsDir, { recursive: true });
    const tmp = join(this.modelsDir, `.tmp-${process.pid}-${Date.now()}-${basename(file)}`);
    try {
      await writeFile(tmp, `${JSON.stringify(valid, null, 2)}\n`);
      if (existsSync(file)) return false; // another shard recorded it meanwhile
      await rename(tmp, file);
      return true;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** The recorded model cards, by model and hash. */
  async modelRows(): Promise<ModelRow[]> {
    if (!existsSync(this.modelsDir)) return [];
    const rows: ModelRow[] = [];
    for (const name of (await readdir(this.modelsDir)).filter((f) => f.endsWith(".json") && !f.startsWith(".")).sort()) {
      const file = join(this.modelsDir, name);
      try {
        rows.push(...validateRows(ModelRow, [JSON.parse(await readFile(file, "utf8"))], "models"));
      } catch (error) {
        throw new Error(`results store file ${file} is corrupt (${(error as Error).message}); it was left untouched`);
      }
    }
    return rows.sort(byModel);
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
    for (const row of results) {
      if (row.model_hash !== run[0].model_hash) throw new Error(`run ${runId}: a results row carries model_hash ${row.model_hash}, the run ${run[0].model_hash}`);
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
    for (const dir of [this.runsDir, this.modelsDir]) {
      if (!existsSync(dir)) continue;
      for (const entry of await readdir(dir)) {
        if (entry.startsWith(".tmp-")) await rm(join(dir, entry), { recursive: true, force: true });
      }
    }
  }

  /**
   * Copies the runs of other stores (e.g. shards) into this one; a run id stored twice must be identical.
   * Their model cards come along (a card this store already has is kept).
   */
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
          // model_hash is part of the run id, and run folders written before the results table had it lack it
          const strip = (rows: Record<string, unknown>[]) => JSON.stringify(rows.map(({ created_at: _c, seconds: _s, model_hash: _h, ...rest }) => rest));
          if (strip(a) !== strip(b)) throw new Error(`run ${runId} differs between ${source.dir} and ${this.dir}: refusing to merge`);
          skipped += 1;
          continue;
        }
        const tmp = join(this.runsDir, `.tmp-${runId}-${process.pid}-${Date.now()}`);
        await cp(from, tmp, { recursive: true });
        await rename(tmp, join(this.runsDir, runId));
        added += 1;
      }
      for (const row of await source.modelRows()) await this.recordModel(row);
    }
    return { added, skipped };
  }

  /**
   * Adds the runs of an export (results.parquet, examples.parquet, runs.parquet as exportTables writes them)
   * as run folders: the committed data/results/ is such an export, and a local store is seeded from it so that
   * sweeps skip what it holds. Runs already in this store are skipped. Returns how many were added.
   * The model cards of its models.parquet are recorded too; an export without that file (one written before
   * the models table) is read as having none.
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
        const source = table === "results"
          ? resultsWithModelHash(`read_parquet(${sqlString(files.results!)})`, `read_parquet(${sqlString(files.runs!)})`)
          : `SELECT ${columns} FROM read_parquet(${sqlString(files[table]!)})`;
        try {
          await run(`CREATE TEMP TABLE "${table}" AS ${source}`);
        } catch (error) {
          throw new Error(`export file ${files[table]} is corrupt or lacks columns (${(error as Error).message}); nothing was imported`);
        }
      }
      const modelsFile = join(exportDir, MODELS_FILE);
      let models: ModelRow[] = [];
      if (existsSync(modelsFile)) {
        try {
          const columns = Object.keys(MODELS_SCHEMA).map((c) => `"${c}"`).join(", ");
          models = validateRows(ModelRow, await run(`SELECT ${columns} FROM read_parquet(${sqlString(modelsFile)}) ORDER BY ALL`), "models");
        } catch (error) {
          throw new Error(`export file ${modelsFile} is corrupt or lacks columns (${(error as Error).message}); nothing was imported`);
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
      for (const row of models) await this.recordModel(row);
    });
    return { added, skipped };
  }

  /**
   * Writes results.parquet, examples.parquet, runs.parquet and models.parquet (no rows when no card is recorded)
   * for the whole store into `outDir`. Returns the row counts; `models` is among them when there are cards.
   * Cards already in `outDir`'s models.parquet for this store's runs are kept where the store has none of its
   * own: a store seeded from an export before that export had them (see scripts/sweeps/record-models.ts)
   * would otherwise drop them from it.
   */
  async exportTables(outDir: string): Promise<Record<string, number>> {
    const runIds = await this.finishedRunIds();
    const models = await this.modelRows();
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
        const list = (names: string[]) => `read_parquet([${names.map(sqlString).join(", ")}], union_by_name = true)`;
        const source = !files.length
          ? `SELECT ${Object.entries(schema).map(([c, t]) => `CAST(NULL AS ${t}) AS "${c}"`).join(", ")} WHERE false`
          : table === "results"
            ? resultsWithModelHash(list(files), list(runIds.map((id) => join(this.runsDir, id, "run.parquet"))))
            : `SELECT ${columns} FROM ${list(files)}`;
        // zstd: the committed examples table (millions of predictions) is half its snappy size
        await run(`COPY (${source} ORDER BY ALL) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
        counts[table] = Number((await run(`SELECT count(*) AS n FROM read_parquet(${sqlString(tmp)})`))[0].n);
      });
      await rename(tmp, out);
    }
    const modelsOut = join(outDir, MODELS_FILE);
    let cards = models;
    if (existsSync(modelsOut)) {
      const columns = Object.keys(MODELS_SCHEMA).map((c) => `m."${c}"`).join(", ");
      const earlier = await withDuckDB(async (run) => {
        try {
          const rows = await run(
            `SELECT ${columns} FROM read_parquet(${sqlString(modelsOut)}) m WHERE EXISTS ` +
              `(SELECT 1 FROM read_parquet(${sqlString(join(outDir, "runs.parquet"))}) r WHERE r.model = m.model AND r.model_hash = m.model_hash)`,
          );
          return validateRows(ModelRow, rows, "models");
        } catch {
          return []; // an unreadable earlier file is simply replaced
        }
      });
      const recorded = new Set(models.map(modelKey));
      cards = [...models, ...earlier.filter((r) => !recorded.has(modelKey(r)))].sort(byModel);
    }
    await writeParquet(cards as Row[], MODELS_SCHEMA, modelsOut); // atomic: temp file, then rename
    if (cards.length) counts.models = cards.length;
    return counts;
  }
}
