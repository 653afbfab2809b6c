// Flips: how many items change correctness against the dense model of the same weights (issue 20).
// Accuracy can stay flat while many answers flip (right→wrong and wrong→right cancel); this table counts
// each direction from the per-example table. It runs at export time in node DuckDB over the store's
// `results` and `examples` tables (src/data/flips.parquet.ts), since the site reads `examples` a run at a
// time; pages chart the small table it writes.
import { lit, VARIANT_SQL } from "./report-sql.js";

const Z = 1.959963984540054;

/** The 95% Wilson score interval of k successes in n trials, as SQL (bounds exact at k = 0 and k = n). */
export function wilsonSql(k: string, n: string): { lo: string; hi: string } {
  const p = `(CAST(${k} AS DOUBLE) / ${n})`;
  const z2 = Z * Z;
  const center = `((${p} + ${z2} / (2.0 * ${n})) / (1 + ${z2} / ${n}))`;
  const half = `((${Z} * sqrt(${p} * (1 - ${p}) / ${n} + ${z2} / (4.0 * ${n} * ${n}))) / (1 + ${z2} / ${n}))`;
  return {
    lo: `CASE WHEN ${n} = 0 THEN 0.0 WHEN ${k} = 0 THEN 0.0 ELSE greatest(0.0, ${center} - ${half}) END`,
    hi: `CASE WHEN ${n} = 0 THEN 1.0 WHEN ${k} = ${n} THEN 1.0 ELSE least(1.0, ${center} + ${half}) END`,
  };
}

/** Columns of the flips table, with their Parquet types (loaders/store/parquet.ts). */
export const FLIPS_SCHEMA = {
  model: "VARCHAR",
  model_hash: "VARCHAR",
  model_params: "DOUBLE",
  variant: "VARCHAR",
  method: "VARCHAR",
  pattern: "VARCHAR",
  sparsity: "DOUBLE",
  bits: "INTEGER",
  calib_samples: "INTEGER",
  task: "VARCHAR",
  k_shot: "INTEGER",
  seeds: "INTEGER",
  n: "INTEGER",
  dense_accuracy: "DOUBLE",
  accuracy: "DOUBLE",
  right_to_wrong: "DOUBLE",
  right_to_wrong_lo: "DOUBLE",
  right_to_wrong_hi: "DOUBLE",
  wrong_to_right: "DOUBLE",
  wrong_to_right_lo: "DOUBLE",
  wrong_to_right_hi: "DOUBLE",
  flipped: "DOUBLE",
  flipped_lo: "DOUBLE",
  flipped_hi: "DOUBLE",
} as const;

const share = (k: string, name: string) => {
  const w = wilsonSql(k, "n");
  return `CAST(${k} AS DOUBLE) / n AS ${name}, ${w.lo} AS ${name}_lo, ${w.hi} AS ${name}_hi`;
};

/**
 * One row per compressed cell without a prompt (model × weights × compression × calibration × task ×
 * k-shot), pooled over its seeds: each item scored by both the cell's runs and the dense run of the same
 * model name AND weights hash, task and k-shot (its lowest seed: evaluating dense weights is deterministic)
 * is paired; items without a correctness (perplexity windows) or missing from either run are left out.
 * Shares are of the paired items, with 95% Wilson intervals over them (item sampling; with several seeds
 * the items of each seed count as draws).
 */
export const FLIPS_SQL = `WITH meta AS (
    SELECT run_id, any_value(model) AS model, any_value(model_hash) AS model_hash, max(model_params) AS model_params, any_value(method) AS method,
      any_value(pattern) AS pattern, any_value(sparsity) AS sparsity, any_value(bits) AS bits, any_value(calib_samples) AS calib_samples,
      any_value(prompt) AS prompt, min(seed) AS seed, any_value(task) AS task, CAST(coalesce(max(value) FILTER (WHERE metric = 'k_shot'), 0) AS INTEGER) AS k_shot,
      min(${VARIANT_SQL}) AS variant
    FROM results GROUP BY run_id),
  scored AS (SELECT m.*, e.example_id, e.correct FROM examples e JOIN meta m USING (run_id) WHERE e.correct IS NOT NULL AND m.prompt = ${lit("none")}),
  dense_run AS (SELECT model, model_hash, task, k_shot, arg_min(run_id, seed) AS run_id FROM meta WHERE method = 'dense' AND prompt = ${lit("none")} GROUP BY ALL),
  dense AS (SELECT s.model, s.model_hash, s.task, s.k_shot, s.example_id, s.correct AS dense_correct FROM scored s JOIN dense_run USING (run_id)),
  counts AS (
    SELECT s.model, s.model_hash, max(s.model_params) AS model_params, s.variant, s.method, s.pattern, s.sparsity, s.bits, s.calib_samples, s.task, s.k_shot,
      CAST(count(DISTINCT s.seed) AS INTEGER) AS seeds, CAST(count(*) AS INTEGER) AS n,
      count(*) FILTER (WHERE d.dense_correct) AS dense_right, count(*) FILTER (WHERE s.correct) AS right_,
      count(*) FILTER (WHERE d.dense_correct AND NOT s.correct) AS r2w, count(*) FILTER (WHERE NOT d.dense_correct AND s.correct) AS w2r
    FROM scored s JOIN dense d USING (model, model_hash, task, k_shot, example_id)
    WHERE s.method <> 'dense'
    GROUP BY s.model, s.model_hash, s.variant, s.method, s.pattern, s.sparsity, s.bits, s.calib_samples, s.task, s.k_shot)
SELECT model, model_hash, model_params, variant, method, pattern, sparsity, bits, calib_samples, task, k_shot, seeds, n,
  CAST(dense_right AS DOUBLE) / n AS dense_accuracy, CAST(right_ AS DOUBLE) / n AS accuracy,
  ${share("r2w", "right_to_wrong")}, ${share("w2r", "wrong_to_right")}, ${share("(r2w + w2r)", "flipped")}
FROM counts ORDER BY model, task, variant, calib_samples, k_shot`;

/** The flips chart's choices on /perplexity: each model and task of the flips table, the largest model and factoid QA first. */
export const FLIP_CHOICES_SQL = `SELECT model, task, max(model_params) AS params FROM flips GROUP BY model, task ORDER BY params DESC, task = 'factoid_qa' DESC, model, task`;

/** The flips chart's rows for one model and task (0-shot, the most common calibration count). */
export const flipsSql = (pick: Record<string, unknown>) =>
  `SELECT * FROM flips WHERE model = ${lit(String(pick.model))} AND task = ${lit(String(pick.task))} AND k_shot = 0
  AND (calib_samples IS NULL OR calib_samples = (SELECT mode(calib_samples) FROM flips)) ORDER BY flipped`;
