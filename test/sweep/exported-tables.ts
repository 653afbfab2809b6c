// The tables of an exported store (`kick sweep|merge --export`, ResultsStore.exportTables) as sorted JSON rows
// without the timing columns, so two stores holding the same runs compare equal however they were computed.
import { join } from "node:path";
import { readParquet } from "../../loaders/store/parquet.js";

const TIMING = new Set(["seconds", "created_at", "started_at"]);

export async function exportedTables(dir: string): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const t of ["results", "examples", "runs", "models"]) {
    const rows = await readParquet(join(dir, `${t}.parquet`));
    result[t] = rows.map((r) => JSON.stringify(Object.entries(r).filter(([k]) => !TIMING.has(k)))).sort();
  }
  return result;
}
