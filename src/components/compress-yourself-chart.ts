// "Compress it yourself": the stored sweep's curve of the chosen method for kick-s (DuckDB-WASM over the results
// store) with the reader's run drawn on top, and the published run of the same spec beside it.
import * as Plot from "@observablehq/plot";
import type { QueryRow } from "./duckdb.js";
import type { CompressionColumns } from "../../loaders/sweep/compression.js";

type Query = (sql: string) => Promise<QueryRow[]>;

/** The two metrics the page evaluates, as the store names them. */
export const PAGE_METRICS = [
  { task: "perplexity", metric: "perplexity", label: "Perplexity (held-out, all sources) ↓" },
  { task: "factoid_qa", metric: "alias_hit", label: "Factoid QA accuracy (alias hit) ↑" },
] as const;

/** The results table's compression columns (a type-only import: erased, nothing of loaders/ reaches the page). */
export type ResultColumns = CompressionColumns;

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The page's metrics as stored: perplexity over windows of 512 tokens, factoid alias hits; no prompt. */
const PAGE_ROWS = `prompt = 'none' AND subset = 'all'
  AND ((task = 'perplexity' AND metric = 'perplexity' AND seq_len = 512) OR (task = 'factoid_qa' AND metric = 'alias_hit'))`;

/**
 * Runs on every test item (the largest n of the model's rows of that metric): the store also holds smaller plans'
 * runs, e.g. the first 150 questions, which must not be averaged in.
 */
const withFullRuns = (model: string) => `WITH sl AS (SELECT run_id, max(value) AS seq_len FROM results WHERE metric = 'seq_len' GROUP BY run_id),
  full_runs AS (SELECT task, metric, max(n) AS n FROM results LEFT JOIN sl USING (run_id) WHERE model = ${sqlText(model)} AND ${PAGE_ROWS} GROUP BY task, metric)`;

/**
 * kick-s's stored points of the page's metrics for a method's curve (its pattern, bits and group size; sparsity or
 * bits along it) and the dense model, averaged over seeds; runs on all test items, the main calibration count (128)
 * and perplexity windows of 512 tokens.
 */
export function storedCurveSql(model: string, c: ResultColumns): string {
  const prunes = c.pattern !== "dense";
  const along = prunes ? `sparsity` : `bits`;
  const same = [
    `method = ${sqlText(c.method)}`,
    `pattern = ${sqlText(c.pattern)}`,
    c.group_size === null ? "group_size IS NULL" : `group_size = ${c.group_size}`,
    prunes && c.bits !== null ? `bits = ${c.bits}` : prunes ? "bits IS NULL" : "TRUE",
    c.calib_samples === null ? "calib_samples IS NULL" : "calib_samples = 128",
  ].join(" AND ");
  return `${withFullRuns(model)}
SELECT CASE WHEN method = 'dense' THEN 'dense' ELSE 'curve' END AS kind, method, pattern, sparsity, bits, group_size, calib_samples, task,
  avg(value) AS value, avg(ci_low) AS ci_low, avg(ci_high) AS ci_high, max(n) AS n, ${along} AS x
FROM results LEFT JOIN sl USING (run_id) JOIN full_runs USING (task, metric, n)
WHERE model = ${sqlText(model)} AND ${PAGE_ROWS}
  AND (method = 'dense' OR (${same}))
GROUP BY ALL ORDER BY task, x`;
}

/** The stored run of exactly these columns (same calibration count), if the sweep has it. */
export function publishedRunSql(model: string, c: ResultColumns): string {
  return `${withFullRuns(model)}
SELECT task, avg(value) AS value, avg(ci_low) AS ci_low, avg(ci_high) AS ci_high, max(n) AS n
FROM results LEFT JOIN sl USING (run_id) JOIN full_runs USING (task, metric, n)
WHERE model = ${sqlText(model)} AND ${PAGE_ROWS}
  AND method = ${sqlText(c.method)} AND pattern = ${sqlText(c.pattern)} AND abs(sparsity - ${c.sparsity}) < 1e-9
  AND ${c.bits === null ? "bits IS NULL" : `bits = ${c.bits}`} AND ${c.group_size === null ? "group_size IS NULL" : `group_size = ${c.group_size}`}
  AND ${c.calib_samples === null ? "calib_samples IS NULL" : `calib_samples = ${c.calib_samples}`}
GROUP BY task`;
}

export async function storedCurve(query: Query, model: string, c: ResultColumns): Promise<QueryRow[]> {
  return query(storedCurveSql(model, c));
}

/** Per metric, a panel: the stored curve (line + 95% band), dense as a rule, "your run" as a ringed dot. */
export function curveChart(rows: readonly QueryRow[], c: ResultColumns, yours: { task: string; value: number; ci_low: number | null; ci_high: number | null }[], width: number): HTMLElement {
  const prunes = c.pattern !== "dense";
  const x = Number(prunes ? c.sparsity : c.bits);
  const wrap = document.createElement("div");
  wrap.className = "grid grid-cols-2";
  for (const m of PAGE_METRICS) {
    const curve = rows.filter((r) => r.task === m.task && r.kind === "curve").map((r) => ({ x: Number(r.x), value: Number(r.value), lo: r.ci_low === null ? null : Number(r.ci_low), hi: r.ci_high === null ? null : Number(r.ci_high) }));
    const dense = rows.find((r) => r.task === m.task && r.kind === "dense");
    const mine = yours.filter((y) => y.task === m.task).map((y) => ({ x, value: y.value, lo: y.ci_low, hi: y.ci_high }));
    const figure = Plot.plot({
      width: Math.max(280, width / 2 - 16),
      height: 260,
      marginLeft: 56,
      x: { label: prunes ? "sparsity →" : "bits →", ...(prunes ? {} : { ticks: [2, 3, 4, 8] }) },
      y: { label: m.label, grid: true, zero: m.task === "factoid_qa" },
      color: { domain: ["the published run (stored sweep)", "your run"], range: ["#4269d0", "#ff725c"], legend: true },
      marks: [
        dense ? Plot.ruleY([Number(dense.value)], { stroke: "#888", strokeDasharray: "4,3" }) : null,
        dense ? Plot.text([Number(dense.value)], { y: (d: number) => d, frameAnchor: "left", dy: -6, text: () => "dense", fill: "#666" }) : null,
        Plot.areaY(curve.filter((d) => d.lo !== null), { x: "x", y1: "lo", y2: "hi", fill: "#4269d0", fillOpacity: 0.15 }),
        Plot.line(curve, { x: "x", y: "value", stroke: () => "the published run (stored sweep)", marker: "circle" }),
        Plot.ruleX(mine.filter((d) => d.lo !== null), { x: "x", y1: "lo", y2: "hi", stroke: () => "your run", strokeWidth: 2 }),
        Plot.dot(mine, { x: "x", y: "value", r: 6, fill: () => "your run", stroke: "white", tip: true }),
      ],
    });
    const card = document.createElement("div");
    card.className = "card kick-cy-chart";
    card.dataset.task = m.task;
    card.append(figure);
    wrap.append(card);
  }
  return wrap;
}
