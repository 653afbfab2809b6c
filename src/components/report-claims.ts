// The sentence above each chart: what the rows on screen show, worded by the verdict rules of
// report-verdict.ts (intervals, chance). Computed from the very rows the chart draws, so it follows
// the controls and whatever the store holds; a chart whose dense baseline is at chance says
// "not testable here" instead of a claim.
import type { Row } from "./report-charts.js";
import { atChance, compare, notTestable, verdictPhrase, type Estimate } from "./report-verdict.js";

const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));

/** A row's score and interval (columns value, ci_low, ci_high unless named). */
export const est = (r: Row, value = "value", lo = "ci_low", hi = "ci_high"): Estimate => ({ value: num(r[value]), lo: num(r[lo]), hi: num(r[hi]) });

export interface Compared {
  name: string;
  base: Estimate;
  other: Estimate;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * "closed book degrades (41% → 12%); open book holds (47% → 45%)". When every baseline is at
 * chance: "Not testable here: the dense model scores 0% (chance 0%)" (the highest baseline).
 */
export function compareAll(items: readonly Compared[], chance: number | null, lowerIsBetter = false): string | null {
  if (!items.length) return null;
  const testable = items.filter((i) => !atChance(i.base, chance));
  if (!testable.length) {
    const best = items.reduce((a, b) => (b.base.value > a.base.value ? b : a));
    const what = items.length > 1 ? "the dense model scores at most" : "the dense model scores";
    return capitalize(`${notTestable(best.base, chance).replace("the dense model scores", what)}${items.length > 1 ? " in every series shown" : ""}.`);
  }
  return capitalize(`${items.map((i) => `${i.name}: ${verdictPhrase(i.base, i.other, chance, lowerIsBetter)}`).join("; ")}.`);
}

/** The row whose `column` is nearest `target` (ties: the first). */
export function nearest(rows: readonly Row[], column: string, target: number): Row | undefined {
  return rows.reduce<Row | undefined>((best, r) => (best === undefined || Math.abs(num(r[column]) - target) < Math.abs(num(best[column]) - target) ? r : best), undefined);
}

/**
 * Level charts (series × compression level, dense as one level): each series' dense score against
 * its score at the compression level nearest `target` (50% sparsity, 4 bits).
 */
export function levelClaim(rows: readonly Row[], chance: number | null, target: number, lowerIsBetter = false): string | null {
  const compressed = rows.filter((r) => r.variant !== "dense");
  const at = nearest(compressed, "level", target);
  if (!at) return null;
  const items: Compared[] = [];
  for (const series of new Set(rows.map((r) => String(r.series)))) {
    const dense = rows.find((r) => r.series === series && r.variant === "dense");
    const other = compressed.find((r) => r.series === series && r.level === at.level);
    if (dense && other) items.push({ name: series.trim(), base: est(dense), other: est(other) });
  }
  const body = compareAll(items, chance, lowerIsBetter);
  return body && !body.startsWith("Not testable") ? `Dense → ${at.variant}. ${body}` : body;
}

/** How a score compares with a reference score, by intervals: "lower than", "higher than", "no clear difference from". */
export function relation(reference: Estimate, other: Estimate, lowerIsBetter = false): string {
  const v = compare(reference, other, lowerIsBetter);
  return v === "degrades" ? "is worse than" : v === "improves" ? "is better than" : "shows no clear difference from";
}
