// The report's SQL: views over the results store (loaders/sweep/schema.ts) that every page, every
// server-side figure (loaders/figures/report.ts) and every embed runs first, in DuckDB-WASM in the
// browser and in @duckdb/node-api on the server, so the same numbers back all three.

/** A SQL string literal. */
export const lit = (value: string | number | null | undefined): string =>
  value === null || value === undefined ? "NULL" : typeof value === "number" ? String(value) : `'${String(value).replaceAll("'", "''")}'`;

/** Metrics that are counts or settings rather than scores (they carry no interval). */
export const INFO_METRICS = ["k_shot", "truncated_prompts", "seq_len", "stream_tokens", "items", "windows", "kl_top_k", "kl_dense_tail_mass", "empty_answers"];

/** The score each task is judged by when a page compares tasks (the LLM-KICK counterpart). */
export const PRIMARY_METRIC: Record<string, string> = {
  perplexity: "perplexity",
  factoid_qa: "alias_hit",
  mcq: "loglik_accuracy",
  icr_qa: "containment",
  summarization: "rougeL",
  long_context: "accuracy",
  instruction: "constraints_satisfied",
};

export const TASK_LABELS: Record<string, string> = {
  perplexity: "Perplexity",
  factoid_qa: "Factoid QA (closed book)",
  mcq: "Multiple choice (MMLU-style)",
  icr_qa: "In-context retrieval QA",
  summarization: "Summarization",
  long_context: "Long-context retrieval",
  instruction: "Instruction following",
};

/** Metrics where lower is better: perplexity and the measures against the dense model (docs/evaluate.md § Beyond accuracy). */
export const lowerIsBetter = (metric: string | null | undefined) => ["perplexity", "kl_dense", "dense_answer_ppl", "repetition"].includes(metric ?? "");

/** The calibration count of the main grid: 128 (LLM-KICK's) where the store has it, else the most common. */
export const MAIN_CALIB = `(SELECT CASE WHEN count(*) FILTER (WHERE calib_samples = 128) > 0 THEN 128 ELSE mode(calib_samples) END FROM results WHERE calib_samples IS NOT NULL)`;

/**
 * Perplexity is computed on windows of `seq_len` tokens (a run's "seq_len" metric row), which moves the
 * number: the reference grid uses the context (512), the prompt experiments 412 (the context less 100 soft
 * tokens). Cells keep them apart; the main grid takes the length most runs without a prompt used, the
 * soft-prompt charts the length most prompted runs used.
 */
export const MAIN_SEQ_LEN = `(SELECT mode(value) FROM results WHERE metric = 'seq_len' AND prompt = 'none')`;
export const SOFT_SEQ_LEN = `(SELECT mode(value) FROM results WHERE metric = 'seq_len' AND prompt LIKE 'soft:%')`;

/**
 * Effective storage bits per weight: 16-bit values × the share kept, or the quantized bits plus
 * per-group scale and zero point (f32 + 8 bit, as kick's packed layout) × the share kept. Sparse
 * index/mask overhead is not counted, which flatters pruning.
 */
export const BPW_SQL = `(CASE WHEN bits IS NULL THEN 16.0 ELSE bits + CASE WHEN group_size > 0 THEN 40.0 / group_size ELSE 0 END END) * (1 - sparsity)`;

/** A readable name of a compression variant, e.g. "sparsegpt 50%", "wanda 2:4", "gptq 4-bit g128". */
export const VARIANT_SQL = `CASE WHEN method = 'dense' THEN 'dense' ELSE method
  || CASE WHEN pattern LIKE '%:%' THEN ' ' || pattern WHEN sparsity > 0 THEN ' ' || CAST(CAST(round(sparsity * 100) AS INTEGER) AS VARCHAR) || '%' ELSE '' END
  || CASE WHEN bits IS NOT NULL THEN ' ' || CAST(bits AS VARCHAR) || '-bit' || CASE WHEN group_size > 0 THEN ' g' || CAST(group_size AS VARCHAR) ELSE '' END ELSE '' END END`;

