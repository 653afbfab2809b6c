// Writes rows to Parquet through DuckDB (@duckdb/node-api), the one Parquet writer of the project.
// Snappy compression: the browser decodes these files with hyparquet, which reads Snappy natively.
// Column types are explicit and limited to what DuckDB-WASM in the browser reads without surprises:
// INTEGER (INT32, so JavaScript gets numbers, not BigInt), DOUBLE, VARCHAR, BOOLEAN.
import { DuckDBInstance, type DuckDBAppender } from "@duckdb/node-api";
import { createReadStream } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";

export type ColumnType = "INTEGER" | "DOUBLE" | "VARCHAR" | "BOOLEAN";
export type TableSchema = Record<string, ColumnType>;
export type Row = Record<string, string | number | boolean | null>;

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

function appendValue(appender: DuckDBAppender, type: ColumnType, value: Row[string], where: string): void {
  if (value === null || value === undefined) return appender.appendNull();
  const bad = (expected: string) =>
    new Error(`${where}: expected ${expected} for a ${type} column, got ${JSON.stringify(value)}`);
  switch (type) {
    case "INTEGER":
      if (typeof value !== "number" || !Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1) throw bad("a 32-bit integer");
      return appender.appendInteger(value);
    case "DOUBLE":
      if (typeof value !== "number") throw bad("a number");
      return appender.appendDouble(value);
    case "VARCHAR":
      if (typeof value !== "string") throw bad("a string");
      return appender.appendVarchar(value);
    case "BOOLEAN":
      if (typeof value !== "boolean") throw bad("a boolean");
      return appender.appendBoolean(value);
  }
}

/** Writes `rows` to a Parquet file at `outPath` atomically (temp file, then rename). */
export async function writeParquet(rows: readonly Row[], schema: TableSchema, outPath: string): Promise<void> {
  const columns = Object.entries(schema);
  if (columns.length === 0) throw new Error("writeParquet: the schema has no columns");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const tmp = join(dirname(outPath), `.${process.pid}.${Date.now()}.parquet.tmp`);
  try {
    await connection.run(`CREATE TABLE t (${columns.map(([n, t]) => `${quoteIdent(n)} ${t}`).join(", ")})`);
    const appender = await connection.createAppender("t");
    rows.forEach((row, i) => {
      for (const [name, type] of columns) appendValue(appender, type, row[name], `row ${i}, column "${name}"`);
      appender.endRow();
    });
    appender.closeSync();
    await connection.run(`COPY t TO ${quoteLiteral(tmp)} (FORMAT parquet, COMPRESSION snappy)`);
    await rename(tmp, outPath);
  } finally {
    await rm(tmp, { force: true });
    connection.closeSync();
    instance.closeSync();
  }
}

/** Runs one SQL statement on a fresh in-memory DuckDB (e.g. COPY … TO for consolidating files). */
export async function withDuckDB<T>(work: (run: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    return await work(async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Reads a Parquet file into plain row objects (INT32 → number, DOUBLE → number). */
export async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  try {
    return await withDuckDB((run) => run(`SELECT * FROM read_parquet(${quoteLiteral(file)})`));
  } catch (error) {
    throw new Error(`cannot read Parquet file ${file}: ${(error as Error).message}`);
  }
}

export { quoteLiteral as sqlString };

/** For Framework data loaders: writes the Parquet bytes to stdout (nothing on failure). */
export async function writeParquetToStdout(rows: readonly Row[], schema: TableSchema): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "kick-parquet-"));
  try {
    const file = join(dir, "out.parquet");
    await writeParquet(rows, schema, file);
    await pipeline(createReadStream(file), process.stdout, { end: false });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
