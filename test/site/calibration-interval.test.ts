// The report's interval over calibration seeds (src/components/report-sql.ts `cells`, docs/report.md § Calibration
// seeds) against a hand computation, and the caption sentence that says what intervals cover.
import { describe, expect, it } from "vitest";
import { withDuckDB } from "../../loaders/store/parquet.js";
import { REPORT_VIEWS } from "../../src/components/report-sql.js";
import { COVERAGE_SQL, coverageSentence } from "../../src/components/interval-coverage.js";

// run, method, calib_seed, eval seed, accuracy (item interval: −0.05 / +0.06 around it)
const RUNS: [string, string, number | null, number, number][] = [
  ["d", "dense", null, 0, 0.6],
  ["w0", "wanda", 0, 0, 0.4],
  ["w1", "wanda", 1, 0, 0.44],
  // calibration seed 2 evaluated with two evaluation seeds: averaged (0.45) before the seeds are compared
  ["w2a", "wanda", 2, 0, 0.43],
  ["w2b", "wanda", 2, 1, 0.47],
  ["s0", "sparsegpt", 0, 0, 0.5],
];
const row = ([run, method, calibSeed, seed, v]: (typeof RUNS)[number]) =>
  `('${run}', 'm', 'h1', 1e6, '${method}', 'unstructured', ${method === "dense" ? 0 : 0.5}, NULL::INTEGER, NULL::INTEGER, ${method === "dense" ? "NULL::INTEGER" : 128}, ${calibSeed ?? "NULL::INTEGER"}, 'none', ${seed}, 'factoid_qa', 'all', 'alias_hit', ${v}, 100, ${v - 0.05}, ${v + 0.06})`;

async function cells(): Promise<Record<string, unknown>[]> {
  return withDuckDB(async (run) => {
    await run(`CREATE TABLE results AS SELECT * FROM (VALUES ${RUNS.map(row).join(", ")})
      t(run_id, model, model_hash, model_params, method, pattern, sparsity, bits, group_size, calib_samples, calib_seed, prompt, seed, task, subset, metric, value, n, ci_low, ci_high)`);
    for (const statement of REPORT_VIEWS) await run(statement);
    const out = await run(`SELECT method, value, ci_low, ci_high, seeds, calib_seeds FROM cells ORDER BY method`);
    out.push({ coverage: coverageSentence((await run(COVERAGE_SQL)) as { calib_seeds: unknown; cells: unknown }[]) });
    return out;
  });
}

describe("calibration seeds in the report's intervals", () => {
  it("widen a cell's item interval by the t-interval of its calibration-seed means (hand-computed), leave one-seed cells as they were", async () => {
    const [dense, sgpt, wanda, note] = await cells();
    // seed means 0.40, 0.44, 0.45: mean 0.43, sd 0.0264575; t(2) = 4.303; e = 4.303 · sd / √3 = 0.0657290
    // low 0.43 − √(0.05² + e²) = 0.3474146, high 0.43 + √(0.06² + e²) = 0.5189964
    expect(wanda!.value).toBeCloseTo(0.43, 12);
    expect(wanda!.ci_low).toBeCloseTo(0.3474146, 6);
    expect(wanda!.ci_high).toBeCloseTo(0.5189964, 6);
    expect([wanda!.seeds, wanda!.calib_seeds]).toEqual([4, 3]);
    expect(sgpt).toMatchObject({ value: 0.5, seeds: 1, calib_seeds: 1 });
    expect(sgpt!.ci_low).toBeCloseTo(0.45, 12);
    expect(sgpt!.ci_high).toBeCloseTo(0.56, 12);
    expect(dense).toMatchObject({ value: 0.6, calib_seeds: 0 });
    expect(note!.coverage).toBe("Intervals cover items and 3 calibration seeds in 1 of 2 compressed cells (item interval widened by the seeds' t-interval, docs/report.md); the other cells' intervals cover items only (1 calibration seed, or none used).");
  });

  it("words a store with one calibration seed per cell as items only", () => {
    expect(coverageSentence([{ calib_seeds: 0, cells: 4 }, { calib_seeds: 1, cells: 9 }])).toMatch(/^Intervals cover items only \(1 calibration seed\)/);
  });
});
