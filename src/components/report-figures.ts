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
import { PRUNERS_BY_RANK } from "./method-meta.js";
import { compareAll, est, levelClaim, nearest, relation, type Compared } from "./report-claims.js";
import type { Control, Params } from "./report-controls.js";
import { MAIN_CALIB, MODEL_LABEL_SQL, PRIMARY_METRIC, SOFT_SEQ_LEN, TASK_LABELS, VARIANT_SQL, eq, lit, lowerIsBetter, scoreMetrics } from "./report-sql.js";
import { AGG_VS_DENSE, atChance, chanceOf, compare, notTestable, score, verdictPhrase } from "./report-verdict.js";

export interface FigureSpec {
  name: string;
  /** What the chart shows, never what it finds: the finding is `claim`, computed from the rows. */
  title: string;
  /** The page that shows it (site path without extension). */
  page: string;
  controls: Control[];
  sql: (params: Params) => string;
  draw: (rows: readonly Row[], options: ChartOptions, params: Params) => SVGSVGElement | HTMLElement;
  /** The sentence above the chart, from its rows (report-claims.ts); null where the chart only describes. */
  claim: (rows: readonly Row[], params: Params) => string | null;
}

const chanceFor = (p: Params, task = p.task) => chanceOf(task, p.metric);
/** The level a level chart compares dense with: 50% sparsity, or 4 bits for a quantization family. */
const targetLevel = (p: Params) => (String(p.family ?? "").endsWith("|quantized") ? 4 : 50);

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

