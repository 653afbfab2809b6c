// Every chart of the report as one spec: its controls, its SQL (over the views of report-sql.ts)
// and its chart function (report-charts.ts). Pages, figure files (loaders/figures/report.ts,
// /figures/report-<name>.svg|png) and embeds (/embed/<name>.js) all go through these specs.
import {
  ablationChart,
  bitsChart,
  exposureChart,
  levelChart,
  nmChart,
  perplexityGapChart,
  sizeChart,
  softPromptChart,
  transferChart,
  type ChartOptions,
  type Row,
} from "./report-charts.js";
import type { Control, Params } from "./report-controls.js";
import { MAIN_CALIB, MODEL_LABEL_SQL, PRIMARY_METRIC, SOFT_SEQ_LEN, TASK_LABELS, VARIANT_SQL, eq, lit, lowerIsBetter, scoreMetrics } from "./report-sql.js";

export interface FigureSpec {
  name: string;
  title: string;
  /** The page that shows it (site path without extension). */
  page: string;
  controls: Control[];
  sql: (params: Params) => string;
  draw: (rows: readonly Row[], options: ChartOptions, params: Params) => SVGSVGElement | HTMLElement;
}

const taskLabel = (t: unknown) => TASK_LABELS[String(t)] ?? String(t);
const metricLabel = (p: Params) => `${taskLabel(p.task)} — ${p.metric}${p.subset && p.subset !== "all" ? ` (${p.subset})` : ""}`;

// ---- shared controls ------------------------------------------------------------------------

/** Largest model first, labelled with its parameter count; `having` keeps models with the rows a chart needs. */
const modelControl = (from = "agg", where = "true", having = "true"): Control => ({
  key: "model",
  label: "Model",
  options: () =>
    `SELECT model AS value, model || ' (' || CASE WHEN max(model_params) >= 1e9 THEN CAST(round(max(model_params) / 1e9, 1) AS VARCHAR) || 'B'
        WHEN max(model_params) >= 1e6 THEN CAST(CAST(round(max(model_params) / 1e6) AS INTEGER) AS VARCHAR) || 'M'
        ELSE CAST(CAST(round(max(model_params) / 1e3) AS INTEGER) AS VARCHAR) || 'k' END || ' params)' AS label
      FROM ${from} WHERE ${where} GROUP BY model HAVING ${having} ORDER BY max(model_params) DESC, model`,
});

const PRUNERS_FIRST = ["sparsegpt", "wanda", "magnitude"];

const pruningMethodControl: Control = {
  key: "method",
  label: "Method",
  options: (p) => `SELECT DISTINCT method AS value FROM agg WHERE bits IS NULL AND sparsity > 0${eq("model", p.model)} ORDER BY 1`,
  prefer: () => PRUNERS_FIRST,
};

const patternControl: Control = {
  key: "pattern",
  label: "Pattern",
  options: (p) => `SELECT DISTINCT pattern AS value FROM agg WHERE bits IS NULL AND sparsity > 0${eq("model", p.model)}${eq("method", p.method)} ORDER BY pattern = 'unstructured' DESC, pattern`,
  prefer: () => ["unstructured"],
};

/** A compression family whose level varies: "method|pattern|pruned" or "method||quantized"; `where` keeps families with the rows a chart needs. */
const familyControl = (where = "true"): Control => ({
  key: "family",
  label: "Compression",
  options: (p) => `SELECT DISTINCT CASE WHEN bits IS NULL THEN method || '|' || pattern || '|pruned' ELSE method || '||quantized' END AS value,
      CASE WHEN bits IS NULL THEN method || ' (' || pattern || ', by sparsity)' ELSE method || ' (by bits)' END AS label
    FROM agg WHERE ${where} AND method <> 'dense' AND pattern NOT LIKE '%:%' AND NOT (bits IS NOT NULL AND sparsity > 0)${eq("model", p.model)} ORDER BY 1`,
  prefer: () => PRUNERS_FIRST.map((m) => `${m}|unstructured|pruned`),
});

