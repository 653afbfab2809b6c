// The Parquet files of a stored run and of an export, and how sound they are: a quick check of the file's
// frame (what a sweep does for every stored run before skipping it) and a full re-read (kick store verify,
// kick merge's check of its sources).
import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { sqlString, withDuckDB, type TableSchema } from "../store/parquet.js";
import { EXAMPLES_SCHEMA, RESULTS_SCHEMA, RUNS_SCHEMA } from "./schema.js";

/** The tables: the file a run folder holds each in, and its columns. */
export const TABLES = [
  { table: "results", runFile: "results.parquet", schema: RESULTS_SCHEMA },
  { table: "examples", runFile: "examples.parquet", schema: EXAMPLES_SCHEMA },
  { table: "runs", runFile: "run.parquet", schema: RUNS_SCHEMA },
] as const satisfies readonly { table: string; runFile: string; schema: TableSchema }[];

const MAGIC = "PAR1";

/**
 * Whether a file has a whole Parquet frame: "PAR1" at both ends and a footer that fits. A file cut short (a
 * copy interrupted, a full disk) fails this; damage inside it needs the full re-read of `scanParquet`.
 */
export async function parquetFrameProblem(file: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : (error as Error).message;
  }
  try {
    const { size } = await handle.stat();
    if (size < 12) return `${size} bytes: too short for Parquet`;
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(8);
    await handle.read(head, 0, 4, 0);
    await handle.read(tail, 0, 8, size - 8);
    if (head.toString("latin1") !== MAGIC || tail.toString("latin1", 4) !== MAGIC) return "no Parquet magic bytes at its start and end (truncated or overwritten)";
    if (tail.readUInt32LE(0) > size - 12) return "its footer length exceeds the file (truncated)";
    return null;
  } finally {
    await handle.close();
  }
}

/** The first line of a reader's error (DuckDB appends the offending SQL with a caret). */
const firstLine = (error: unknown) => (error as Error).message.split("\n")[0]!.trim();

/**
 * Reads every value of every schema column of a Parquet file (a hash of each column, so no page is skipped) and
 * returns its row count; throws saying what is wrong with it. With `runId`, every row must carry that run id.
 */
export async function scanParquet(run: (sql: string) => Promise<Record<string, unknown>[]>, file: string, schema: TableSchema, runId?: string): Promise<number> {
  const from = `read_parquet(${sqlString(file)})`;
  let columns: string[];
  try {
    columns = (await run(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${from})`)).map((r) => String(r.column_name));
  } catch (error) {
    throw new Error(`cannot read it: ${firstLine(error)}`);
  }
  const missing = Object.keys(schema).filter((c) => !columns.includes(c));
  if (missing.length) throw new Error(`it lacks column(s) ${missing.join(", ")}`);
  const hashes = Object.keys(schema).map((c, i) => `max(hash("${c}")) AS h${i}`);
  const foreign = runId === undefined ? "0" : `count(*) FILTER (WHERE run_id IS DISTINCT FROM ${sqlString(runId)})`;
  let row: Record<string, unknown>;
  try {
    [row] = await run(`SELECT count(*) AS n, ${foreign} AS foreign_rows, ${hashes.join(", ")} FROM ${from}`);
  } catch (error) {
    throw new Error(`cannot read it: ${firstLine(error)}`);
  }
  if (Number(row!.foreign_rows) > 0) throw new Error(`${row!.foreign_rows} row(s) carry another run_id than ${runId}`);
  return Number(row!.n);
}

/** What is wrong with an export's tables (missing, unreadable, lacking columns); empty when all three read whole. */
export async function exportProblems(dir: string): Promise<string[]> {
  const problems: string[] = [];
  await withDuckDB(async (run) => {
    for (const { table, schema } of TABLES) {
      const file = join(dir, `${table}.parquet`);
      if (!existsSync(file)) problems.push(`${file}: missing`);
      else await scanParquet(run, file, schema).catch((error: Error) => problems.push(`${file}: ${error.message}`));
    }
  });
  return problems;
}
