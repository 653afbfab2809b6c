// A results table from hand-written SQL value rows (the store's results columns in schema order, see RESULTS_COLUMNS)
// with the report's views over it, for tests of page and ledger SQL on numbers known by construction.
import { withDuckDB } from "../../loaders/store/parquet.js";
import { REPORT_VIEWS } from "../../src/components/report-sql.js";

export const RESULTS_COLUMNS = "run_id, model, model_hash, model_params, method, pattern, sparsity, bits, group_size, calib_samples, prompt, seed, task, subset, metric, value, n, ci_low, ci_high";

export type Query = (sql: string) => Promise<Record<string, unknown>[]>;

export function withHandMadeStore<T>(values: readonly string[], work: (q: Query) => Promise<T>): Promise<T> {
  return withDuckDB(async (q) => {
    await q(`CREATE TABLE results AS SELECT * FROM (VALUES ${values.join(", ")}) t(${RESULTS_COLUMNS})`);
    for (const statement of REPORT_VIEWS) await q(statement);
    return work(q);
  });
}
