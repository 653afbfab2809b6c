// The results store: one folder per finished run, written atomically (temp folder, then rename),
// so a sweep killed at any moment loses at most the run in flight and never leaves half a run.
//   <store>/store.json                 {"schema_version": N}
//   <store>/runs/<run_id>/results.parquet, examples.parquet, run.parquet
//   <store>/models/<model_hash>-<model>.json   the model card of each (model, weights hash) with stored runs
//   <store>/claims/<run_id>.json       the lease of the process computing a run (loaders/sweep/claims.ts)
//   <store>/seeded.json                which export the store was completely seeded from (seedFrom)
//   <store>/quarantine/                run folders found damaged, moved aside (never deleted)
// Several processes, on several hosts, may share a store: temporaries carry their owner in their name
// (loaders/sweep/owner.ts) and only provably dead or stale ones are removed; see docs/sweep.md § Sharing a store.
// `exportTables` consolidates the runs into results.parquet / examples.parquet / runs.parquet, and the model
// cards into models.parquet (an optional table: stores and exports from before it have none).
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { z } from "zod";
import { readParquet, sqlString, withDuckDB, writeParquet, type Row } from "../store/parquet.js";
import { RunClaims } from "./claims.js";
import { ownerDead, SELF, tempName, tempOwner } from "./owner.js";
import { parquetFrameProblem, scanParquet, TABLES } from "./run-files.js";
import { EXAMPLES_SCHEMA, ExampleRow, MODELS_SCHEMA, ModelRow, RESULTS_SCHEMA, ResultRow, RUNS_SCHEMA, RunRow, STORE_SCHEMA_VERSION } from "./schema.js";
import { resultsWithModelHash } from "./results-identity.js";

export interface FinishedRun {
  run: RunRow;
  results: ResultRow[];
  examples: ExampleRow[];
}

/** The export's optional table of model cards (exports written before it lack the file). */
const MODELS_FILE = "models.parquet";

/** A models-table row's identity (model name and weights hash), and the table's order. */
export const modelKey = (r: Pick<ModelRow, "model" | "model_hash">) => `${r.model}\n${r.model_hash}`;
export const byModel = (a: ModelRow, b: ModelRow) => (modelKey(a) < modelKey(b) ? -1 : modelKey(a) > modelKey(b) ? 1 : 0);

const RUN_ID = /^[a-z0-9][a-z0-9-]{0,127}$/;

/** A temporary whose owner cannot be judged (another host's, or an older kick's name) is removed after this. */
const TEMP_MAX_AGE_MS = 6 * 3600_000;

/** A damaged run found in a store: the file and what is wrong with it. */
export interface RunProblem {
  run_id: string;
  file: string;
  problem: string;
}

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

/**
 * Renames a finished temporary folder into place; false (and the temporary removed) when another process put
 * that run there first: renaming onto a non-empty folder fails, so a stored run is never replaced.
 */
async function commitDir(tmp: string, final: string): Promise<boolean> {
  try {
    await rename(tmp, final);
    return true;
  } catch (error) {
    if (errno(error) === "ENOTEMPTY" || errno(error) === "EEXIST") {
      await rm(tmp, { recursive: true, force: true });
      return false;
    }
    throw error;
  }
}

/** The run ids of an export's runs.parquet; throws naming the file when it is missing or unreadable. */
export async function exportRunIds(exportDir: string): Promise<string[]> {
  const file = join(exportDir, "runs.parquet");
  if (!existsSync(file)) throw new Error(`${exportDir} is not an export of a results store (no ${file})`);
  try {
    return (await withDuckDB((run) => run(`SELECT DISTINCT run_id FROM read_parquet(${sqlString(file)}) ORDER BY 1`))).map((r) => String(r.run_id));
  } catch (error) {
    throw new Error(`export file ${file} is corrupt (${(error as Error).message})`);
  }
}

/**
 * Removes the temporaries (`.tmp-…`) in `dir` of processes that are provably dead (this host, pid gone) and, when
 * the owner cannot be judged (another host, an older kick's name), those older than TEMP_MAX_AGE_MS.
 */
async function removeDeadTemporaries(dir: string): Promise<number> {
  if (!existsSync(dir)) return 0;
  let removed = 0;
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith(".tmp-")) continue;
    const path = join(dir, entry);
    const owner = tempOwner(entry);
    let stale = owner !== null && ownerDead(owner);
    if (!stale) stale = await stat(path).then((s) => Date.now() - s.mtimeMs > TEMP_MAX_AGE_MS, () => false);
    if (stale) {
      await rm(path, { recursive: true, force: true });
      removed += 1;
    }
  }
  return removed;
}