const taskControl = (exclude: string[] = ["perplexity"], prefer = ["factoid_qa", "mcq"], from = "agg", where = "true"): Control => ({
  key: "task",
  label: "Task",
  options: (p) => `SELECT DISTINCT task AS value FROM ${from} WHERE ${where} AND task NOT IN (${exclude.map(lit).join(", ") || "''"})${eq("model", p.model)} ORDER BY 1`,
  prefer: () => prefer,
  format: taskLabel,
});

const metricControl = (task?: string): Control => ({
  key: "metric",
  label: "Metric",
  options: (p) => scoreMetrics(task ?? (p.task as string)),
  prefer: (p) => [PRIMARY_METRIC[task ?? String(p.task)]],
});

const subsetControl = (task?: string): Control => ({
  key: "subset",
  label: "Subset",
  options: (p) => `SELECT DISTINCT subset AS value FROM agg WHERE task = ${lit(task ?? (p.task as string))}${eq("metric", p.metric)} ORDER BY subset = 'all' DESC, subset`,
  prefer: () => ["all", "closed"],
});

/** Rows of one family: dense plus the family's levels, with `level` (sparsity % or bits). */
function familyFilter(p: Params): { where: string; level: string; levelLabel: string } {
  const [method, pattern, kind] = String(p.family ?? "||").split("|");
  if (kind === "quantized") {
    return { where: `(method = 'dense' OR (method = ${lit(method)} AND bits IS NOT NULL AND sparsity = 0))`, level: `coalesce(bits, 16)`, levelLabel: "Weight bits (dense = 16)" };
  }
  return { where: `(method = 'dense' OR (method = ${lit(method)} AND pattern = ${lit(pattern)} AND bits IS NULL))`, level: `sparsity * 100`, levelLabel: "Sparsity (%)" };
}

const levelDraw = (yLabel: (p: Params) => string) => (rows: readonly Row[], o: ChartOptions, p: Params) =>
  levelChart(rows, { ...o, yLabel: yLabel(p), xLabel: familyFilter(p).levelLabel, lowerIsBetter: lowerIsBetter(p.metric as string) });

// ---- the figures ----------------------------------------------------------------------------

export const FIGURES: Record<string, FigureSpec> = {};
const add = (spec: FigureSpec) => (FIGURES[spec.name] = spec);

add({
  name: "perplexity-gap",
  title: "Perplexity barely moves while task scores fall",
  page: "perplexity",
  controls: [modelControl(), pruningMethodControl, patternControl, taskControl(), metricControl(), subsetControl()],
  sql: (p) => {
    const rows = (task: string, subset: string, metric: string) => `SELECT sparsity * 100 AS sparsity,
        100 * (value / dense_value - 1) AS change, 100 * (ci_low / dense_value - 1) AS lo, 100 * (ci_high / dense_value - 1) AS hi
      FROM agg WHERE model = ${lit(p.model as string)} AND task = ${lit(task)} AND subset = ${lit(subset)} AND metric = ${lit(metric)}
        AND (method = 'dense' OR (method = ${lit(p.method as string)} AND pattern = ${lit(p.pattern as string)} AND bits IS NULL))`;
    return `SELECT 'perplexity (rise)' AS series, * FROM (${rows("perplexity", "all", "perplexity")})
      UNION ALL SELECT ${lit(`${p.task} ${p.metric}${p.subset && p.subset !== "all" ? ` (${p.subset})` : ""}`)} AS series, * FROM (${rows(String(p.task), String(p.subset), String(p.metric))})
      ORDER BY series, sparsity`;
  },
  draw: (rows, o) => perplexityGapChart(rows, { ...o, yLabel: "Change vs dense (%)" }),
});

