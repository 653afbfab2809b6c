// Which soft prompt stands for a compressed variant in a claim (issue 20): the one chosen on validation items
// (loaders/prompt/selection.ts → data/prompt-choice.parquet), never the best on the test items it is scored on.
// Pages copy the choice table into the results database, so claim SQL can join it; a choice made on any other
// split is refused with the reason.
import { lit } from "./report-sql.js";

type Row = Record<string, unknown>;

export const PROMPT_CHOICE_COLUMNS = {
  checkpoint: "VARCHAR", model: "VARCHAR", sparsity: "DOUBLE", bits: "INTEGER", prompt: "VARCHAR", chosen_on: "VARCHAR", split: "VARCHAR",
  valid_ppl: "DOUBLE", baseline_valid_ppl: "DOUBLE", ratio: "DOUBLE", candidates: "INTEGER", excluded: "INTEGER",
} as const;

/** SQL that (re)creates the table `prompt_choice` from the choice rows (empty, with its columns, when none). */
export function promptChoiceTableSql(rows: readonly Row[]): string {
  const cols = Object.entries(PROMPT_CHOICE_COLUMNS);
  const typed = (r: Row) => `(${cols.map(([c, t]) => `CAST(${lit((r[c] ?? null) as string | number | null)} AS ${t})`).join(", ")})`;
  const body = rows.length
    ? `SELECT * FROM (VALUES ${rows.map(typed).join(", ")}) t(${cols.map(([c]) => c).join(", ")})`
    : `SELECT ${cols.map(([c, t]) => `CAST(NULL AS ${t}) AS ${c}`).join(", ")} WHERE false`;
  return `CREATE OR REPLACE TABLE prompt_choice AS ${body}`;
}

/** Why a claim may not rest on this choice, or null when it was made on validation items. */
export function refusedChoice(choice: { prompt: unknown; chosen_on: unknown; split?: unknown }): string | null {
  if (choice.chosen_on === "validation") return null;
  return `refused: ${String(choice.prompt)} was chosen on ${String(choice.chosen_on)} items${choice.split ? ` (${String(choice.split)})` : ""}, not on validation items; a prompt picked on the items it is scored on gives an optimistic score, so no claim rests on it — choose it on a validation split (loaders/prompt/selection.ts)`;
}
