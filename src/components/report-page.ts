// What every report page does with the results store: open it (DuckDB-WASM, src/components/duckdb.ts),
// check that the tables and columns it needs are there, create the report's views, and explain
// plainly what is missing and how to produce it when they are not.
import type { StoreStatus, StoreTable } from "../../loaders/figures/results-store.js";
import { KickDB, LazyTable, dataNotice, type QueryRow, type TableSource } from "./duckdb.js";
import { PageAnswers } from "./page-answers.js";
import { viewDownloads, type ChartView } from "./figure-download.js";
import { figureLinks } from "./figure-links.js";
import { REPORT_TABLES, REQUIRED_COLUMNS } from "./report-sql.js";

export const PRODUCE_COMMAND = "npm run kick -- sweep --plan PLAN.json --export data/results";
const REBUILD = `then rebuild the site (npm run clean && npm run build; the build reuses cached loader output otherwise)`;

/** The store lacks a table, rows or columns a page needs; the message says what and how to fix it. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreError";
  }
}

export interface ReportStore {
  status: StoreStatus;
  /** The page's first view as answered at build time (none when the page has no answers file, or a stale one). */
  answers: PageAnswers;
  query: (sql: string) => Promise<QueryRow[]>;
  /** Starts DuckDB-WASM now, in the background, for a page whose readers will soon ask it (the explorer's filters). */
  warm: () => void;
  /** Loads one run's rows of the examples table (read piecewise, never whole) before SQL on `examples`. */
  loadExamples: (runId: string) => Promise<void>;
}

export interface ReportSources {
  status: TableSource;
  results?: TableSource;
  runs?: TableSource;
  examples?: TableSource;
  /** The page's first view, answered at build time (/data/first-view/<page>.json): DuckDB-WASM starts only for other SQL. */
  answers?: TableSource;
}

const hrefOf = (source: TableSource) => (typeof source === "string" ? source : source.href);

function checkColumns(table: StoreTable, columns: readonly string[], where: string): void {
  const missing = REQUIRED_COLUMNS[table].filter((c) => !columns.includes(c));
  if (missing.length) {
    throw new StoreError(
      `The results store's ${table} table (${where}) lacks column(s) ${missing.join(", ")}, which this page needs. ` +
        `It was probably exported by an older kick: re-export it with \`${PRODUCE_COMMAND}\` (or \`npm run kick -- merge --out data/results/store --export data/results …\`), ${REBUILD}.`,
    );
  }
}

/** Opens the store's tables a page needs; throws StoreError/DataFileError with what is missing. */
export async function openReport(sources: ReportSources): Promise<ReportStore> {
  const statusUrl = new URL(hrefOf(sources.status), document.baseURI).href;
  const response = await fetch(statusUrl);
  if (!response.ok) throw new StoreError(`The results store's description (${statusUrl}) could not be loaded: HTTP ${response.status}. Rebuild the site with \`npm run build\`.`);
  const status = (await response.json()) as StoreStatus;
  const tables: Record<string, TableSource> = {};
  for (const table of ["results", "runs", "examples"] as const) {
    const source = sources[table];
    if (!source) continue;
    const info = status.tables[table];
    const where = `${status.source}/${table}.parquet`;
    if (!info?.present) {
      throw new StoreError(
        `No results yet: the site was built without ${where}. ` +
          `Produce the store with a sweep, \`${PRODUCE_COMMAND}\` (docs/sweep.md; one shard per GPU, then \`npm run kick -- merge\`), ${REBUILD}.`,
      );
    }
    if (info.rows === 0) throw new StoreError(`The results store's ${table} table (${where}) has no rows: the sweep has not finished a run yet. Run \`${PRODUCE_COMMAND}\`, ${REBUILD}.`);
    checkColumns(table, info.columns, where);
    tables[table] = source;
  }
  // The examples table (a row per prediction, megabytes) is read a run at a time, from its footer on.
  const { examples, ...whole } = tables;
  const open = async () => {
    // The examples table's footer is read while DuckDB-WASM starts (its rows wait for it).
    const starting = KickDB.open(whole);
    starting.catch(() => undefined); // awaited below; this only keeps the browser from calling it unhandled meanwhile
    const lazyExamples = examples ? await LazyTable.open(starting, "examples", examples, "run_id") : undefined;
    const db = await starting;
    // The file served may differ from what the build saw (a stale deploy): check the columns again.
    const asServed = (table: StoreTable) => `${status.source}/${table}.parquet as served`;
    for (const table of Object.keys(whole) as StoreTable[]) checkColumns(table, await db.columns(table), asServed(table));
    if (lazyExamples) checkColumns("examples", lazyExamples.columns, asServed("examples"));
    if (tables.results) for (const statement of REPORT_TABLES) await db.query(statement);
    return { db, lazyExamples };
  };
  // Answers computed from other numbers than these (a stale file) are not used.
  const loaded = await PageAnswers.load(sources.answers);
  const answers = loaded.data === (status.version?.data ?? null) ? loaded : PageAnswers.none;
  let opened: ReturnType<typeof open> | undefined;
  const store = () => {
    opened ??= open();
    opened.catch(() => (opened = undefined));
    return opened;
  };
  // Without answers (none built, or made from other numbers) the page needs DuckDB at once: open it here,
  // so a failure is the page's notice.
  if (answers === PageAnswers.none) await store();
  return {
    status,
    answers,
    query: (sql) => answers.query(sql, async (s) => (await store()).db.query(s)),
    warm: () => void store().catch(() => undefined), // a failure shows where a statement needs it
    loadExamples: async (runId) => {
      const { lazyExamples } = await store();
      if (!lazyExamples) throw new StoreError("This page did not open the examples table (openReport({examples: …})).");
      await lazyExamples.load(runId);
    },
  };
}