add({
  name: "bits-vs-score",
  title: "Quantization beats pruning at equal size",
  page: "quantization-vs-pruning",
  controls: [modelControl(), taskControl([]), metricControl(), subsetControl()],
  sql: (p) => `SELECT variant, kind, method, pattern, bpw, value, ci_low, ci_high,
      CASE WHEN kind = 'dense' THEN 'dense' WHEN kind = 'quantized' THEN method WHEN kind = 'pruned' AND pattern LIKE '%:%' THEN method || ' N:M' WHEN kind = 'pruned' THEN method ELSE method || ' + quant' END AS series
    FROM agg WHERE model = ${lit(p.model as string)} AND task = ${lit(p.task as string)} AND subset = ${lit(p.subset as string)} AND metric = ${lit(p.metric as string)}
    ORDER BY series, bpw`,
  draw: (rows, o, p) => bitsChart(rows, { ...o, yLabel: metricLabel(p), lowerIsBetter: lowerIsBetter(p.metric as string) }),
});

const mainSubset = `CASE task WHEN 'icr_qa' THEN subset IN ('closed', 'open_factual') ELSE subset = 'all' END`;
const primaryMetric = `metric = CASE task ${Object.entries(PRIMARY_METRIC).map(([t, m]) => `WHEN ${lit(t)} THEN ${lit(m)}`).join(" ")} END`;
const SHORT_TASK: Record<string, string> = { factoid_qa: "Factoid QA", mcq: "Multiple choice", summarization: "Summarization", long_context: "Long context", instruction: "Instructions" };
const taskRowLabel = `CASE WHEN task = 'icr_qa' THEN CASE subset WHEN 'closed' THEN 'Retrieval, closed' ELSE 'Retrieval, open' END ${Object.entries(SHORT_TASK).map(([t, l]) => `WHEN task = ${lit(t)} THEN ${lit(l)}`).join(" ")} ELSE task END`;

add({
  name: "nm-retention",
  title: "N:M sparsity fails knowledge tasks",
  page: "nm-sparsity",
  controls: [
    modelControl(),
    { ...pruningMethodControl, options: (p) => `SELECT DISTINCT method AS value FROM agg WHERE bits IS NULL AND pattern LIKE '%:%'${eq("model", p.model)} ORDER BY 1` },
  ],
  sql: (p) => `SELECT ${taskRowLabel} AS label, task, subset, metric, pattern, variant,
      100 * retained AS retained, 100 * ci_low / dense_value AS lo, 100 * ci_high / dense_value AS hi
    FROM agg WHERE model = ${lit(p.model as string)} AND method = ${lit(p.method as string)} AND bits IS NULL AND task <> 'perplexity' AND dense_value > 0
      AND (pattern LIKE '%:%' OR (pattern = 'unstructured' AND abs(sparsity - 0.5) < 1e-9)) AND ${mainSubset} AND ${primaryMetric}
    ORDER BY task, subset, pattern`,
  draw: (rows, o) => nmChart(rows, o),
});

const levelSql = (task: string, subsetWhere: string, seriesExpr: string, metricWhere = (p: Params) => `metric = ${lit(p.metric as string)}`) => (p: Params) => {
  const f = familyFilter(p);
  return `SELECT ${seriesExpr} AS series, ${f.level} AS level, ${lit(f.levelLabel)} AS level_label, variant, value, ci_low, ci_high
    FROM agg WHERE model = ${lit(p.model as string)} AND task = ${lit(task)} AND ${metricWhere(p)} AND ${subsetWhere} AND ${f.where}
    ORDER BY series, level`;
};

add({
  name: "retrieval",
  title: "Closed-book answers fail first; open book holds, even against counterfactual passages",
  page: "retrieval",
  controls: [modelControl(), familyControl(), metricControl("icr_qa")],
  sql: levelSql("icr_qa", `subset IN ('closed', 'open_factual', 'open_counterfactual')`, `CASE subset WHEN 'closed' THEN 'closed book' WHEN 'open_factual' THEN 'open book' ELSE 'open book, counterfactual passage' END`),
  draw: levelDraw((p) => `Retrieval QA — ${p.metric}`),
});

add({
  name: "summarization-length",
  title: "Summaries of long documents degrade first",
  page: "long-context",
  controls: [modelControl(), familyControl(), metricControl("summarization")],
  sql: levelSql("summarization", `subset LIKE 'bin/%'`, `replace(subset, 'bin/', '') || ' documents'`),
  draw: levelDraw((p) => `Summarization — ${p.metric}`),
});