const pruningMethodControl: Control = {
  key: "method",
  label: "Method",
  options: (p) => `SELECT DISTINCT method AS value FROM agg WHERE bits IS NULL AND sparsity > 0${eq("model", p.model)} ORDER BY 1`,
  prefer: () => [...PRUNERS_BY_RANK],
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
  prefer: () => PRUNERS_BY_RANK.map((m) => `${m}|unstructured|pruned`),
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

const levelDraw = (yLabel: (p: Params) => string, task: string) => (rows: readonly Row[], o: ChartOptions, p: Params) =>
  levelChart(rows, { ...o, yLabel: yLabel(p), xLabel: familyFilter(p).levelLabel, lowerIsBetter: lowerIsBetter(p.metric as string), chance: chanceFor(p, task) });
const levelClaimOf = (task: string) => (rows: readonly Row[], p: Params) => levelClaim(rows, chanceFor(p, task), targetLevel(p), lowerIsBetter(p.metric as string));

/** Ablation charts: each series at its smallest setting against its largest ("sparsegpt 50%, 8 → 512 samples: improves …"). */
function ablationClaim(rows: readonly Row[], chance: number | null, unit: string, lowerBetter: boolean): string | null {
  const items: Compared[] = [];
  for (const series of new Set(rows.map((r) => String(r.series)))) {
    const mine = rows.filter((r) => r.series === series).sort((a, b) => Number(a.x) - Number(b.x));
    if (mine.length > 1) items.push({ name: `${series} with ${mine[0].x} → ${mine[mine.length - 1].x} ${unit}`, base: est(mine[0]), other: est(mine[mine.length - 1]) });
  }
  // The baseline here is the smallest setting, not dense: it may be at chance without the dense model being so.
  return items.length ? `${items.map((i) => `${i.name}: ${compare(i.base, i.other, lowerBetter)} (${score(i.base.value, chance)} → ${score(i.other.value, chance)})`).join("; ")}.` : null;
}

// ---- the figures ----------------------------------------------------------------------------

export const FIGURES: Record<string, FigureSpec> = {};
const add = (spec: FigureSpec) => (FIGURES[spec.name] = spec);

add({
  name: "perplexity-gap",
  title: "Perplexity and a task score as sparsity grows",
  page: "perplexity",
  controls: [modelControl(), pruningMethodControl, patternControl, taskControl(), metricControl(), subsetControl()],
  sql: (p) => {
    const rows = (task: string, subset: string, metric: string) => `SELECT sparsity * 100 AS sparsity,
        100 * (value / dense_value - 1) AS change, 100 * (ci_low / dense_value - 1) AS lo, 100 * (ci_high / dense_value - 1) AS hi,
        value, ci_low, ci_high, method = 'dense' AS dense
      FROM agg WHERE model = ${lit(p.model as string)} AND task = ${lit(task)} AND subset = ${lit(subset)} AND metric = ${lit(metric)}
        AND (method = 'dense' OR (method = ${lit(p.method as string)} AND pattern = ${lit(p.pattern as string)} AND bits IS NULL))`;
    return `SELECT 'perplexity (rise)' AS series, * FROM (${rows("perplexity", "all", "perplexity")})
      UNION ALL SELECT ${lit(`${p.task} ${p.metric}${p.subset && p.subset !== "all" ? ` (${p.subset})` : ""}`)} AS series, * FROM (${rows(String(p.task), String(p.subset), String(p.metric))})
      ORDER BY series, sparsity`;
  },
  draw: (rows, o) => perplexityGapChart(rows, { ...o, yLabel: "Change vs dense (%)" }),
  claim: (rows, p) => {
    const at = nearest(rows.filter((r) => !r.dense), "sparsity", 50);
    if (!at) return null;
    const pair = (series: unknown) => [rows.find((r) => r.series === series && r.dense), rows.find((r) => r.series === series && r.sparsity === at.sparsity)];
    const [pd, pc] = pair("perplexity (rise)");
    const task = rows.find((r) => r.series !== "perplexity (rise)")?.series;
    const [td, tc] = pair(task);
    const parts: string[] = [];
    if (pd && pc) parts.push(`perplexity ${relation(est(pd), est(pc), true) === "is worse than" ? "rises" : "shows no clear rise"} (${Number(pd.value).toPrecision(3)} → ${Number(pc.value).toPrecision(3)}, ${Number(pc.change) >= 0 ? "+" : ""}${Math.round(Number(pc.change))}%)`);
    if (td && tc) parts.push(`${task} ${verdictPhrase(est(td), est(tc), chanceFor(p), lowerIsBetter(p.metric as string))}`);
    return parts.length ? `At ${Math.round(Number(at.sparsity))}% sparsity (${p.method}, ${p.pattern}, ${p.model}): ${parts.join("; ")}` : null;
  },
});

add({
  name: "bits-vs-score",
  title: "Score against effective bits per weight: quantized, pruned and both",
  page: "quantization-vs-pruning",
  controls: [modelControl(), taskControl([]), metricControl(), subsetControl()],
  sql: (p) => `SELECT variant, kind, method, pattern, bpw, value, ci_low, ci_high,
      CASE WHEN kind = 'dense' THEN 'dense' WHEN kind = 'quantized' THEN method WHEN kind = 'pruned' AND pattern LIKE '%:%' THEN method || ' N:M' WHEN kind = 'pruned' THEN method ELSE method || ' + quant' END AS series
    FROM agg WHERE model = ${lit(p.model as string)} AND task = ${lit(p.task as string)} AND subset = ${lit(p.subset as string)} AND metric = ${lit(p.metric as string)}
    ORDER BY series, bpw`,
  draw: (rows, o, p) => bitsChart(rows, { ...o, yLabel: metricLabel(p), lowerIsBetter: lowerIsBetter(p.metric as string), chance: chanceFor(p) }),
  claim: (rows, p) => {
    const chance = chanceFor(p);
    const dense = rows.find((r) => r.kind === "dense");
    if (dense && atChance(est(dense), chance)) return `Not testable here: the dense model scores ${score(dense.value, chance)} (chance ${score(chance ?? 0, chance ?? 0)}).`;
    // The pruned model nearest 8 bits per weight (50% of 16-bit weights) against the quantized ones at no more bits.
    const better = lowerIsBetter(p.metric as string) ? (a: Row, b: Row) => Number(a.value) < Number(b.value) : (a: Row, b: Row) => Number(a.value) > Number(b.value);
    const best = (candidates: Row[]) => candidates.reduce<Row | undefined>((a, r) => (!a || better(r, a) ? r : a), undefined);
    const unstructured = rows.filter((r) => r.kind === "pruned" && !String(r.pattern).includes(":"));
    const pruned = best(unstructured.filter((r) => r.bpw === nearest(unstructured, "bpw", 8)?.bpw));
    const quantized = best(rows.filter((r) => r.kind === "quantized" && pruned && Number(r.bpw) <= Number(pruned.bpw)));
    if (!pruned || !quantized) return null;
    const f = (r: Row) => `${r.variant} (${Number(r.bpw).toFixed(1)} bits per weight, ${score(r.value, chance)})`;
    return `The best quantized model at no more bits, ${f(quantized)}, ${relation(est(pruned), est(quantized), lowerIsBetter(p.metric as string))} ${f(pruned)}.`;
  },
});

/** The subsets a task is compared on (retrieval: closed and open book), and its primary metric, as SQL conditions. */
export const mainSubset = `CASE task WHEN 'icr_qa' THEN subset IN ('closed', 'open_factual') ELSE subset = 'all' END`;
export const primaryMetric = `metric = CASE task ${Object.entries(PRIMARY_METRIC).map(([t, m]) => `WHEN ${lit(t)} THEN ${lit(m)}`).join(" ")} END`;
const SHORT_TASK: Record<string, string> = { factoid_qa: "Factoid QA", mcq: "Multiple choice", summarization: "Summarization", long_context: "Long context", instruction: "Instructions" };
export const taskRowLabel = `CASE WHEN task = 'icr_qa' THEN CASE subset WHEN 'closed' THEN 'Retrieval, closed' ELSE 'Retrieval, open' END ${Object.entries(SHORT_TASK).map(([t, l]) => `WHEN task = ${lit(t)} THEN ${lit(l)}`).join(" ")} ELSE task END`;

add({
  name: "nm-retention",
  title: "Share of the dense score kept above chance: unstructured 50% vs N:M, per task",
  page: "nm-sparsity",
  controls: [
    modelControl(),
    { ...pruningMethodControl, options: (p) => `SELECT DISTINCT method AS value FROM agg WHERE bits IS NULL AND pattern LIKE '%:%'${eq("model", p.model)} ORDER BY 1` },
  ],
  // Kept above chance: (score − chance) / (dense − chance); a task whose dense interval reaches chance is not testable.
  sql: (p) => `SELECT ${taskRowLabel} AS label, task, subset, metric, pattern, variant, value, chance, dense_value, dense_lo, testable,
      100 * kept AS retained, 100 * (ci_low - chance) / nullif(dense_value - chance, 0) AS lo, 100 * (ci_high - chance) / nullif(dense_value - chance, 0) AS hi
    FROM ${AGG_VS_DENSE} WHERE model = ${lit(p.model as string)} AND task <> 'perplexity' AND ${mainSubset} AND ${primaryMetric} AND method = ${lit(p.method as string)} AND bits IS NULL AND (pattern LIKE '%:%' OR (pattern = 'unstructured' AND abs(sparsity - 0.5) < 1e-9))
    ORDER BY task, subset, pattern`,
  draw: (rows, o) => nmChart(rows.filter((r) => r.testable), o),
  claim: (rows) => {
    const testable = rows.filter((r) => r.testable);
    const tasks = new Set(testable.map((r) => r.label));
    const patterns = [...new Set(testable.map((r) => String(r.pattern)))];
    const matching = patterns.map((pattern) => `${pattern === "unstructured" ? "unstructured 50%" : pattern} on ${testable.filter((r) => r.pattern === pattern && Number(r.retained) >= 95).length}`);
    const untestable = [...new Map(rows.filter((r) => !r.testable).map((r) => [r.label, r])).values()];
    const parts = tasks.size ? [`Matching the dense model (≥ 95% of its score above chance) on the ${tasks.size} testable task${tasks.size === 1 ? "" : "s"}: ${matching.join(", ")}.`] : [];
    if (untestable.length) parts.push(`Not testable here: ${untestable.map((r) => `${r.label} (dense ${score(r.dense_value, Number(r.chance))}, chance ${score(r.chance, Number(r.chance))})`).join("; ")}.`);
    return parts.join(" ") || null;
  },
});

const levelSql = (task: string, subsetWhere: string, seriesExpr: string, metricWhere = (p: Params) => `metric = ${lit(p.metric as string)}`) => (p: Params) => {
  const f = familyFilter(p);
  return `SELECT ${seriesExpr} AS series, ${f.level} AS level, ${lit(f.levelLabel)} AS level_label, variant, value, ci_low, ci_high
    FROM agg WHERE model = ${lit(p.model as string)} AND task = ${lit(task)} AND ${metricWhere(p)} AND ${subsetWhere} AND ${f.where}
    ORDER BY series, level`;
};

add({
  name: "retrieval",
  title: "Closed book, open book and counterfactual passage against compression level",
  page: "retrieval",
  controls: [modelControl(), familyControl(), metricControl("icr_qa")],
  sql: levelSql("icr_qa", `subset IN ('closed', 'open_factual', 'open_counterfactual')`, `CASE subset WHEN 'closed' THEN 'closed book' WHEN 'open_factual' THEN 'open book' ELSE 'open book, counterfactual passage' END`),
  draw: levelDraw((p) => `Retrieval QA — ${p.metric}`, "icr_qa"),
  claim: levelClaimOf("icr_qa"),
});

add({
  name: "summarization-length",
  title: "Summarization by document length against compression level",
  page: "long-context",
  controls: [modelControl(), familyControl(), metricControl("summarization")],
  sql: levelSql("summarization", `subset LIKE 'bin/%'`, `replace(subset, 'bin/', '') || ' documents'`),
  draw: levelDraw((p) => `Summarization — ${p.metric}`, "summarization"),
  claim: levelClaimOf("summarization"),
});

add({
  name: "long-context-length",
  title: "Long-context retrieval by context length against compression level",
  page: "long-context",
  controls: [modelControl(), familyControl(), metricControl("long_context")],
  sql: (p) => levelSql("long_context", `subset LIKE 'length/%'`, `lpad(replace(subset, 'length/', ''), 5, ' ') || ' tokens'`)(p).replace("ORDER BY series, level", "ORDER BY CAST(replace(subset, 'length/', '') AS INTEGER), level"),
  draw: levelDraw((p) => `Long-context retrieval — ${p.metric}`, "long_context"),
  claim: levelClaimOf("long_context"),
});

add({
  name: "large-vs-small",
  title: "Compressed large model vs dense small model at equal parameters",
  page: "large-vs-small",
  controls: [
    { ...pruningMethodControl, options: () => `SELECT DISTINCT method AS value FROM agg WHERE bits IS NULL AND sparsity > 0 AND pattern = 'unstructured' ORDER BY 1` },
    // factoid QA first: multiple choice is near chance for small models, where no comparison shows
    taskControl(["perplexity"], ["factoid_qa", "mcq"]),
    metricControl(),
    subsetControl(),
  ],
  sql: (p) => `SELECT model, model_params, sparsity, variant, model_params * (1 - sparsity) AS params_kept, value, ci_low, ci_high, method = 'dense' AS dense
    FROM agg WHERE task = ${lit(p.task as string)} AND subset = ${lit(p.subset as string)} AND metric = ${lit(p.metric as string)} AND NOT partial
      AND (method = 'dense' OR (method = ${lit(p.method as string)} AND pattern = 'unstructured' AND bits IS NULL))
    ORDER BY model_params DESC, model, sparsity DESC`,
  draw: (rows, o, p) => sizeChart(rows, { ...o, yLabel: metricLabel(p), chance: chanceFor(p) }),
  claim: (rows, p) => {
    const chance = chanceFor(p);
    const dense = rows.filter((r) => r.dense);
    const claims: string[] = [];
    // Every dense model against each larger model pruned to about its size (within 25%).
    for (const small of dense) {
      for (const big of dense.filter((d) => Number(d.model_params) > Number(small.model_params))) {
        const pruned = nearest(rows.filter((r) => r.model === big.model && !r.dense), "params_kept", Number(small.model_params));
        const ratio = pruned ? Number(pruned.params_kept) / Number(small.model_params) : NaN;
        if (!pruned || !(ratio > 0.8 && ratio < 1.25)) continue;
        const what = `${big.model} pruned to ${Math.round(Number(pruned.sparsity) * 100)}% (${score(pruned.value, chance)})`;
        claims.push(atChance(est(small), chance) && atChance(est(pruned), chance)
          ? `${what} vs dense ${small.model}: ${notTestable(est(small), chance, `dense ${small.model}`)}`
          : `${what} ${relation(est(small), est(pruned), lowerIsBetter(p.metric as string))} dense ${small.model} (${score(small.value, chance)}) at ${ratio.toFixed(2)}× its weights`);
      }
    }
    return claims.length ? `${claims.join("; ")}.` : null;
  },
});

add({
  name: "calibration",
  title: "Score against the number of calibration samples, per compression variant",
  page: "calibration",
  controls: [modelControl("cells", "calib_samples IS NOT NULL AND method <> 'dense'", "count(DISTINCT calib_samples) > 1"), taskControl([], ["mcq", "factoid_qa"], "cells", "calib_samples IS NOT NULL AND calib_samples <> 128"), metricControl(), subsetControl()],
  sql: (p) => {
    const cell = `model = ${lit(p.model as string)} AND task = ${lit(p.task as string)} AND subset = ${lit(p.subset as string)} AND metric = ${lit(p.metric as string)}`;
    return `SELECT calib_samples AS x, variant AS series, value, ci_low, ci_high,
        (SELECT max(value) FROM agg WHERE method = 'dense' AND ${cell}) AS dense_value, (SELECT max(ci_low) FROM agg WHERE method = 'dense' AND ${cell}) AS dense_lo FROM cells
    WHERE prompt = 'none' AND k_shot = 0 AND calib_samples IS NOT NULL AND method <> 'dense' AND ${cell}
    QUALIFY count(*) OVER (PARTITION BY variant) > 1
    ORDER BY series, x`;
  },
  draw: (rows, o, p) => ablationChart(rows, { ...o, xLabel: "Calibration samples", xType: "log", yLabel: metricLabel(p), chance: chanceFor(p) }),
  claim: (rows, p) => {
    const chance = chanceFor(p);
    const first = rows[0];
    if (first && atChance({ value: Number(first.dense_value), lo: Number(first.dense_lo) }, chance)) return `Not testable here: the dense model scores ${score(first.dense_value, chance)} (chance ${score(chance ?? 0, chance ?? 0)}).`;
    return ablationClaim(rows, chance, "samples", lowerIsBetter(p.metric as string));
  },
});

add({
  name: "k-shot",
  title: "Multiple-choice score against the number of solved examples in the prompt",
  page: "calibration",
  controls: [modelControl("cells", "task = 'mcq' AND k_shot > 0"), metricControl("mcq"), { ...subsetControl("mcq") }],
  sql: (p) => `SELECT k_shot AS x, variant AS series, value, ci_low, ci_high FROM cells
    WHERE task = 'mcq' AND prompt = 'none' AND model = ${lit(p.model as string)} AND metric = ${lit(p.metric as string)} AND subset = ${lit(p.subset as string)}
      AND (calib_samples IS NULL OR calib_samples = ${MAIN_CALIB})
    QUALIFY count(*) OVER (PARTITION BY variant) > 1
    ORDER BY series = 'dense' DESC, series, x`,
  draw: (rows, o, p) => ablationChart(rows, { ...o, xLabel: "Solved examples in the prompt (k)", xType: "linear", yLabel: `MCQ — ${p.metric}`, chance: chanceFor(p, "mcq") }),
  claim: (rows, p) => {
    const chance = chanceFor(p, "mcq");
    const dense = rows.find((r) => r.series === "dense" && Number(r.x) === 0);
    if (dense && atChance(est(dense), chance)) return `Not testable here: the dense model scores ${score(dense.value, chance)} with no examples (chance ${score(chance ?? 0, chance ?? 0)}).`;
    return ablationClaim(rows, chance, "examples", false);
  },
});

add({
  name: "knowledge-retention",
  title: "Factoid-QA score by how often the fact was seen in training, per compression level",
  page: "knowledge",
  controls: [modelControl(), familyControl(), metricControl("factoid_qa")],
  sql: (p) => {
    const f = familyFilter(p);
    return `SELECT variant AS series, CAST(replace(subset, 'exposure/', '') AS DOUBLE) AS exposure, ${f.level} AS level, value, ci_low, ci_high
      FROM agg WHERE model = ${lit(p.model as string)} AND task = 'factoid_qa' AND metric = ${lit(p.metric as string)} AND subset LIKE 'exposure/%' AND ${f.where}
        AND (${f.level} IN (0, 16) OR ${f.level} IN (30, 50, 70) OR (bits IS NOT NULL))
      ORDER BY level ${f.levelLabel.startsWith("Weight") ? "DESC" : "ASC"}, exposure`;
  },
  draw: (rows, o, p) => exposureChart(rows, { ...o, yLabel: `Factoid QA — ${p.metric}`, chance: chanceFor(p, "factoid_qa") }),
  // Dense against the level nearest 50% (4 bits), for the rarest and the most frequent facts.
  claim: (rows, p) => {
    const at = nearest(rows.filter((r) => r.series !== "dense"), "level", targetLevel(p));
    if (!at) return null;
    const exposures = [...new Set(rows.map((r) => Number(r.exposure)))].sort((a, b) => a - b);
    const items: Compared[] = [];
    for (const e of [exposures[0], exposures[exposures.length - 1]]) {
      const dense = rows.find((r) => r.series === "dense" && Number(r.exposure) === e);
      const other = rows.find((r) => r.series === at.series && Number(r.exposure) === e);
      if (dense && other) items.push({ name: `facts seen ${e === 1 ? "once" : `${e} times`}`, base: est(dense), other: est(other) });
    }
    const body = compareAll(items, chanceFor(p, "factoid_qa"));
    return body && !body.startsWith("Not testable") ? `Dense → ${at.series}. ${body}` : body;
  },
});

// The same questions in two formats: the Hendrycks prompt scored by the answer letter, and the
// question alone scored by each option's text (cloze). Only variants measured in both formats, so
// each level compares the same model (the letter format was also run on variants cloze was not).
// No exposure subset control: the letter-format runs predate the exposure subsets.
const CLOZE = `task = 'mcq' AND subset = 'all' AND metric = 'cloze_accuracy'`;

add({
  name: "mcq-format",
  title: "Multiple choice scored by the answer letter and by the answer text",
  page: "knowledge",
  controls: [modelControl("agg", CLOZE), familyControl(CLOZE)],
  sql: (p) => `WITH l AS (${levelSql("mcq", "subset = 'all'", `CASE metric WHEN 'loglik_accuracy' THEN 'letter (A–D)' ELSE 'option text (cloze)' END`, () => `metric IN ('loglik_accuracy', 'cloze_accuracy')`)(p)})
    SELECT * FROM l WHERE variant IN (SELECT variant FROM l GROUP BY variant HAVING count(DISTINCT series) = 2) ORDER BY series, level`,
  draw: levelDraw(() => "Multiple choice — accuracy", "mcq"),
  // Dense, the same questions in both formats: is the text score above the letter score?
  claim: (rows) => {
    const chance = chanceOf("mcq", "loglik_accuracy");
    const letter = rows.find((r) => r.variant === "dense" && String(r.series).startsWith("letter"));
    const text = rows.find((r) => r.variant === "dense" && !String(r.series).startsWith("letter"));
    if (!letter || !text) return null;
    const by = (r: Row) => `${score(r.value, chance)}`;
    const letterNote = atChance(est(letter), chance) ? ` (at chance, ${score(chance, chance)})` : "";
    return `The dense model scored by the option text (${by(text)}) ${relation(est(letter), est(text))} scored by the letter (${by(letter)}${letterNote}).`;
  },
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
  title: "Score with no prompt, a hard prompt and the best soft prompt, per compressed model",
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
  // Whether the best soft prompt's interval clears the no-prompt interval, per compressed model.
  claim: (rows, p) => {
    const chance = chanceFor(p);
    const labels = [...new Set(rows.filter((r) => r.variant !== "dense" && r.prompt_kind === "best soft prompt").map((r) => String(r.variant)))];
    const verdicts = labels.flatMap((label) => {
      const none = rows.find((r) => r.variant === label && r.prompt_kind === "no prompt");
      const soft = rows.find((r) => r.variant === label && r.prompt_kind === "best soft prompt");
      return none && soft ? [{ label, v: compare(est(none), est(soft), lowerIsBetter(p.metric as string)), none, soft }] : [];
    });
    if (!verdicts.length) return null;
    const up = verdicts.filter((v) => v.v === "improves");
    const best = up.reduce<(typeof up)[number] | undefined>((a, v) => (!a || Math.abs(Number(v.soft.value) - Number(v.none.value)) > Math.abs(Number(a.soft.value) - Number(a.none.value)) ? v : a), undefined);
    // the best of the stored prompts on these same items: selection on test data, an upper bound (issue 20)
    return `The soft prompt that scores best on these test items (picked on them, so an upper bound) beats no prompt, beyond both 95% intervals, on ${up.length} of ${verdicts.length} compressed model${verdicts.length === 1 ? "" : "s"}` +
      (best ? `; most on ${best.label} (${score(best.none.value, chance)} → ${score(best.soft.value, chance)}).` : ".");
  },
});

add({
  name: "soft-prompt-transfer",
  title: "Each soft prompt applied to each compressed variant",
  page: "soft-prompts",
  controls: softControls,
  sql: (p) => `WITH c AS (${softCells(p)})
    SELECT replace(prompt, 'soft:', '') AS prompt, label AS variant, value, ci_low, ci_high FROM c WHERE prompt LIKE 'soft:%'
    ORDER BY prompt, variant`,
  draw: (rows, o, p) => transferChart(rows, { ...o, yLabel: p.metric as string, lowerIsBetter: lowerIsBetter(p.metric as string) }),
  claim: () => null,
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