export const KIND_SQL = `CASE WHEN bits IS NOT NULL AND sparsity > 0 THEN 'pruned + quantized' WHEN bits IS NOT NULL THEN 'quantized' WHEN sparsity > 0 THEN 'pruned' ELSE 'dense' END`;

/**
 * Which weights a cell shows: the model's name, followed by the weights hash's first 8 hex digits when the store
 * holds runs of several weights under that name (retrained under the same name), so that charts and selectors
 * keep them apart. `model_hash` is a column of `cells` too.
 */
export const MODEL_LABEL_SQL = `CASE WHEN min(model_hash) OVER (PARTITION BY model) <> max(model_hash) OVER (PARTITION BY model) THEN model || ' @' || left(model_hash, 8) ELSE model END`;

/**
 * Two-sided 95% quantiles of Student's t with 1 … 30 degrees of freedom (scipy.stats.t.ppf(0.975, df), to 3
 * decimals); beyond 30 the normal 1.96 is within 2%.
 */
export const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
const t975Sql = (df: string) => `coalesce([${T975.join(", ")}][${df}], 1.96)`;

/**
 * A cell's 95% interval with calibration variance (docs/report.md § Calibration seeds). The k calibration seeds
 * of a cell score the same items, so the two sources of error add: item sampling, the seeds' mean item interval
 * (`lo_item`, `hi_item`; it does not shrink with k: the items are shared), and the calibration draw, a t-interval
 * over the k seed means, t(k−1) · sd / √k. Each side is widened by the root of the squares; one seed leaves the
 * item interval as it is.
 */
const withCalibration = (side: "low" | "high") => {
  const item = side === "low" ? "lo_item" : "hi_item";
  const sign = side === "low" ? "-" : "+";
  return `CASE WHEN calib_seeds < 2 OR ${item} IS NULL THEN ${item}
    ELSE value ${sign} sqrt((value - ${item}) ^ 2 + (${t975Sql("calib_seeds - 1")} * seed_sd / sqrt(calib_seeds)) ^ 2) END`;
};

/** The cell's columns (model and weights, compression, setting, task, metric): what runs of one cell share. */
const CELL = "model, model_hash, method, pattern, sparsity, bits, group_size, calib_samples, k_shot, seq_len, prompt, task, subset, metric";

/**
 * Views, run once per connection:
 * - `cells`: one row per model × weights (model_hash; `model` is labelled with its prefix where a name has several) ×
 *   compression × calib_samples × k_shot × seq_len × prompt × task × subset × metric, with bpw, variant, kind and
 *   k_shot (from the mcq run's k_shot row). Runs are averaged over evaluation seeds within each calibration seed,
 *   then over calibration seeds (`calib_seeds`: how many, 0 for methods without calibration); the interval is the
 *   runs' item interval, widened by the spread of the calibration seeds where there are several (withCalibration);
 *   `seeds`: the runs averaged; n summed. Where a cell has runs on all items and runs limited to the first items,
 *   only the runs on the most items count; `partial`: scored on fewer items per run than other cells of the same
 *   task, subset and metric (a run with an item limit), so not comparable across models. Results files written
 *   before the calib_seed column read it as NULL (one seed).
 * - `agg`: the main grid (prompt none, k_shot 0, the main calibration count and perplexity length) with the dense
 *   model's value of the same cell (`dense_value`) and the share of it kept (`retained`).
 */
