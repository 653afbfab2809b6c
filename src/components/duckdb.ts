// A self-hosted DuckDB-WASM client shared by every page. Framework's own `sql` blocks and
// DuckDBClient fetch DuckDB-WASM from a CDN; this module resolves the wasm and worker files from
// node_modules instead, so `observable build` copies them into dist/ and the site works offline.
import { parquetToArrowIPC } from "./parquet-arrow.js";
import { AsyncDuckDB, VoidLogger } from "./vendor/duckdb-wasm.js";

const BUNDLE = {
  mainModule: import.meta.resolve("@duckdb/duckdb-wasm/dist/duckdb-eh.wasm"),
  mainWorker: import.meta.resolve("@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js"),
};

/** Anything with a URL: a Framework FileAttachment (`.href`), a URL or a string. */
export type TableSource = string | URL | { href: string };
export type QueryRow = Record<string, unknown>;

/** Thrown when a table's file cannot be fetched or parsed; the message says what to do. */
export class DataFileError extends Error {
  constructor(
    readonly table: string,
    readonly url: string,
    reason: string,
  ) {
    super(
      `The data file for table "${table}" could not be loaded (${url}): ${reason}. ` +
        `Rebuild the site with \`npm run build\` (its data loaders write this file), ` +
        `or check that the file was deployed with the page.`,
    );
    this.name = "DataFileError";
  }
}

const hrefOf = (source: TableSource) => (typeof source === "string" ? source : source.href);

// Arrow gives BigInt for 64-bit integers and Dates for timestamps; pages want plain numbers.
function plainValue(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  return value;
}

export class KickDB {
  private constructor(private readonly db: AsyncDuckDB) {}

  /** Opens DuckDB-WASM and loads each source's Parquet file as a table of that name. */
  static async open(tables: Record<string, TableSource>): Promise<KickDB> {
    // Fetch first, so a missing file fails with its name and HTTP status rather than deep inside SQL.
    const files = await Promise.all(
      Object.entries(tables).map(async ([name, source]) => {
        const url = new URL(hrefOf(source), document.baseURI).href;
        let response: Response;
        try {
          response = await fetch(url);
        } catch (error) {
          throw new DataFileError(name, url, (error as Error).message);
        }
        if (!response.ok) throw new DataFileError(name, url, `HTTP ${response.status} ${response.statusText}`);
        return { name, url, bytes: new Uint8Array(await response.arrayBuffer()) };
      }),
    );
    // Framework re-bundles the resolved worker as an ES module (it gains an `export`), so it must
    // run as a module worker.
    const worker = new Worker(new URL(BUNDLE.mainWorker, document.baseURI).href, { type: "module" });
    const db = new AsyncDuckDB(new VoidLogger(), worker);
    await db.instantiate(new URL(BUNDLE.mainModule, document.baseURI).href);
    const connection = await db.connect();
    try {
      // Never reach out for extensions: the site must work with no network beyond itself.
      await connection.query("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false");
      for (const { name, url, bytes } of files) {
        let ipc: Uint8Array;
        try {
          ipc = await parquetToArrowIPC(bytes, url);
        } catch (error) {
          throw new DataFileError(name, url, `not a readable Parquet file (${(error as Error).message})`);
        }
        await connection.insertArrowFromIPCStream(ipc, { name });
      }
    } finally {
      await connection.close();
    }
    return new KickDB(db);
  }

  /** Runs SQL and returns plain row objects (numbers, strings, booleans, Dates). */
  async query(sql: string): Promise<QueryRow[]> {
    const connection = await this.db.connect();
    try {
      const table = await connection.query(sql);
      return table.toArray().map((row) => {
        const object = row.toJSON() as QueryRow;
        for (const key of Object.keys(object)) object[key] = plainValue(object[key]);
        return object;
      });
    } finally {
      await connection.close();
    }
  }

  /** Column names of a table, to check that a page's expectations hold. */
  async columns(table: string): Promise<string[]> {
    const rows = await this.query(`SELECT column_name FROM (DESCRIBE "${table.replaceAll('"', '""')}")`);
    return rows.map((row) => String(row.column_name));
  }
}

/** A visible notice for a page whose data could not be loaded, instead of a blank chart. */
export function dataNotice(error: unknown): HTMLElement {
  const note = document.createElement("div");
  note.className = "note kick-data-error";
  note.setAttribute("role", "alert");
  note.setAttribute("label", "Data not available");
  note.textContent = error instanceof Error ? error.message : String(error);
  return note;
}
