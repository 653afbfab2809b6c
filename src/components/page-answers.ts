// A page's first view without DuckDB-WASM: the build runs the SQL a page issues before anyone touches
// a control (src/components/first-view.ts, in node DuckDB over the same tables and views) and writes
// each statement's rows to /data/first-view/<page>.json, a few kilobytes. The page answers those
// statements from the file; any other statement (a control changed, an address with other controls)
// starts DuckDB-WASM, once, and runs there. A statement is answered only when its text is the same,
// byte for byte, so a stale or missing file costs time, never a wrong number.
import { decodeValue, encodeValue, type AnswersFile } from "./answers-file.js";
import { KickDB, type QueryRow, type TableSource } from "./duckdb.js";

/** A statement answered from the file, and DuckDB-WASM's own answer to it (both as JSON, non-finite numbers encoded). */
export interface Checked {
  sql: string;
  answered: string;
  live: string;
}

/**
 * What the page answered from its files and what it had to ask DuckDB-WASM, on `globalThis.kickAnswerStats`
 * for the tests and `npm run bench:site`; `check()` asks DuckDB-WASM every statement answered so far.
 */
export interface AnswerStats {
  answered: number;
  asked: string[];
  check: () => Promise<Checked[]>;
}
const files: PageAnswers[] = [];
const stats: AnswerStats = { answered: 0, asked: [], check: async () => (await Promise.all(files.map((f) => f.check()))).flat() };
(globalThis as { kickAnswerStats?: AnswerStats }).kickAnswerStats = stats;

export class PageAnswers {
  /** How each statement answered so far would have been asked of DuckDB-WASM (for `check`). */
  private readonly asks = new Map<string, (sql: string) => Promise<QueryRow[]>>();

  private constructor(
    private readonly rows: Map<string, string>,
    readonly data: string | null,
  ) {
    if (rows.size) files.push(this);
  }

  static readonly none = new PageAnswers(new Map(), null);

  /** The page's answers file; none (every statement goes to DuckDB) when it cannot be read. */
  static async load(source: TableSource | undefined): Promise<PageAnswers> {
    if (!source) return PageAnswers.none;
    try {
      const response = await fetch(new URL(typeof source === "string" ? source : source.href, document.baseURI));
      if (!response.ok) return PageAnswers.none;
      const file = JSON.parse(await response.text()) as AnswersFile;
      // Kept as text: each answer is parsed afresh, so a page that changes its rows cannot change a later answer.
      return new PageAnswers(new Map(Object.entries(file.answers).map(([sql, rows]) => [sql, JSON.stringify(rows)])), file.data);
    } catch {
      return PageAnswers.none;
    }
  }

  get(sql: string): QueryRow[] | undefined {
    const text = this.rows.get(sql);
    if (text === undefined) return undefined;
    stats.answered++;
    return JSON.parse(text, decodeValue) as QueryRow[];
  }

  /** Answers from the file, else from `ask` (DuckDB-WASM). */
  async query(sql: string, ask: (sql: string) => Promise<QueryRow[]>): Promise<QueryRow[]> {
    const known = this.get(sql);
    if (known) {
      this.asks.set(sql, ask);
      return known;
    }
    stats.asked.push(sql);
    return ask(sql);
  }

  /** Each statement answered so far, with DuckDB-WASM's answer to it. */
  async check(): Promise<Checked[]> {
    const checked: Checked[] = [];
    for (const [sql, ask] of this.asks) checked.push({ sql, answered: this.rows.get(sql)!, live: JSON.stringify(await ask(sql), encodeValue) });
    return checked;
  }
}

/** A page's DuckDB-WASM tables, loaded only when a statement is not in `answers` (KickDB.open, once). */
export function lazyKickDB(tables: Record<string, TableSource>, answers: PageAnswers): { query: (sql: string) => Promise<QueryRow[]> } {
  let db: Promise<KickDB> | undefined;
  const open = () => {
    db ??= KickDB.open(tables);
    db.catch(() => (db = undefined));
    return db;
  };
  return { query: (sql) => answers.query(sql, async (s) => (await open()).query(s)) };
}
