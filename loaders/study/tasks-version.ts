// A study store holds one version of each task: the site's cells group runs by model, compression and task name,
// so runs of one task on two tasks folders (kick's suites and an import, or two imports) would be averaged as one
// benchmark. Before anything is written, the tasks folder each planned task reads is compared with the one the
// store's runs of that task were keyed on (the run file's task_spec.tasks_sha256).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { sqlString, withDuckDB } from "../store/parquet.js";
import { ResultsStore } from "../sweep/store.js";

const source = (hash: string | null) => (hash === null ? "kick's own suites (no tasks_sha256)" : `tasks folder ${hash}`);

/**
 * Throws when `store` (its folder need not exist) holds a run of a planned task on another tasks folder than the
 * plan's, naming the run file, the field and both values.
 */
export async function checkStoreTasks(storeDir: string, planned: ReadonlyMap<string, string | null>, flag: string): Promise<void> {
  if (!existsSync(join(storeDir, "store.json"))) return;
  const store = await ResultsStore.open(storeDir);
  const ids = await store.finishedRunIds(); // whole run folders only: a killed write's temporary is not one
  const rows = await withDuckDB(async (run) => {
    const out: { run_id: string; task_spec: string }[] = [];
    for (const id of ids) {
      const file = join(store.runsDir, id, "run.parquet");
      // a damaged run file is the sweep's to quarantine and recompute (docs/sweep.md § Resuming), not a refusal here
      const got = await run(`SELECT task_spec FROM read_parquet(${sqlString(file)})`).catch(() => []);
      for (const r of got) out.push({ run_id: id, task_spec: String(r.task_spec) });
    }
    return out;
  });
  for (const row of rows) {
    const spec = JSON.parse(row.task_spec) as { task: string; tasks_sha256?: string };
    if (!planned.has(spec.task)) continue;
    const want = planned.get(spec.task)!;
    const have = spec.tasks_sha256 ?? null;
    if (have === want) continue;
    const file = join(store.runsDir, row.run_id, "run.parquet");
    throw new Error(
      `${flag}: task "${spec.task}" would read ${source(want)}, but the store ${storeDir} already holds ${spec.task} runs on ${source(have)} ` +
        `(${file}: field task_spec.tasks_sha256 = ${have === null ? "absent" : `"${have}"`}). One store holds one version of each task: ` +
        `pass the tasks folder those runs used, or another --store`,
    );
  }
}
