// Which weights a results row measured. Results rows carry their run's `model_hash` (schema.ts) so that new
// weights under an old model name are told apart; results files written before the column existed (older run
// folders, exports and the committed data/results/ before its backfill) lack it, and get it from their run.
import { RESULTS_SCHEMA } from "./schema.js";

/**
 * The calibration seed of results files written before the calib_seed column: the seed of the run's stored
 * compression spec (every calibrated spec records calibration.seed), null for uncalibrated runs.
 */
const SPEC_CALIB_SEED = `CASE WHEN r."calib_samples" IS NOT NULL THEN CAST(json_extract(u."compression", '$.calibration.seed') AS INTEGER) END`;

/**
 * SQL selecting the results table's columns, in schema order, from the relation `results` joined to the runs
 * relation `runs` on run_id, with model_hash always the run's and calib_seed the row's or else the run spec's: rows
 * of files with and without those columns read the same. Read several results files with union_by_name = true,
 * so both kinds can be mixed.
 */
export function resultsWithModelHash(results: string, runs: string): string {
  const columns = Object.keys(RESULTS_SCHEMA)
    .map((c) => (c === "model_hash" ? `u."model_hash"` : c === "calib_seed" ? `coalesce(r."calib_seed", ${SPEC_CALIB_SEED}) AS "calib_seed"` : `r."${c}"`))
    .join(", ");
  // UNION ALL BY NAME adds the calib_seed column (all NULL) to files written before it
  const withSeed = `(SELECT * FROM ${results} UNION ALL BY NAME SELECT CAST(NULL AS INTEGER) AS "calib_seed" WHERE false)`;
  return `SELECT ${columns} FROM ${withSeed} r JOIN (SELECT run_id, model_hash, compression FROM ${runs}) u USING (run_id)`;
}
