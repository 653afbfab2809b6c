// kick sweep --plan FILE [--shard i/n] [--store DIR]: runs a sweep plan into a results store.
// Standalone meanwhile: npx tsx loaders/cli/sweep.ts --plan FILE ...
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPlan, parseShard, shardRuns, describeRun } from "../sweep/plan.js";
import { runSweep } from "../sweep/runner.js";
import { exportRunIds, ResultsStore } from "../sweep/store.js";
import { checkStoreDir } from "../sweep/store-dir.js";
import { parseCommand } from "./args.js";
import { exportStore } from "./export-store.js";
import { isMain } from "../util/is-main.js";

export const summary = "run a sweep plan (models × compression × tasks × seeds) into a results store; resumable, shardable";

export const DEFAULT_STORE = resolve(fileURLToPath(new URL("../../data/results/store", import.meta.url)));
/** The committed export of the reference store (what the site reads); seeds DEFAULT_STORE when it is missing. */
export const DEFAULT_EXPORT = resolve(fileURLToPath(new URL("../../data/results", import.meta.url)));

const HELP = `Usage: kick sweep --plan FILE [options]

Expands the plan (models × compression specs × tasks × seeds, plus ablations) into runs keyed by a
content hash, skips the runs the store already has, and writes each finished run atomically. Kill it
at any time and start it again: nothing finished is lost or repeated. Progress (per run and overall
ETA) goes to stderr. Exit code 1 if a run failed (the others still ran), 2 for a bad command line or plan.

Options:
  --plan FILE        the sweep plan (JSON; see docs/sweep.md)
  --shard i/n        run only shard i of n (0 ≤ i < n). Runs of one (model, compression, seed) stay
                     together (the compressed model is made once); the groups are dealt out so that
                     shards get about as many runs each. Disjoint, covering, a function of the plan alone
  --models A,B       run only these models of the plan (the others need not be present)
  --calib-seeds LIST calibration seeds, e.g. 0,1,2: every calibrated compression entry once per seed
                     (overrides the plan's ablations.calib_seeds; seed 0 is the default spec's run)
  --store DIR        results store (default: data/results/store; created if missing). Several sweeps
                     may share one store, also over NFS: each run is claimed before it is computed
  --seed-from DIR    first add the runs of the export in DIR (results/examples/runs.parquet) that the
                     store lacks; done again until it completes (default for the default store: the
                     committed export data/results)
  --export DIR       afterwards, write results/examples/runs.parquet of the whole store to DIR (each
                     written to a temporary and renamed); refused if DIR holds runs the store lacks
  --allow-shrink     with --export: write it even so, naming the runs it removes
  --export-if-new    with --export: export only if this invocation stored at least one new run, so a
                     sweep that computes nothing leaves DIR's files untouched (what npm run build uses)
  --models-dir DIR   where bare model names live (default: data/models)
  --prompts-dir DIR  folder of soft prompts (kick prompt --out) for soft:<id> prompts; overrides the
                     plan's "prompts_dir". Prompts are checked (exist, sound, fit each model) before any run
  --tasks-dir DIR    task suites to read instead of data/tasks (kick tasks import --out); overrides the
                     plan's "tasks_dir". Its content hash is part of every run's key and task spec
  --dry-run          list the shard's runs (id, stored or not) and exit; writes nothing (a run counts as
                     stored when the store or the export it would be seeded from has it)
  -h, --help         this help`;

function parseModelList(text: string): string[] {
  const names = text.split(",").map((n) => n.trim()).filter(Boolean);
  if (!names.length) throw new Error(`--models: expected model names separated by commas, got "${text}"`);
  return names;
}