add({
  name: "long-context-length",
  title: "Retrieval from long contexts degrades with length",
  page: "long-context",
  controls: [modelControl(), familyControl(), metricControl("long_context")],
  sql: (p) => levelSql("long_context", `subset LIKE 'length/%'`, `lpad(replace(subset, 'length/', ''), 5, ' ') || ' tokens'`)(p).replace("ORDER BY series, level", "ORDER BY CAST(replace(subset, 'length/', '') AS INTEGER), level"),
  draw: levelDraw((p) => `Long-context retrieval — ${p.metric}`),
});

add({
  name: "large-vs-small",
  title: "Compressed large model vs dense small model at equal parameters",
  page: "large-vs-small",
  controls: [
    { ...pruningMethodControl, options: () => `SELECT DISTINCT method AS value FROM agg WHERE bits IS NULL AND sparsity > 0 AND pattern = 'unstructured' ORDER BY 1` },
    taskControl(["perplexity"], ["mcq", "factoid_qa"]),
    metricControl(),
    subsetControl(),
  ],
  sql: (p) => `SELECT model, model_params, sparsity, variant, model_params * (1 - sparsity) AS params_kept, value, ci_low, ci_high, method = 'dense' AS dense
    FROM agg WHERE task = ${lit(p.task as string)} AND subset = ${lit(p.subset as string)} AND metric = ${lit(p.metric as string)} AND NOT partial
      AND (method = 'dense' OR (method = ${lit(p.method as string)} AND pattern = 'unstructured' AND bits IS NULL))
    ORDER BY model_params DESC, model, sparsity DESC`,
  draw: (rows, o, p) => sizeChart(rows, { ...o, yLabel: metricLabel(p) }),
});

add({
  name: "calibration",
  title: "Calibration samples: SparseGPT uses them, Wanda hardly",
  page: "calibration",
  controls: [modelControl("cells", "calib_samples IS NOT NULL AND method <> 'dense'", "count(DISTINCT calib_samples) > 1"), taskControl([], ["mcq", "factoid_qa"], "cells", "calib_samples IS NOT NULL AND calib_samples <> 128"), metricControl(), subsetControl()],
  sql: (p) => `SELECT calib_samples AS x, variant AS series, value, ci_low, ci_high FROM cells
    WHERE prompt = 'none' AND k_shot = 0 AND calib_samples IS NOT NULL AND method <> 'dense'
      AND model = ${lit(p.model as string)} AND task = ${lit(p.task as string)} AND subset = ${lit(p.subset as string)} AND metric = ${lit(p.metric as string)}
    QUALIFY count(*) OVER (PARTITION BY variant) > 1
    ORDER BY series, x`,
  draw: (rows, o, p) => ablationChart(rows, { ...o, xLabel: "Calibration samples", xType: "log", yLabel: metricLabel(p) }),
});

add({
  name: "k-shot",
  title: "In-context examples recover part of the loss",
  page: "calibration",
  controls: [modelControl("cells", "task = 'mcq' AND k_shot > 0"), metricControl("mcq"), { ...subsetControl("mcq") }],
  sql: (p) => `SELECT k_shot AS x, variant AS series, value, ci_low, ci_high FROM cells
    WHERE task = 'mcq' AND prompt = 'none' AND model = ${lit(p.model as string)} AND metric = ${lit(p.metric as string)} AND subset = ${lit(p.subset as string)}
      AND (calib_samples IS NULL OR calib_samples = ${MAIN_CALIB})
    QUALIFY count(*) OVER (PARTITION BY variant) > 1
    ORDER BY series = 'dense' DESC, series, x`,
  draw: (rows, o, p) => ablationChart(rows, { ...o, xLabel: "Solved examples in the prompt (k)", xType: "linear", yLabel: `MCQ — ${p.metric}` }),
});

