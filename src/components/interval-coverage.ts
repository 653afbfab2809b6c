// What the report's 95% intervals cover, worded from the store itself: item sampling only where every cell has one
// calibration seed, item sampling and calibration variance where cells have several (report-sql.ts `cells`).

/** Per main-grid cell with an interval: its calibration seeds (0 without calibration). */
export const COVERAGE_SQL = `SELECT calib_seeds, CAST(count(*) AS INTEGER) AS cells FROM agg WHERE ci_low IS NOT NULL AND method <> 'dense' GROUP BY calib_seeds ORDER BY calib_seeds`;

/** The caption sentence for rows of COVERAGE_SQL. */
export function coverageSentence(rows: readonly { calib_seeds: unknown; cells: unknown }[]): string {
  const counts = rows.map((r) => ({ seeds: Number(r.calib_seeds), cells: Number(r.cells) }));
  const several = counts.filter((c) => c.seeds >= 2);
  if (!several.length) return "Intervals cover items only (1 calibration seed): where a cell has several evaluation seeds, its bounds are averaged over them.";
  const widened = several.reduce((a, c) => a + c.cells, 0);
  const total = counts.reduce((a, c) => a + c.cells, 0);
  const seeds = [...new Set(several.map((c) => c.seeds))].join(" or ");
  return `Intervals cover items and ${seeds} calibration seeds in ${widened} of ${total} compressed cells (item interval widened by the seeds' t-interval, docs/report.md); the other cells' intervals cover items only (1 calibration seed, or none used).`;
}

/** The sentence for a report store (its `query`). */
export async function intervalCoverage(query: (sql: string) => Promise<Record<string, unknown>[]>): Promise<string> {
  return coverageSentence((await query(COVERAGE_SQL)) as { calib_seeds: unknown; cells: unknown }[]);
}
