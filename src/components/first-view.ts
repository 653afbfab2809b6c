// The SQL each page issues before anyone touches a control, run by the build (src/data/first-view/[page].json.ts)
// to write the page's answers file (page-answers.ts). Each entry calls the same functions, with the same
// defaults, as the page's own cells do; a statement this misses only makes the page start DuckDB-WASM.
import { resolveParams, type Query } from "./report-controls.js";
import { EXPLORER_CONTROLS, FIGURE_NAMES, FIGURES, explorerAggregateSql, explorerRunsSql } from "./report-figures.js";
import { findingsMarkdown } from "./report-findings.js";
import { BEYOND_ACCURACY_SQL } from "./beyond-accuracy.js";
import { COVERAGE_SQL } from "./interval-coverage.js";
import { promptChoiceTableSql } from "./prompt-choice.js";
import { CHOSEN_PROMPT_SQL } from "./soft-prompt-choice.js";
import { ledgerRows, PROMPT_CHOICE_SQL } from "./ledger.js";
import { FLIP_CHOICES_SQL, flipsSql } from "./flips-sql.js";
import { TABLE3_DEFAULT_TASK, TABLE3_SUMMARY_SQL, table3Sql } from "./table3-summary.js";

/** The overview's line of totals. */
export const TOTALS_SQL = `SELECT count(DISTINCT run_id) AS runs, count(DISTINCT model) AS models, count(DISTINCT task) AS tasks,
  count(DISTINCT method || pattern || sparsity || coalesce(bits, 0)) AS variants FROM results`;

/** The chart the overview shows, at its default controls. */
export const OVERVIEW_FIGURE = "perplexity-gap";

/** A figure at its default controls: the controls' options, then the chart's rows. */
async function defaultFigure(name: string, query: Query): Promise<void> {
  const spec = FIGURES[name];
  await query(spec.sql(await resolveParams(spec.controls, query)));
}

const findingsPage = (page: string) => async (query: Query) => {
  await findingsMarkdown(query, "./", page);
  for (const name of FIGURE_NAMES.filter((n) => FIGURES[n].page === page)) await defaultFigure(name, query);
};

/**
 * Per page, its first view's statements. `query` reaches every table a page reads (results, runs, the
 * report's views, flips, table3).
 */
const PAGE_FIRST_VIEWS: Record<string, (query: Query) => Promise<void>> = {
  index: async (query) => {
    await query(TABLE3_SUMMARY_SQL);
    await query(table3Sql(TABLE3_DEFAULT_TASK));
  },
  overview: async (query) => {
    await findingsMarkdown(query);
    await query(TOTALS_SQL);
    await defaultFigure(OVERVIEW_FIGURE, query);
  },
  ...Object.fromEntries([...new Set(FIGURE_NAMES.map((n) => FIGURES[n].page))].map((page) => [page, findingsPage(page)])),
  ledger: async (query) => void (await ledgerRows(query, query, await query(PROMPT_CHOICE_SQL))),
  explorer: async (query) => {
    const filters = await resolveParams(EXPLORER_CONTROLS, query);
    await query(explorerAggregateSql(filters));
    await query(explorerRunsSql(filters));
  },
};

// The perplexity page also shows the flips chart, at its first model and task, and the metrics beyond accuracy.
const perplexity = PAGE_FIRST_VIEWS.perplexity;
PAGE_FIRST_VIEWS.perplexity = async (query) => {
  await perplexity(query);
  const [first] = await query(FLIP_CHOICES_SQL);
  if (first) await query(flipsSql(first));
  await query(BEYOND_ACCURACY_SQL);
};

// The soft-prompts page also shows the prompt each variant reports, chosen on validation items.
const softPrompts = PAGE_FIRST_VIEWS["soft-prompts"];
PAGE_FIRST_VIEWS["soft-prompts"] = async (query) => {
  await softPrompts(query);
  await query(promptChoiceTableSql(await query(PROMPT_CHOICE_SQL)));
  await query(CHOSEN_PROMPT_SQL);
};

/** Every page's first view ends with its captions' interval-coverage sentence (interval-coverage.ts). */
export const FIRST_VIEWS: Record<string, (query: Query) => Promise<void>> = Object.fromEntries(
  Object.entries(PAGE_FIRST_VIEWS).map(([page, view]) => [page, async (query: Query) => { await view(query); await query(COVERAGE_SQL); }]),
);
