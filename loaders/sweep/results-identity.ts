// Which weights a results row measured. Results rows carry their run's `model_hash` (schema.ts) so that new
// weights under an old model name are told apart; results files written before the column existed (older run
// folders, exports and the committed data/results/ before its backfill) lack it, and get it from their run.
import { RESULTS_SCHEMA } from "./schema.js";

/**
 * SQL selecting the results table's columns, in schema order, from the relation `results` joined to the runs
 * relation `runs` on run_id, with model_hash always the run's: rows of files with and without the column read
 * the same. Read several results files with union_by_name = true, so both kinds can be mixed.
 */
export function resultsWithModelHash(results: string, runs: string): string {
  const columns = Object.keys(RESULTS_SCHEMA).map((c) => (c === "model_hash" ? `u."model_hash"` : `r."${c}"`)).join(", ");
  return `SELECT ${columns} FROM ${results} r JOIN (SELECT run_id, model_hash FROM ${runs}) u USING (run_id)`;
}