const sha256File = async (file: string) => createHash("sha256").update(await readFile(file)).digest("hex");

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
    const tmp = join(this.modelsDir, tempName(basename(file)));
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

  /** Whether a folder for the run exists (whole or not: see `stored`). */
  has(runId: string): boolean {
    return existsSync(join(this.runsDir, runId));
  }

  /** The leases on this store's runs. */
  claims(ttlMs?: number): RunClaims {
    return new RunClaims(join(this.dir, "claims"), ttlMs);
  }

  /** What is wrong with a run folder's files at a quick look (their Parquet frames); null when they look whole. */
  async frameProblem(runId: string): Promise<RunProblem | null> {
    for (const { runFile } of TABLES) {
      const file = join(this.runsDir, runId, runFile);
      const problem = await parquetFrameProblem(file);
      if (problem) return { run_id: runId, file, problem };
    }
    return null;
  }

  /**
   * Whether the run is stored whole. A folder whose files are cut short does not count: it is moved to the
   * quarantine (returned as `quarantined`), so the run is computed again.
   */
  async stored(runId: string): Promise<{ stored: boolean; quarantined?: RunProblem & { to: string } }> {
    if (!this.has(runId)) return { stored: false };
    const problem = await this.frameProblem(runId);
    if (!problem) return { stored: true };
    const to = await this.quarantine(runId);
    return { stored: false, ...(to ? { quarantined: { ...problem, to } } : {}) };
  }

  /** Moves a run folder aside into <store>/quarantine/; returns where (null if another process moved it first). */
  async quarantine(runId: string): Promise<string | null> {
    const dir = join(this.dir, "quarantine");
    await mkdir(dir, { recursive: true });
    const to = join(dir, `${runId}.${new Date().toISOString().replace(/[:.]/g, "-")}.${SELF.token}`);
    try {
      await rename(join(this.runsDir, runId), to);
      return to;
    } catch (error) {
      if (errno(error) === "ENOENT") return null;
      throw error;
    }
  }

  /**
   * Re-reads every file of every stored run (each value of each column, the run ids of its rows, one row in
   * run.parquet) and every model card; returns what is damaged. `onProgress(done, total)` after each run.
   */
  async verify(onProgress?: (done: number, total: number) => void): Promise<RunProblem[]> {
    const problems: RunProblem[] = [];
    const ids = await this.finishedRunIds();
    await withDuckDB(async (run) => {
      for (const [i, runId] of ids.entries()) {
        for (const { runFile, schema } of TABLES) {
          const file = join(this.runsDir, runId, runFile);
          try {
            const rows = await scanParquet(run, file, schema, runId);
            if (runFile === "run.parquet" && rows !== 1) throw new Error(`${rows} rows, not 1`);
          } catch (error) {
            problems.push({ run_id: runId, file, problem: existsSync(file) ? (error as Error).message : "missing" });
            break;
          }
        }
        onProgress?.(i + 1, ids.length);
      }
    });
    try {
      await this.modelRows();
    } catch (error) {
      problems.push({ run_id: "", file: this.modelsDir, problem: (error as Error).message });
    }
    return problems;
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
    const tmp = join(this.runsDir, tempName(runId));
    await mkdir(tmp, { recursive: true });
    try {
      await writeParquet(results as Row[], RESULTS_SCHEMA, join(tmp, "results.parquet"));
      await writeParquet(examples as Row[], EXAMPLES_SCHEMA, join(tmp, "examples.parquet"));
      await writeParquet(run as Row[], RUNS_SCHEMA, join(tmp, "run.parquet"));
      return await commitDir(tmp, join(this.runsDir, runId)); // false: another process stored it meanwhile
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Removes leftovers of interrupted writes in the store (run folders, model cards, claims), and only those: see
   * removeDeadTemporaries. Other processes writing into this store keep theirs. Returns how many were removed.
   */
  async sweepTemporaries(): Promise<number> {
    let removed = 0;
    for (const dir of [this.runsDir, this.modelsDir, join(this.dir, "claims")]) removed += await removeDeadTemporaries(dir);
    return removed;
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
        const tmp = join(this.runsDir, tempName(runId));
        await cp(from, tmp, { recursive: true });
        if (await commitDir(tmp, join(this.runsDir, runId))) added += 1;
        else skipped += 1;
      }
      for (const row of await source.modelRows()) await this.recordModel(row);
    }
    return { added, skipped };
  }

  /**
   * Adds the runs of an export (results.parquet, examples.parquet, runs.parquet as exportTables writes them)
   * as run folders: the committed data/results/ is such an export, and a local store is seeded from it so that
   * sweeps skip what it holds. Runs already in this store are skipped, so an interrupted import resumes where
   * it stopped. Returns how many were added. The whole export is read (and refused if damaged) before any run
   * is added. The model cards of its models.parquet are recorded too; an export without that file (one written
   * before the models table) is read as having none.
   */
  async importExport(exportDir: string): Promise<{ added: number; skipped: number }> {
    const files = Object.fromEntries(TABLES.map(({ table }) => [table, join(exportDir, `${table}.parquet`)]));
    const absent = Object.values(files).filter((f) => !existsSync(f));
    if (absent.length) throw new Error(`${exportDir} is neither a results store (no store.json) nor an export of one (missing ${absent.join(", ")})`);
    let added = 0;
    let skipped = 0;
    await withDuckDB(async (run) => {
      for (const { table, schema } of TABLES) {
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
      const bad = ids.find((id) => !RUN_ID.test(id));
      if (bad !== undefined) throw new Error(`export ${exportDir}: run id ${JSON.stringify(bad)} must match ${RUN_ID}; nothing was imported`);
      for (const runId of ids) {
        if (this.has(runId)) {
          skipped += 1;
          continue;
        }
        const tmp = join(this.runsDir, tempName(runId));
        await mkdir(tmp, { recursive: true });
        try {
          for (const { table, runFile } of TABLES) {
            await run(`COPY (SELECT * FROM "${table}" WHERE run_id = ${sqlString(runId)} ORDER BY ALL) TO ${sqlString(join(tmp, runFile))} (FORMAT parquet, COMPRESSION snappy)`);
          }
          if (await commitDir(tmp, join(this.runsDir, runId))) added += 1;
          else skipped += 1; // another process imported it meanwhile
        } finally {
          await rm(tmp, { recursive: true, force: true });
        }
      }
      for (const row of models) await this.recordModel(row);
    });
    return { added, skipped };
  }

  private get seedMarker(): string {
    return join(this.dir, "seeded.json");
  }

  /**
   * Seeds the store from an export (see importExport) unless it was already seeded completely from that very
   * export. The marker (seeded.json: the export's runs.parquet hash) is written only after every run of the export
   * is in the store, so a seeding killed halfway, or run by two processes at once, is simply done again (skipping
   * what is there) by the next sweep, never taken for complete. Returns null when nothing had to be done.
   */
  async seedFrom(exportDir: string): Promise<{ added: number; skipped: number } | null> {
    const runsFile = join(exportDir, "runs.parquet");
    const hash = existsSync(runsFile) ? await sha256File(runsFile) : null;
    const marker = await readFile(this.seedMarker, "utf8").then((t) => JSON.parse(t) as { runs_sha256?: string }, () => null);
    if (hash !== null && marker?.runs_sha256 === hash) return null;
    const ids = await exportRunIds(exportDir);
    // a store seeded before seeded.json existed has every run: no need to read the whole export again
    const result = ids.some((id) => !this.has(id)) ? await this.importExport(exportDir) : { added: 0, skipped: ids.length };
    const missing = ids.filter((id) => !this.has(id));
    if (missing.length) throw new Error(`seeding ${this.dir} from ${exportDir}: ${missing.length} run(s) of the export are still missing (${missing.slice(0, 3).join(", ")}…)`);
    await this.markSeeded(exportDir);
    return result;
  }

  /** Records that every run of `exportDir`'s current runs.parquet is in this store (after seeding, or exporting there). */
  async markSeeded(exportDir: string): Promise<void> {
    const body = { from: exportDir, runs_sha256: await sha256File(join(exportDir, "runs.parquet")), at: new Date().toISOString() };
    const tmp = join(this.dir, tempName("seeded.json"));
    await writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`);
    await rename(tmp, this.seedMarker);
  }

  /**
   * The run ids of the export in `outDir` that this store lacks: what exporting there would remove. An unreadable
   * runs.parquet there is an error (what it held cannot be known); no runs.parquet, no runs.
   */
  async missingFromExport(outDir: string): Promise<string[]> {
    if (!existsSync(join(outDir, "runs.parquet"))) return [];
    let ids: string[];
    try {
      ids = await exportRunIds(outDir);
    } catch (error) {
      throw new Error(`${(error as Error).message}: what it holds cannot be compared with the store; fix it, or pass --allow-shrink to replace it`);
    }
    return ids.filter((id) => !this.has(id));
  }

  /**
   * Writes results.parquet, examples.parquet, runs.parquet and models.parquet (no rows when no card is recorded)
   * for the whole store into `outDir`. Returns the row counts; `models` is among them when there are cards.
   * An export never silently loses runs: if `outDir` holds runs this store lacks, it is refused unless
   * `allowShrink` (then `onRemoved` gets their ids). Each table is written to a temporary of this process and
   * checked (the runs table must hold every stored run) before all are renamed into place.
   * Cards already in `outDir`'s models.parquet for this store's runs are kept where the store has none of its
   * own: a store seeded from an export before that export had them (see scripts/sweeps/record-models.ts)
   * would otherwise drop them from it.
   */
  async exportTables(outDir: string, { allowShrink = false, onRemoved }: { allowShrink?: boolean; onRemoved?: (runIds: string[]) => void } = {}): Promise<Record<string, number>> {
    const runIds = await this.finishedRunIds();
    let removed: string[] = [];
    try {
      removed = await this.missingFromExport(outDir);
    } catch (error) {
      if (!allowShrink) throw error;
    }
    if (removed.length && !allowShrink) {
      throw new Error(
        `exporting ${this.dir} to ${outDir} would remove ${removed.length} run(s) that ${join(outDir, "runs.parquet")} holds and the store lacks ` +
          `(${removed.slice(0, 5).join(", ")}${removed.length > 5 ? ", …" : ""}); nothing was written. Bring them into the store first ` +
          `(kick merge --out ${this.dir} ${outDir}), or pass --allow-shrink to write the smaller tables`,
      );
    }
    const models = await this.modelRows();
    await mkdir(outDir, { recursive: true });
    await removeDeadTemporaries(outDir); // the tables of an export killed before its renames
    const counts: Record<string, number> = {};
    const written: [string, string][] = [];
    try {
      await withDuckDB(async (run) => {
        for (const { table, runFile, schema } of TABLES) {
          const files = runIds.map((id) => join(this.runsDir, id, runFile));
          const out = join(outDir, `${table}.parquet`);
          const tmp = join(outDir, tempName(`${table}.parquet`));
          written.push([tmp, out]);
          const columns = Object.keys(schema).map((c) => `"${c}"`).join(", ");
          for (const file of files) {
            try {
              await run(`SELECT count(*) FROM read_parquet(${sqlString(file)})`);
            } catch (error) {
              throw new Error(`results store file ${file} is corrupt (${(error as Error).message}); it was left untouched (kick store verify --quarantine moves damaged runs aside)`);
            }
          }
          // An empty store still gets its tables, with the right columns and no rows. Results written before the
          // model_hash column get their run's hash (results-identity.ts).
          const list = (names: string[]) => `read_parquet([${names.map(sqlString).join(", ")}], union_by_name = true)`;
          const source = !files.length
            ? `SELECT ${Object.entries(schema).map(([c, t]) => `CAST(NULL AS ${t}) AS "${c}"`).join(", ")} WHERE false`
            : table === "results"
              ? resultsWithModelHash(list(files), list(runIds.map((id) => join(this.runsDir, id, "run.parquet"))))
              : `SELECT ${columns} FROM ${list(files)}`;
          // zstd: the committed examples table (millions of predictions) is half its snappy size
          await run(`COPY (${source} ORDER BY ALL) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
          const [check] = await run(`SELECT count(*) AS n, count(DISTINCT run_id) AS runs FROM read_parquet(${sqlString(tmp)})`);
          counts[table] = Number(check!.n);
          if (table === "runs" && Number(check!.runs) !== runIds.length)
            throw new Error(`export check failed: ${tmp} holds ${check!.runs} runs, the store ${runIds.length}; nothing was replaced`);
        }
      });
      for (const [tmp, out] of written) await rename(tmp, out);
    } finally {
      for (const [tmp] of written) await rm(tmp, { force: true });
    }
    if (removed.length) onRemoved?.(removed);
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
