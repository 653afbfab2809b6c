// A self-hosted DuckDB-WASM client shared by every page. Framework's own `sql` blocks and
// DuckDBClient fetch DuckDB-WASM from a CDN; this module resolves the wasm and worker files from
// node_modules instead, so `observable build` copies them into dist/ and the site works offline.
import { moduleWorker } from "./module-worker.js";
import { parquetToArrowIPC, RemoteParquet } from "./parquet-arrow.js";
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

/**
 * DuckDB-WASM itself, started once per page however many tables and views the page opens: its ~34 MB
 * .wasm is fetched and compiled once, by the first query that needs it (src/components/page-answers.ts
 * answers the page's first view without it).
 */
let instance: Promise<AsyncDuckDB> | undefined;
const tablesLoaded = new Set<string>();

/** A line at the foot of the window while the engine loads (it takes seconds on a slow machine), gone when it is ready. */
function loadingNotice(): { update: (text: string) => void; remove: () => void } {
  const note = document.createElement("div");
  note.className = "kick-engine-loading";
  note.setAttribute("role", "status");
  Object.assign(note.style, { position: "fixed", bottom: "8px", right: "8px", zIndex: "10", padding: "4px 8px", font: "12px system-ui, sans-serif", background: "var(--theme-background-alt, #f4f4f4)", border: "1px solid #ccc", borderRadius: "4px" });
  const update = (text: string) => (note.textContent = text);
  update("Loading the query engine (DuckDB-WASM)…");
  document.body?.append(note);
  return { update, remove: () => note.remove() };
}

function sharedDuckDB(): Promise<AsyncDuckDB> {
  instance ??= (async () => {
    const notice = loadingNotice();
    try {
      // Framework re-bundles the resolved worker as an ES module (it gains an `export`), so it must
      // run as a module worker.
      const worker = moduleWorker(BUNDLE.mainWorker);
      const db = new AsyncDuckDB(new VoidLogger(), worker);
      const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
      await db.instantiate(new URL(BUNDLE.mainModule, document.baseURI).href, null, (p) => {
        if (p.bytesTotal > 0) notice.update(`Loading the query engine (DuckDB-WASM): ${mb(p.bytesLoaded)} of ${mb(p.bytesTotal)} MB…`);
      });
      notice.update("Starting the query engine (DuckDB-WASM)…");
      const connection = await db.connect();
      try {
        // Never reach out for extensions: the site must work with no network beyond itself.
        await connection.query("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false");
      } finally {
        await connection.close();
      }
      return db;
    } finally {
      notice.remove();
    }
  })();
  instance.catch(() => (instance = undefined)); // a failed start may be retried
  return instance;
}

export class KickDB {
  private constructor(private readonly db: AsyncDuckDB) {}

  /** Loads each source's Parquet file as a table of that name into the page's DuckDB-WASM (started on first use). */
  static async open(tables: Record<string, TableSource>): Promise<KickDB> {
    // Fetch first, so a missing file fails with its name and HTTP status rather than deep inside SQL.
    const files = await Promise.all(
      Object.entries(tables)
        .filter(([name]) => !tablesLoaded.has(name))
        .map(async ([name, source]) => {
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
    const db = await sharedDuckDB();
    const connection = await db.connect();
    try {
      for (const { name, url, bytes } of files) {
        if (tablesLoaded.has(name)) continue; // another open of the page loaded it meanwhile
        let ipc: Uint8Array;
        try {
          ipc = await parquetToArrowIPC(bytes, url);
        } catch (error) {
          throw new DataFileError(name, url, `not a readable Parquet file (${(error as Error).message})`);
        }
        await connection.insertArrowFromIPCStream(ipc, { name });
        tablesLoaded.add(name);
      }
    } finally {
      await connection.close();
    }
    return new KickDB(db);
  }

  /** Adds rows (Arrow IPC) to a table, creating it when `create`. */
  async insert(table: string, ipc: Uint8Array, create: boolean): Promise<void> {
    const connection = await this.db.connect();
    try {
      await connection.insertArrowFromIPCStream(ipc, { name: table, create });
    } finally {
      await connection.close();
    }
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

/**
 * A table too large to load at page open (the examples table: every prediction of every run).
 * Only its footer is read at open; `load(key)` fetches the row groups holding one key's rows (the file
 * is sorted by that column and written in small row groups) and adds them to the DuckDB table of the
 * same name, once per key, so ordinary SQL on that table sees every key loaded so far.
 */
export class LazyTable {
  private readonly loaded = new Map<string, Promise<void>>();
  // Inserts run one at a time: the first creates the table.
  private inserts: Promise<unknown> = Promise.resolve();
  private created = false;

  private constructor(
    private readonly db: Promise<KickDB>,
    readonly name: string,
    readonly keyColumn: string,
    private readonly file: RemoteParquet,
  ) {}

  /** `db` may still be starting: the footer is read meanwhile, and rows wait for it. */
  static async open(db: KickDB | Promise<KickDB>, name: string, source: TableSource, keyColumn: string): Promise<LazyTable> {
    const url = new URL(hrefOf(source), document.baseURI).href;
    let file: RemoteParquet;
    try {
      file = await RemoteParquet.open(url);
    } catch (error) {
      throw new DataFileError(name, url, (error as Error).message);
    }
    if (!file.columns.includes(keyColumn)) throw new DataFileError(name, url, `no column "${keyColumn}"`);
    return new LazyTable(Promise.resolve(db), name, keyColumn, file);
  }

  get columns(): string[] {
    return this.file.columns;
  }

  load(key: string): Promise<void> {
    let pending = this.loaded.get(key);
    if (!pending) {
      pending = this.file.arrowWhere({ [this.keyColumn]: { $eq: key } }).then((ipc) => {
        const insert = this.inserts.then(async () => {
          await (await this.db).insert(this.name, ipc, !this.created);
          this.created = true;
        });
        this.inserts = insert.catch(() => undefined);
        return insert;
      });
      pending.catch(() => this.loaded.delete(key)); // a failed fetch may be retried
      this.loaded.set(key, pending);
    }
    return pending;
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