/** The notice a page shows instead of its charts. */
export function reportNotice(error: unknown): HTMLElement {
  const note = dataNotice(error);
  note.classList.add("kick-store-error");
  note.classList.replace("note", "warning");
  return note;
}

/** Which weights the results measured: each model with its weights hash prefix (as the cells label them). */
export function weightsLine(status: Pick<StoreStatus, "weights">): string {
  const weights = status.weights ?? [];
  return weights.length ? ` Weights: ${weights.map((w) => `${w.model} ${w.model_hash.slice(0, 8)} (${w.runs} runs)`).join(", ")}.` : "";
}

/** The store's source and the weights it measured; a loud banner when it is the synthetic test fixture rather than measurements. */
export function storeBanner(status: StoreStatus): HTMLElement {
  const div = document.createElement("div");
  if (!status.fixture) {
    div.className = "kick-store-source";
    div.textContent = `Results store: ${status.source} (${status.tables.results.rows} result rows).${weightsLine(status)}`;
    return div;
  }
  div.className = "caution kick-fixture-banner";
  div.setAttribute("label", "Synthetic test fixture — not measurements");
  div.textContent = `Invented numbers from ${status.source} (made by its make-fixture.ts) for developing and testing these pages. A site built from data/results/ (the reference sweep) shows measurements.`;
  return div;
}

/** The SQL behind a chart, and its row count, in a <details> under it. */
export function sqlDetails(sql: string, rows: readonly unknown[], name = ""): HTMLElement {
  const details = document.createElement("details");
  details.className = "kick-sql";
  if (name) details.dataset.figureSql = name;
  const summary = document.createElement("summary");
  summary.textContent = `SQL (${rows.length} rows)`;
  const pre = document.createElement("pre");
  const code = document.createElement("code");
  code.textContent = sql.replace(/\n\s+/g, "\n  ").trim();
  pre.append(code);
  details.append(summary, pre);
  return details;
}

/**
 * Download links under a chart: this view (figure-download.ts: SVG, PNG, PDF of the chart as shown,
 * with title, controls and source line; its rows as CSV), the figure files at their stable URLs
 * (default controls, rendered at build time), the embeddable module, and a link to this view.
 */
export function figureFooter(name: string, chart: () => Element | null, view: ChartView, root = "./"): HTMLElement {
  const nav = document.createElement("p");
  nav.className = "kick-figure-links";
  nav.append(viewDownloads(name, chart, view), " · ");
  const defaults = figureLinks(`report-${name}`, root);
  defaults.firstChild!.textContent = "Default view: ";
  nav.append(...defaults.childNodes, " · ");
  const embed = document.createElement("a");
  embed.href = `${root}embed/${name}.js`;
  embed.textContent = "embed module";
  embed.title = `import {chart} from "<site>/embed/${name}.js"; document.body.append(await chart({width: 640}));`;
  const link = document.createElement("a");
  link.href = location.href;
  link.className = "kick-view-link";
  link.textContent = "link to this view";
  link.title = "The page's address with every control's value: opening it restores this view.";
  link.addEventListener("click", () => (link.href = location.href)); // the controls may have changed since
  nav.append(embed, " · ", link);
  return nav;
}