function parseSeedList(text: string): number[] {
  const seeds = text.split(",").map((n) => n.trim());
  const bad = seeds.find((n) => !/^\d+$/.test(n) || Number(n) > 2 ** 31 - 1);
  if (bad !== undefined || !seeds.length) throw new Error(`--calib-seeds: expected non-negative integers separated by commas, got "${text}"${bad !== undefined ? ` ("${bad}" is not one)` : ""}`);
  return [...new Set(seeds.map(Number))];
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand("sweep", argv, {
    plan: { type: "string" },
    shard: { type: "string" },
    models: { type: "string" },
    "calib-seeds": { type: "string" },
    store: { type: "string" },
    export: { type: "string" },
    "export-if-new": { type: "boolean" },
    "allow-shrink": { type: "boolean" },
    "seed-from": { type: "string" },
    "models-dir": { type: "string" },
    "prompts-dir": { type: "string" },
    "tasks-dir": { type: "string" },
    "dry-run": { type: "boolean" },
  }, HELP, { positionals: false });
  if (typeof parsed === "number") return parsed;
  const values = parsed.values;
  let plan;
  let shard;
  try {
    if (typeof values.plan !== "string") throw new Error("--plan FILE is required");
    if (values["export-if-new"] && typeof values.export !== "string") throw new Error("--export-if-new needs --export DIR");
    if (values["allow-shrink"] && typeof values.export !== "string") throw new Error("--allow-shrink needs --export DIR");
    shard = typeof values.shard === "string" ? parseShard(values.shard) : undefined;
    plan = await loadPlan(values.plan, {
      ...(typeof values["models-dir"] === "string" ? { modelsDir: values["models-dir"] } : {}),
      ...(typeof values["prompts-dir"] === "string" ? { promptsDir: values["prompts-dir"] } : {}),
      ...(typeof values["tasks-dir"] === "string" ? { tasksDir: values["tasks-dir"] } : {}),
      ...(typeof values.models === "string" ? { onlyModels: parseModelList(values.models) } : {}),
      ...(typeof values["calib-seeds"] === "string" ? { calibSeeds: parseSeedList(values["calib-seeds"]) } : {}),
    });
  } catch (e) {
    process.stderr.write(`kick sweep: ${(e as Error).message}\n`);
    return 2;
  }
  const storeDir = typeof values.store === "string" ? values.store : DEFAULT_STORE;
  // the repository holds the reference store as its export (data/results/*.parquet): the default store is seeded
  // from it, so the sweep skips those runs and a later --export data/results keeps them
  const isDefault = resolve(storeDir) === DEFAULT_STORE; // also when spelled data/results/store (scripts/refresh.sh)
  const seedFrom = typeof values["seed-from"] === "string" ? values["seed-from"] : isDefault && existsSync(join(DEFAULT_EXPORT, "runs.parquet")) ? DEFAULT_EXPORT : undefined;
  try {
    checkStoreDir(storeDir, "--store");
    if (values["dry-run"]) {
      const stored = new Set<string>(seedFrom ? await exportRunIds(seedFrom) : []);
      if (existsSync(join(storeDir, "store.json"))) for (const id of await (await ResultsStore.open(storeDir)).finishedRunIds()) stored.add(id);
      const runs = shard ? shardRuns(plan.runs, shard) : plan.runs;
      for (const r of runs) process.stdout.write(`${r.run_id}\t${stored.has(r.run_id) ? "stored" : "todo"}\t${describeRun(r)}\n`);
      process.stderr.write(`[sweep] ${runs.length} of ${plan.runs.length} runs in this shard (dry run: nothing written)\n`);
      return 0;
    }
    const store = await ResultsStore.open(storeDir, { create: true });
    if (seedFrom) {
      const seeded = await store.seedFrom(seedFrom);
      if (seeded) process.stderr.write(`[sweep] seeded ${storeDir} with ${seeded.added} run(s) from the exported tables in ${seedFrom} (${seeded.skipped} already there)\n`);
    }
    const result = await runSweep(plan, store, { shard });
    if (typeof values.export === "string" && values["export-if-new"] && result.done === 0) {
      process.stderr.write(`[sweep] no new run stored: ${values.export} left as it is (--export-if-new)\n`);
    } else if (typeof values.export === "string") {
      await exportStore(store, values.export, { allowShrink: values["allow-shrink"] === true, tag: "sweep" });
      // the export now holds exactly the store's runs: seeding from it again has nothing to add
      if (seedFrom && resolve(values.export) === resolve(seedFrom)) await store.markSeeded(seedFrom);
    }
    for (const f of result.failed) process.stderr.write(`kick sweep: run ${f.run_id} failed: ${f.error}\n`);
    return result.failed.length ? 1 : 0;
  } catch (e) {
    process.stderr.write(`kick sweep: ${(e as Error).message}\n`);
    return 1;
  }
}

if (isMain(import.meta.url, "loaders/cli/sweep.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