add({
  name: "knowledge-retention",
  title: "Rarely seen facts are lost first",
  page: "knowledge",
  controls: [modelControl(), familyControl(), metricControl("factoid_qa")],
  sql: (p) => {
    const f = familyFilter(p);
    return `SELECT variant AS series, CAST(replace(subset, 'exposure/', '') AS DOUBLE) AS exposure, ${f.level} AS level, value, ci_low, ci_high
      FROM agg WHERE model = ${lit(p.model as string)} AND task = 'factoid_qa' AND metric = ${lit(p.metric as string)} AND subset LIKE 'exposure/%' AND ${f.where}
        AND (${f.level} IN (0, 16) OR ${f.level} IN (30, 50, 70) OR (bits IS NOT NULL))
      ORDER BY level ${f.levelLabel.startsWith("Weight") ? "DESC" : "ASC"}, exposure`;
  },
  draw: (rows, o, p) => exposureChart(rows, { ...o, yLabel: `Factoid QA — ${p.metric}` }),
});

// The same questions in two formats: the Hendrycks prompt scored by the answer letter, and the
// question alone scored by each option's text (cloze). Only variants measured in both formats, so
// each level compares the same model (the letter format was also run on variants cloze was not).
// No exposure subset control: the letter-format runs predate the exposure subsets.
const CLOZE = `task = 'mcq' AND subset = 'all' AND metric = 'cloze_accuracy'`;

add({
  name: "mcq-format",
  title: "Multiple choice: the model knows the answer but not the letter",
  page: "knowledge",
  controls: [modelControl("agg", CLOZE), familyControl(CLOZE)],
  sql: (p) => `WITH l AS (${levelSql("mcq", "subset = 'all'", `CASE metric WHEN 'loglik_accuracy' THEN 'letter (A–D)' ELSE 'option text (cloze)' END`, () => `metric IN ('loglik_accuracy', 'cloze_accuracy')`)(p)})
    SELECT * FROM l WHERE variant IN (SELECT variant FROM l GROUP BY variant HAVING count(DISTINCT series) = 2) ORDER BY series, level`,
  draw: levelDraw(() => "Multiple choice — accuracy"),
});

/**
 * Soft prompts: rows are compressed models. A plan may compress in the sweep (method, sparsity …) or
 * evaluate compressed checkpoints as models of their own (method dense, the compression in the model
 * name, as Compress-Then-Prompt sweeps do), so a row is labelled by its model and, when compressed in
 * the sweep, its variant.
 */
const softControls: Control[] = [
  { ...modelControl("cells", "prompt LIKE 'soft:%'"), all: "(all models)", prefer: () => [null] },
  taskControl([], ["factoid_qa", "mcq", "perplexity"], "cells", "prompt LIKE 'soft:%'"),
  metricControl(),
  subsetControl(),
];
const softCells = (p: Params) => `SELECT *, CASE WHEN method = 'dense' THEN model WHEN ${p.model ? "true" : "false"} THEN variant ELSE model || ' · ' || variant END AS label
  FROM cells WHERE task = ${lit(p.task as string)} AND subset = ${lit(p.subset as string)} AND metric = ${lit(p.metric as string)} AND k_shot = 0
    AND (calib_samples IS NULL OR calib_samples = ${MAIN_CALIB}) AND (seq_len IS NULL OR seq_len = ${SOFT_SEQ_LEN})${eq("model", p.model)}`;

add({
  name: "soft-prompt-recovery",
  title: "Soft prompts recover compressed models",
  page: "soft-prompts",
  controls: softControls,
  sql: (p) => {
    const best = lowerIsBetter(p.metric as string) ? "arg_min" : "arg_max";
    return `WITH c AS (${softCells(p)}), v AS (SELECT * FROM c WHERE label IN (SELECT label FROM c WHERE prompt LIKE 'soft:%'))
      SELECT label AS variant, 'no prompt' AS prompt_kind, NULL AS prompt_id, value, ci_low, ci_high FROM v WHERE prompt = 'none'
      UNION ALL SELECT label, 'hard prompt', NULL, max(value), max(ci_low), max(ci_high) FROM v WHERE prompt = 'hard' GROUP BY label
      UNION ALL SELECT label, 'best soft prompt', ${best}(prompt, value), ${best}(value, value), ${best}(ci_low, value), ${best}(ci_high, value) FROM v WHERE prompt LIKE 'soft:%' GROUP BY label
      ORDER BY variant, prompt_kind`;
  },
  draw: (rows, o, p) => softPromptChart(rows, { ...o, yLabel: metricLabel(p), lowerIsBetter: lowerIsBetter(p.metric as string) }),
});

