// Parquet written by the loaders' writer (DuckDB, Node) must decode in the page's reader
// (hyparquet → Arrow) to exactly the rows that went in, with 32-bit integers kept as numbers.
import { tableFromIPC } from "apache-arrow";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeParquet, type Row, type TableSchema } from "../../loaders/store/parquet.js";
import { parquetToArrowIPC } from "../../src/components/parquet-arrow.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kick-parquet-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const schema: TableSchema = { name: "VARCHAR", count: "INTEGER", score: "DOUBLE", ok: "BOOLEAN" };
const rows: Row[] = [
  { name: "wanda", count: 3, score: 0.386, ok: true },
  { name: "sparse'gpt", count: -2147483647, score: 1e-300, ok: false },
  { name: "", count: null, score: Number.NaN, ok: null },
  { name: "naïve — ünïcode", count: 0, score: -0, ok: true },
];

describe("Parquet writer → browser reader", () => {
  it("round-trips every value and type", async () => {
    const file = join(dir, "t.parquet");
    await writeParquet(rows, schema, file);
    const table = tableFromIPC(await parquetToArrowIPC(await readFile(file), file));
    expect(table.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ["name", "Utf8"],
      ["count", "Int32"],
      ["score", "Float64"],
      ["ok", "Bool"],
    ]);
    const back = table.toArray().map((r) => r.toJSON());
    expect(back).toHaveLength(rows.length);
    back.forEach((row, i) => {
      expect(row.name).toBe(rows[i].name);
      expect(row.count).toBe(rows[i].count);
      expect(row.ok).toBe(rows[i].ok);
      if (Number.isNaN(rows[i].score as number)) expect(row.score).toBeNaN();
      else expect(row.score).toBe(rows[i].score);
    });
  });

  it("names the row and column of a value that does not fit its type, and writes nothing", async () => {
    const file = join(dir, "bad.parquet");
    await expect(writeParquet([{ name: "a", count: 1.5, score: 1, ok: true }], schema, file)).rejects.toThrow(
      /row 0, column "count": expected a 32-bit integer/,
    );
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
  });

  it("rejects bytes that are not Parquet with the file's name", async () => {
    await expect(parquetToArrowIPC(new TextEncoder().encode("not parquet at all"), "x.parquet")).rejects.toThrow(
      /x\.parquet: not a Parquet file/,
    );
  });
});
