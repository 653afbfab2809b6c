// The soft-prompt page's honest comparison (issue 20): per compressed variant, the prompt chosen on validation items
// (the `prompt_choice` table, prompt-choice.ts) scored on the test items, beside no prompt, the dense model, and
// the dense-with-prompt control — the dense model with its own prompt chosen the same way — so that recovery is
// told apart from what any prompt tuning gives an uncompressed model. Perplexity (the prompt runs' window
// length) and factoid accuracy.
import { SOFT_SEQ_LEN } from "./report-sql.js";

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? Number.NaN : Number(v));

/** The cell columns that make two runs the same compressed variant (report-sql.ts's cells view). */
const SAME_CELL = (a: string, b: string) =>
  ["model", "model_hash", "method", "pattern", "sparsity", "task", "k_shot"].map((col) => `${a}.${col} = ${b}.${col}`).concat(["bits", "group_size", "calib_samples", "seq_len"].map((col) => `${a}.${col} IS NOT DISTINCT FROM ${b}.${col}`)).join(" AND ");

export const CHOSEN_PROMPT_SQL = `WITH c AS (SELECT * FROM cells WHERE k_shot = 0 AND (
      (task = 'perplexity' AND subset = 'all' AND metric = 'perplexity' AND seq_len = ${SOFT_SEQ_LEN}) OR (task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit'))),
    -- each compressed cell's runs with the prompt chosen on validation items for its checkpoint
    s AS (SELECT c.*, ch.split, ch.candidates FROM c JOIN prompt_choice ch ON ch.prompt = c.prompt AND ch.model = c.model AND abs(ch.sparsity - c.sparsity) < 1e-9 AND ch.bits IS NOT DISTINCT FROM c.bits
      WHERE c.method <> 'dense' AND ch.chosen_on = 'validation'),
    -- the dense model's own prompt, chosen on validation items like the others
    control AS (SELECT c.model, c.model_hash, c.task, c.prompt AS dense_prompt, c.value AS dense_prompt_value
      FROM c JOIN prompt_choice ch ON ch.model = c.model AND ch.prompt = c.prompt AND ch.sparsity = 0 AND ch.bits IS NULL AND ch.chosen_on = 'validation' WHERE c.method = 'dense')
  SELECT s.model, s.variant, s.method, s.task, s.metric, s.prompt AS chosen, s.split, s.candidates,
    n.value AS none_value, s.value AS soft_value, s.ci_low AS soft_lo, s.ci_high AS soft_hi, d.value AS dense_value, k.dense_prompt, k.dense_prompt_value
  FROM s
    JOIN c n ON ${SAME_CELL("n", "s")} AND n.prompt = 'none'
    LEFT JOIN c d ON d.model = s.model AND d.model_hash = s.model_hash AND d.method = 'dense' AND d.task = s.task AND d.seq_len IS NOT DISTINCT FROM s.seq_len AND d.prompt = 'none'
    LEFT JOIN control k ON k.model = s.model AND k.model_hash = s.model_hash AND k.task = s.task
  ORDER BY s.model_params DESC, s.model, s.variant, s.task`;

/** The share of the gap from no prompt to `target` that the prompted score covers (either metric direction). */
export const shareClosed = (none: number, soft: number, target: number) => (soft - none) / (target - none);

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : "—");
const fmt = (r: Row, v: unknown) => (r.task === "perplexity" ? num(v).toFixed(2) : num(v).toFixed(3));

/** One row's sentence: the chosen prompt's share of the gap, to dense and to the dense-with-prompt control. */
export function chosenPromptSentence(r: Row): string {
  const what = r.task === "perplexity" ? "perplexity" : "factoid accuracy";
  const head = `${r.model}, ${r.variant}, ${what}: ${fmt(r, r.none_value)} without a prompt → ${fmt(r, r.soft_value)} with ${String(r.chosen).replace("soft:", "")} (chosen on validation items among ${num(r.candidates)})`;
  const dense = Number.isFinite(num(r.dense_value)) ? `, ${pct(shareClosed(num(r.none_value), num(r.soft_value), num(r.dense_value)))} of the gap to dense (${fmt(r, r.dense_value)})` : "";
  const control = Number.isFinite(num(r.dense_prompt_value))
    ? `; against the dense-with-prompt control (${fmt(r, r.dense_prompt_value)}), ${pct(shareClosed(num(r.none_value), num(r.soft_value), num(r.dense_prompt_value)))}`
    : "; dense-with-prompt control: not measured";
  return `${head}${dense}${control}.`;
}

/** The headline: the 8× level (4-bit + 50%) of the largest model on perplexity where stored, else the first row. */
export function chosenPromptClaim(rows: readonly Row[]): string {
  if (!rows.length) return "Not measured: no compressed variant in the store has runs with its prompt chosen on validation items.";
  const headline = rows.find((r) => r.task === "perplexity" && /50% 4-bit/.test(String(r.variant))) ?? rows[0];
  return `${chosenPromptSentence(headline)} Every variant with a chosen prompt is in the table below.`;
}

/** The table's rows, formatted. */
export function chosenPromptTable(rows: readonly Row[]): Row[] {
  return rows.map((r) => ({
    model: r.model,
    variant: r.variant,
    task: r.task === "perplexity" ? "perplexity" : "factoid accuracy",
    "no prompt": fmt(r, r.none_value),
    "chosen prompt": fmt(r, r.soft_value),
    prompt: String(r.chosen).replace("soft:", ""),
    "chosen among": num(r.candidates),
    "chosen on": String(r.split),
    dense: Number.isFinite(num(r.dense_value)) ? fmt(r, r.dense_value) : "—",
    "dense + own prompt (control)": Number.isFinite(num(r.dense_prompt_value)) ? fmt(r, r.dense_prompt_value) : "not measured",
    "gap closed to dense": pct(shareClosed(num(r.none_value), num(r.soft_value), num(r.dense_value))),
    "gap closed to control": Number.isFinite(num(r.dense_prompt_value)) ? pct(shareClosed(num(r.none_value), num(r.soft_value), num(r.dense_prompt_value))) : "not measured",
  }));
}