add({
  name: "soft-prompt-transfer",
  title: "Soft prompts transfer between compressed variants",
  page: "soft-prompts",
  controls: softControls,
  sql: (p) => `WITH c AS (${softCells(p)})
    SELECT replace(prompt, 'soft:', '') AS prompt, label AS variant, value, ci_low, ci_high FROM c WHERE prompt LIKE 'soft:%'
    ORDER BY prompt, variant`,
  draw: (rows, o, p) => transferChart(rows, { ...o, yLabel: p.metric as string, lowerIsBetter: lowerIsBetter(p.metric as string) }),
});

export const FIGURE_NAMES = Object.keys(FIGURES);

// ---- explorer --------------------------------------------------------------------------------

const distinct = (column: string, before: string[]) => (p: Params) =>
  `SELECT DISTINCT ${column} AS value FROM cells WHERE true${before.map((k) => eq(k, p[k])).join("")} ORDER BY 1`;

/** The explorer's filters: each "(all)" by default, options narrowed by the filters before it. */
export const EXPLORER_CONTROLS: Control[] = [
  { key: "model", label: "Model", all: "(all models)", options: distinct("model", []) },
  { key: "method", label: "Method", all: "(all methods)", options: distinct("method", ["model"]) },
  { key: "pattern", label: "Pattern", all: "(all patterns)", options: distinct("pattern", ["model", "method"]) },
  { key: "task", label: "Task", all: "(all tasks)", options: distinct("task", ["model", "method", "pattern"]), format: taskLabel },
  { key: "metric", label: "Metric", all: "(all metrics)", options: distinct("metric", ["model", "method", "pattern", "task"]) },
  { key: "subset", label: "Subset", all: "(all subsets)", options: distinct("subset", ["model", "method", "pattern", "task", "metric"]), prefer: () => [null] },
  { key: "prompt", label: "Prompt", all: "(all prompts)", options: distinct("prompt", ["model", "method", "pattern", "task"]) },
];

const explorerWhere = (p: Params) => ["model", "method", "pattern", "task", "metric", "subset", "prompt"].map((k) => eq(k, p[k])).join("");

/** One row per cell (seeds averaged) matching the filters. */
/** Rows the explorer's aggregate table shows at most (the page says so when the filters hit it). */
export const EXPLORER_ROW_LIMIT = 5000;

export const explorerAggregateSql = (p: Params) => `SELECT model, variant, calib_samples, k_shot, seq_len, prompt, task, subset, metric,
    round(value, 4) AS value, round(ci_low, 4) AS ci_low, round(ci_high, 4) AS ci_high, n, seeds
  FROM cells WHERE true${explorerWhere(p)}
  ORDER BY model, task, subset, metric, variant, calib_samples, k_shot, seq_len, prompt LIMIT ${EXPLORER_ROW_LIMIT}`;

/** The runs behind the filtered cells, for the per-example drill-down (models labelled by weights as in `cells`). */
export const explorerRunsSql = (p: Params) => `SELECT run_id AS value, min(task) || ' · ' || min(model) || ' · ' || min(variant) || ' · seed ' || CAST(min(seed) AS VARCHAR)
    || CASE WHEN min(prompt) <> 'none' THEN ' · ' || min(prompt) ELSE '' END AS label
  FROM (SELECT ${MODEL_LABEL_SQL} AS model, * EXCLUDE (model), ${VARIANT_SQL} AS variant FROM results) WHERE true${explorerWhere(p)}
  GROUP BY run_id ORDER BY label LIMIT 2000`;

export const explorerExamplesSql = (runId: string | null) =>
  `SELECT example_id, prediction, reference, correct, round(logprob, 4) AS logprob FROM examples WHERE run_id = ${lit(runId)} ORDER BY example_id`;

export const explorerRunSql = (runId: string | null) => `SELECT * FROM runs WHERE run_id = ${lit(runId)}`;
