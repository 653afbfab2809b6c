// What a comparison of two measured scores may claim, in one place: the chance level of each task's
// metric, whether a dense baseline is at chance (then nothing about compression is testable on it),
// the verdict of two 95% intervals, and the share of the dense score kept above chance. Pages,
// findings, figure claims and figure files all word their results through these, so the site never
// states a result its numbers do not carry.
import { lit } from "./report-sql.js";

/**
 * The score a model gets by guessing, per task and metric. Multiple choice has four options (the
 * Hendrycks format, A–D); every other scored metric is an exact or partial match of free text, which
 * guessing does not reach. Metrics not listed (perplexity, counts) have no chance level.
 */
export const CHANCE: Record<string, Record<string, number>> = {
  mcq: { loglik_accuracy: 0.25, cloze_accuracy: 0.25, cloze_norm_accuracy: 0.25, generate_accuracy: 0.25 },
  factoid_qa: { alias_hit: 0, exact_match: 0 },
  icr_qa: { containment: 0, exact_match: 0, f1: 0, original_answer: 0 },
  summarization: { rouge1: 0, rouge2: 0, rougeL: 0 },
  long_context: { accuracy: 0 },
  instruction: { constraints_satisfied: 0 },
};

/** The chance level of a task's metric, or null where there is none (perplexity, counts). */
export function chanceOf(task: unknown, metric: unknown): number | null {
  return CHANCE[String(task)]?.[String(metric)] ?? null;
}

/** The same table as a SQL expression over `task` and `metric` columns (NULL where there is none). */
export function chanceSql(task = "task", metric = "metric"): string {
  const cases = Object.entries(CHANCE).flatMap(([t, metrics]) => Object.entries(metrics).map(([m, c]) => `WHEN ${task} = ${lit(t)} AND ${metric} = ${lit(m)} THEN ${c}`));
  return `CAST(CASE ${cases.join(" ")} END AS DOUBLE)`;
}

/** A measured score with its 95% interval (absent for some metrics). */
export interface Estimate {
  value: number;
  lo?: number | null;
  hi?: number | null;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
/** A SQL value as a number (DuckDB-WASM returns DECIMAL and BIGINT columns as objects or bigints), or NaN. */
const asNumber = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));
const lower = (e: Estimate) => (finite(e.lo) ? e.lo : e.value);
const upper = (e: Estimate) => (finite(e.hi) ? e.hi : e.value);

/**
 * How far above chance a dense score must be for a loss to be measurable: 5 points. A model that
 * answers 2 of 600 counterfactual questions (0.3%, interval 0.1–1.2%) is "above 0" but has nothing
 * compression could visibly take away.
 */
export const MIN_HEADROOM = 0.05;

/**
 * A dense baseline is at chance when its interval reaches the chance level (or, without an interval,
 * its score does not exceed it), or when it is less than MIN_HEADROOM above it: compression cannot be
 * shown to remove what the model never had.
 */
export function atChance(dense: Estimate, chance: number | null): boolean {
  if (chance === null) return false;
  return lower(dense) <= chance || dense.value - chance < MIN_HEADROOM;
}

export type Verdict = "degrades" | "improves" | "holds" | "no clear difference";

/**
 * Compares a compressed score with its baseline by their 95% intervals: disjoint intervals are a
 * change ("degrades" / "improves", by which side is better); overlapping intervals with the compressed
 * score inside the baseline's interval "hold"; any other overlap is "no clear difference".
 */
export function compare(base: Estimate, other: Estimate, lowerIsBetter = false): Verdict {
  const below = upper(other) < lower(base);
  const above = lower(other) > upper(base);
  if (below || above) return below !== lowerIsBetter ? "degrades" : "improves";
  return other.value >= lower(base) && other.value <= upper(base) ? "holds" : "no clear difference";
}

/** A score as a percentage with no decimals ("31%"), or "n/a". */
export const pct = (v: unknown): string => (Number.isFinite(asNumber(v)) ? `${Math.round(asNumber(v) * 100)}%` : "n/a");

/** A score as it is printed next to a verdict: accuracies as percentages, other metrics to 3 digits. */
export function score(v: unknown, chance: number | null): string {
  const x = asNumber(v);
  if (!Number.isFinite(x)) return "n/a";
  return chance !== null ? pct(x) : x.toPrecision(3);
}

/** The sentence that replaces a claim whose dense baseline is at chance. */
export function notTestable(dense: Estimate, chance: number | null, what = "the dense model"): string {
  return `not testable here: ${what} scores ${score(dense.value, chance)} (chance ${score(chance ?? 0, chance ?? 0)})`;
}

/** "degrades (41% → 12%)", or the not-testable sentence when the baseline is at chance. */
export function verdictPhrase(base: Estimate, other: Estimate, chance: number | null, lowerIsBetter = false): string {
  if (atChance(base, chance)) return notTestable(base, chance);
  return `${compare(base, other, lowerIsBetter)} (${score(base.value, chance)} → ${score(other.value, chance)})`;
}

/**
 * The main grid (view `agg`) with what a verdict needs of the dense baseline: its interval
 * (`dense_lo`, `dense_hi`), the cell's `chance`, the share of the dense score kept above chance,
 * `kept` = (score − chance) / (dense − chance) (a four-option model at 0.30 whose dense score is 0.31
 * keeps 83% of what it knew above guessing, not 97%), and whether the dense score clears chance at
 * all (`testable`, the SQL twin of `atChance`).
 */
export const AGG_VS_DENSE = `(SELECT *, (value - coalesce(chance, 0)) / nullif(dense_value - coalesce(chance, 0), 0) AS kept,
    chance IS NULL OR (coalesce(dense_lo, dense_value) > chance AND dense_value - chance >= ${MIN_HEADROOM}) AS testable
  FROM (SELECT *, ${chanceSql()} AS chance,
      max(CASE WHEN method = 'dense' THEN ci_low END) OVER (PARTITION BY model, task, subset, metric) AS dense_lo,
      max(CASE WHEN method = 'dense' THEN ci_high END) OVER (PARTITION BY model, task, subset, metric) AS dense_hi
    FROM agg))`;
