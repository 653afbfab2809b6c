// Beyond accuracy (issue 20): per compressed variant, factoid accuracy beside how far its next-token distribution
// moved from the dense model's (KL on the perplexity windows) and how fluent its answers are (the dense model's
// perplexity of them, repetition, distinct-2) — LLM-KICK's "fluent but factually wrong". Computed from the
// store's `agg` view (report-sql.ts): no prompt, 0-shot, the main calibration count and window length.
import * as Plot from "@observablehq/plot";
import { fluentButWrong as fluentButWrongRule } from "./ledger-rules.js";
import { colorOf } from "./palette.js";

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? Number.NaN : Number(v));

const metric = (name: string, task: string, alias: string) =>
  `${alias} AS (SELECT model, model_hash, variant, value AS ${alias}, ci_low AS ${alias}_lo, ci_high AS ${alias}_hi FROM agg WHERE task = '${task}' AND subset = 'all' AND metric = '${name}')`;

/** One row per variant (dense included, as the reference) of every model with KL or answer fluency stored. */
export const BEYOND_ACCURACY_SQL = `WITH ${metric("alias_hit", "factoid_qa", "accuracy")},
    ${metric("kl_dense", "perplexity", "kl")},
    ${metric("dense_answer_ppl", "factoid_qa", "answer_ppl")},
    ${metric("repetition", "factoid_qa", "repetition")},
    ${metric("distinct_2", "factoid_qa", "distinct_2")},
    v AS (SELECT model, model_hash, variant, any_value(method) AS method, max(model_params) AS model_params FROM agg GROUP BY ALL),
    measured AS (SELECT DISTINCT model, model_hash FROM kl UNION SELECT DISTINCT model, model_hash FROM answer_ppl)
  SELECT v.*, accuracy.* EXCLUDE (model, model_hash, variant), kl.* EXCLUDE (model, model_hash, variant), answer_ppl.* EXCLUDE (model, model_hash, variant),
    repetition.* EXCLUDE (model, model_hash, variant), distinct_2.* EXCLUDE (model, model_hash, variant)
  FROM v JOIN measured USING (model, model_hash) JOIN accuracy USING (model, model_hash, variant)
    LEFT JOIN kl USING (model, model_hash, variant) LEFT JOIN answer_ppl USING (model, model_hash, variant)
    LEFT JOIN repetition USING (model, model_hash, variant) LEFT JOIN distinct_2 USING (model, model_hash, variant)
  ORDER BY model_params DESC, model, method <> 'dense', accuracy DESC`;

export const NOT_MEASURED =
  "Not measured yet: no stored run has the KL divergence from its dense model or the dense model's perplexity of its answers. Sweeps record both for every compressed run (docs/evaluate.md § Beyond accuracy); the family v3 re-run of the reference plan will.";

/** Fluent but wrong, by the ledger's rule (ledger-rules.ts fluentButWrong: one rule for page and ledger). */
export function fluentButWrong(variant: Row, dense: Row): boolean {
  const e = (r: Row, col: string) => ({ value: num(r[col]), lo: num(r[`${col}_lo`]), hi: num(r[`${col}_hi`]) });
  return fluentButWrongRule({ dense: e(dense, "accuracy"), other: e(variant, "accuracy") }, { dense: e(dense, "answer_ppl"), other: e(variant, "answer_ppl") }, null).verdict === "reproduced";
}

/** The sentence over the table and chart, per model; the "not measured" notice when nothing is stored. */
export function beyondAccuracyClaim(rows: readonly Row[]): string {
  if (!rows.length) return NOT_MEASURED;
  const models = [...new Set(rows.map((r) => String(r.model)))];
  return models
    .map((model) => {
      const own = rows.filter((r) => r.model === model);
      const dense = own.find((r) => r.method === "dense");
      const compressed = own.filter((r) => r.method !== "dense");
      const parts: string[] = [];
      const withKl = compressed.filter((r) => Number.isFinite(num(r.kl)));
      if (withKl.length) {
        const [lo, hi] = [withKl.reduce((a, r) => (num(r.kl) < num(a.kl) ? r : a)), withKl.reduce((a, r) => (num(r.kl) > num(a.kl) ? r : a))];
        parts.push(`KL from the dense model ${num(lo.kl).toFixed(3)} nats/token (${lo.variant}) to ${num(hi.kl).toFixed(3)} (${hi.variant}) over ${withKl.length} variant${withKl.length === 1 ? "" : "s"}`);
      }
      if (dense && Number.isFinite(num(dense.answer_ppl))) {
        const fbw = compressed.filter((r) => Number.isFinite(num(r.answer_ppl)) && fluentButWrong(r, dense));
        const judged = compressed.filter((r) => Number.isFinite(num(r.answer_ppl))).length;
        parts.push(
          fbw.length
            ? `fluent but wrong (factoid accuracy below dense beyond both intervals, answers no less fluent to the dense model than its own): ${fbw.map((r) => r.variant).join(", ")} — ${fbw.length} of ${judged}`
            : `no variant is fluent but wrong: of ${judged}, none loses factoid accuracy beyond the intervals while its answers stay as fluent to the dense model as its own`,
        );
      } else if (compressed.some((r) => Number.isFinite(num(r.answer_ppl)))) parts.push("the dense model's own answer perplexity is not stored, so fluency is not compared");
      return `${model}: ${parts.join("; ") || "not measured"}.`;
    })
    .join(" ");
}

/** KL (left axis: nats per token) or answer perplexity against factoid accuracy, a dot per variant with its intervals. */
export function beyondAccuracyChart(rows: readonly Row[], { width, y, document }: { width: number; y: "kl" | "answer_ppl"; document?: Document }): SVGSVGElement | HTMLElement {
  const data = rows.filter((r) => Number.isFinite(num(r[y])));
  const methods = [...new Set(data.map((r) => String(r.method)))];
  return Plot.plot({
    width,
    height: Math.round(Math.min(420, Math.max(260, width * 0.45))),
    document,
    style: { fontFamily: "system-ui, sans-serif", fontSize: "12px", background: "transparent" },
    x: { label: "factoid QA accuracy (alias hit) →", percent: true, grid: true },
    y: { label: y === "kl" ? "↑ KL(dense ‖ variant), nats per token" : "↑ dense model's perplexity of the answers", grid: true, type: y === "kl" ? "linear" : "log" },
    color: { domain: methods, range: methods.map(colorOf), legend: true },
    marks: [
      Plot.ruleX(data, { x: "accuracy", y1: `${y}_lo`, y2: `${y}_hi`, stroke: "method", strokeOpacity: 0.5 }),
      Plot.ruleY(data, { y, x1: "accuracy_lo", x2: "accuracy_hi", stroke: "method", strokeOpacity: 0.5 }),
      Plot.dot(data, { x: "accuracy", y, fill: "method", r: 4, tip: true, title: (r: Row) => `${r.model} · ${r.variant}` }),
      Plot.text(data, { x: "accuracy", y, text: "variant", dy: -9, fontSize: 10 }),
    ],
  });
}
