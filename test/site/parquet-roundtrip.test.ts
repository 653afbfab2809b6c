// Parquet written by the loaders' writer (DuckDB, Node) must decode in the page's reader
// (hyparquet → Arrow) to exactly the rows that went in, with 32-bit integers kept as numbers.
import { tableFromIPC } from "apache-arrow";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDuckDB, writeParquet, type Row, type TableSchema } from "../../loaders/store/parquet.js";
import { parquetToArrowIPC, RemoteParquet } from "../../src/components/parquet-arrow.js";

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

  it("reads one key's rows of a large file by range requests, matching DuckDB's own filter", async () => {
    // Written as the site's examples loader writes it: sorted by the key, zstd, small row groups.
    const file = join(dir, "examples.parquet");
    await withDuckDB((run) =>
      run(`COPY (SELECT 'run-' || lpad(CAST(i // 1000 AS VARCHAR), 3, '0') AS run_id, i AS example_id, md5(CAST(i AS VARCHAR)) AS prediction
        FROM range(40000) t(i) ORDER BY run_id) TO '${file}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)`),
    );
    const expected = await withDuckDB((run) => run(`SELECT run_id, CAST(example_id AS DOUBLE) AS example_id, prediction FROM '${file}' WHERE run_id = 'run-017' ORDER BY example_id`));
    const bytes = await readFile(file);
    let served = 0;
    const ranges: string[] = [];
    // A server honouring Range (a-b and suffix -n), as static hosts do.
    const fakeFetch = (async (_url: string, init?: RequestInit) => {
      const range = new Headers(init?.headers).get("range") ?? "";
      const [, a, b] = /^bytes=(\d*)-(\d*)$/.exec(range) ?? [];
      if (a === undefined) throw new Error(`expected a range request, got "${range}"`);
      const start = a === "" ? bytes.length - Number(b) : Number(a);
      const end = a === "" || b === "" ? bytes.length : Number(b) + 1;
      served += end - start;
      ranges.push(range);
      return new Response(bytes.subarray(start, end), { status: 206, headers: { "content-range": `bytes ${start}-${end - 1}/${bytes.length}` } });
    }) as typeof fetch;
    const remote = await RemoteParquet.open("http://site/examples.parquet", fakeFetch);
    expect(remote.columns).toEqual(["run_id", "example_id", "prediction"]);
    const got = tableFromIPC(await remote.arrowWhere({ run_id: { $eq: "run-017" } })).toArray().map((r) => r.toJSON());
    expect(got.map((r) => [r.run_id, r.example_id, r.prediction])).toEqual(expected.map((r) => [r.run_id, r.example_id, r.prediction]));
    expect(got).toHaveLength(1000);
    // Footer plus the one or two row groups holding run-017, not the file.
    expect(served).toBeLessThan(bytes.length / 4);
    expect(ranges.length).toBeGreaterThan(1);
    expect(ranges[0]).toMatch(/^bytes=-\d+$/); // the footer and the size in one request
  });

  it("reads the same rows from a server that ignores Range (one whole-file response)", async () => {
    const file = join(dir, "examples.parquet");
    const bytes = await readFile(file);
    let calls = 0;
    const plainFetch = (async () => (calls++, new Response(bytes, { status: 200 }))) as typeof fetch;
    const remote = await RemoteParquet.open("http://site/examples.parquet", plainFetch);
    const got = tableFromIPC(await remote.arrowWhere({ run_id: { $eq: "run-003" } })).toArray();
    expect(got).toHaveLength(1000);
    expect(got.every((r) => r.toJSON().run_id === "run-003")).toBe(true);
    expect(calls).toBe(1);
  });
});