export const REPORT_VIEWS: readonly string[] = [
  `CREATE OR REPLACE VIEW cells AS
  WITH ks AS (SELECT run_id, max(value) AS k_shot FROM results WHERE metric = 'k_shot' GROUP BY run_id),
    sl AS (SELECT run_id, CAST(max(value) AS INTEGER) AS seq_len FROM results WHERE metric = 'seq_len' GROUP BY run_id),
    res AS (SELECT * FROM results UNION ALL BY NAME SELECT CAST(NULL AS INTEGER) AS calib_seed WHERE false),
    r AS (SELECT res.*, coalesce(ks.k_shot, 0) AS k_shot, sl.seq_len FROM res LEFT JOIN ks USING (run_id) LEFT JOIN sl USING (run_id)
      -- a run limited to the first items (a quick CPU sweep) is not another seed of the full run of the same cell
      QUALIFY n = max(n) OVER (PARTITION BY model, model_hash, method, pattern, sparsity, bits, group_size, calib_samples, k_shot, sl.seq_len, prompt, task, subset, metric)),
    per_seed AS (SELECT ${CELL}, calib_seed, max(model_params) AS model_params,
        avg(value) AS value, avg(ci_low) AS ci_low, avg(ci_high) AS ci_high, sum(n) AS n, count(*) AS runs,
        min(${BPW_SQL}) AS bpw, min(${VARIANT_SQL}) AS variant, min(${KIND_SQL}) AS kind
      FROM r GROUP BY ${CELL}, calib_seed),
    c AS (SELECT ${CELL}, max(model_params) AS model_params, avg(value) AS value, avg(ci_low) AS lo_item, avg(ci_high) AS hi_item,
        coalesce(stddev_samp(value), 0) AS seed_sd, CAST(count(calib_seed) AS INTEGER) AS calib_seeds,
        CAST(sum(n) AS INTEGER) AS n, CAST(sum(runs) AS INTEGER) AS seeds, min(bpw) AS bpw, min(variant) AS variant, min(kind) AS kind
      FROM per_seed GROUP BY ${CELL})
  SELECT ${MODEL_LABEL_SQL} AS model, * EXCLUDE (model), n / seeds < max(n / seeds) OVER (PARTITION BY task, subset, metric, seq_len) AS partial FROM (
  SELECT model, model_hash, model_params, method, pattern, sparsity, bits, group_size, calib_samples,
    k_shot, seq_len, prompt, task, subset, metric,
    value, ${withCalibration("low")} AS ci_low, ${withCalibration("high")} AS ci_high, n, seeds, calib_seeds, bpw, variant, kind
  FROM c)`,
  `CREATE OR REPLACE VIEW agg AS
  SELECT *, value / nullif(dense_value, 0) AS retained FROM (
    SELECT *, max(CASE WHEN method = 'dense' THEN value END) OVER (PARTITION BY model, model_hash, task, subset, metric) AS dense_value
    FROM cells
    WHERE prompt = 'none' AND k_shot = 0 AND (calib_samples IS NULL OR calib_samples = ${MAIN_CALIB}) AND (seq_len IS NULL OR seq_len = ${MAIN_SEQ_LEN}))`,
];

/**
 * The same statements creating tables instead of views: in the browser, where every control's options and
 * every chart query `cells` or `agg`, computing them once beats recomputing the seed averages per statement.
 */
export const REPORT_TABLES: readonly string[] = REPORT_VIEWS.map((statement) => statement.replace(/^CREATE OR REPLACE VIEW/, "CREATE OR REPLACE TABLE"));

/** Columns each table must have for the report (all of the schema's columns that pages read). */
export const REQUIRED_COLUMNS = {
  results: ["run_id", "model", "model_hash", "model_params", "method", "pattern", "sparsity", "bits", "group_size", "calib_samples", "prompt", "seed", "task", "subset", "metric", "value", "n", "ci_low", "ci_high"],
  runs: ["run_id", "model", "model_hash", "compression", "task_spec", "device", "code_version", "git_commit", "started_at", "seconds"],
  examples: ["run_id", "task", "example_id", "prediction", "reference", "correct", "logprob"],
} as const;

/** `AND col = value` unless value is null/undefined ("all"). */
export const eq = (column: string, value: unknown): string =>
  value === null || value === undefined || value === "" ? "" : ` AND ${column} = ${lit(value as string | number)}`;

export const scoreMetrics = (task: string | null | undefined) =>
  `SELECT DISTINCT metric AS value FROM agg WHERE metric NOT IN (${INFO_METRICS.map(lit).join(", ")})${eq("task", task)} ORDER BY 1`;
