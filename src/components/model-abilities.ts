// What one dense model can and cannot do, from the results store: its primary score on every task,
// split into the tasks it scores clearly above chance on and those at chance (where it can show no
// effect of compression either). The playground frames its answers with this, so the page never
// states a model's ability in static text.
import type { Query } from "./report-controls.js";
import { mainSubset, primaryMetric, taskRowLabel } from "./report-figures.js";
import { lit } from "./report-sql.js";
import { AGG_VS_DENSE, pct } from "./report-verdict.js";

export const abilitiesSql = (model: string) => `SELECT ${taskRowLabel} AS label, value, chance, testable FROM ${AGG_VS_DENSE}
  WHERE model = ${lit(model)} AND method = 'dense' AND task <> 'perplexity' AND ${mainSubset} AND ${primaryMetric} ORDER BY value DESC`;

/** "kick-s, dense, scores …: closed-book … 16%; …. At or near chance: multiple choice 30% (chance 25%); …" */
export async function abilitiesElement(model: string, query: Query): Promise<HTMLElement> {
  const rows = await query(abilitiesSql(model));
  const p = document.createElement("p");
  p.className = "kick-abilities";
  const fmt = (r: Record<string, unknown>) => `${r.label} ${pct(r.value)}${Number(r.chance) > 0 ? ` (chance ${pct(r.chance)})` : ""}`;
  const can = rows.filter((r) => r.testable), cannot = rows.filter((r) => !r.testable);
  p.textContent = rows.length
    ? `What ${model} can do, from the results store (dense model, primary score per task): ${can.length ? can.map(fmt).join("; ") : "no task clearly above chance"}.` +
      (cannot.length ? ` At or within 5 points of chance, so neither its answers nor the compressed model's differences mean much there: ${cannot.map(fmt).join("; ")}.` : "")
    : `The results store has no dense runs of ${model}.`;
  return p;
}
