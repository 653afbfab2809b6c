// kick study --model DIR [--tasks-dir DIR] [--plan NAME]: one command from a checkpoint to the report site on it.
// The plan runs through the sweep runner (keys, resuming, claims, progress), the store is exported, and the site
// is built on the export. Standalone meanwhile: npx tsx loaders/cli/study.ts --model DIR ...
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describeRun } from "../sweep/plan.js";
import { runSweep } from "../sweep/runner.js";
import { ResultsStore } from "../sweep/store.js";
import { checkStoreDir } from "../sweep/store-dir.js";
import { checkStudyModel, DEFAULT_STUDY_PLAN, resolveStudyPlan, studyPlan, studyPlanNames } from "../study/plan.js";
import { buildSite, checkSiteDir } from "../study/site.js";
import { checkStoreTasks } from "../study/tasks-version.js";
import { isMain } from "../util/is-main.js";
import { parseCommand } from "./args.js";
import { exportStore } from "./export-store.js";

export const summary = "run a study plan on your checkpoint into a results store and build the report site on it; resumable";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const DEFAULT_STUDY_STORE = join(ROOT, "runs/study/store");
export const DEFAULT_STUDY_SITE = join(ROOT, "runs/study/site");
/** Where a study store's tables are exported (what the site reads). */
export const studyTablesDir = (store: string) => join(store, "tables");

const HELP = `Usage: kick study --model DIR [options]

Runs a study plan on the checkpoint in DIR into a results store (each run keyed, stored atomically and skipped
when stored: kill it and run the same command again to continue), exports the store's tables to STORE/tables,
then builds the report site on them into --out, so every page shows your model. Progress and ETA on stderr.
Exit code 0 done, 1 a run or the build failed (the other runs are kept; run again to retry), 2 bad input
(nothing written).

Options:
  --model DIR       a Hugging Face checkpoint folder: config.json, tokenizer.json, *.safetensors
  --name NAME       the model's name in the results (default: DIR's folder name)
  --plan NAME       a study plan of data/studies/ (${studyPlanNames().join(", ")}; default ${DEFAULT_STUDY_PLAN}),
                    or a plan file's path (a sweep plan, docs/sweep.md; its "models" are replaced by --model)
  --tasks-dir DIR   task suites from kick tasks import: the plan's tasks whose suite DIR holds read it, the
                    others kick's own suites. A store holds one version of each task: a store with runs of a
                    task on another tasks folder is refused
  --store DIR       the results store (default runs/study/store; several models may share one, and the site
                    then shows them all)
  --out DIR         the built site (default runs/study/site; a site built there before is replaced)
  --no-site         stop after the runs and the export (build later with the same command)
  --dry-run         list the runs (stored or todo) and where the store and site go; writes nothing
  -h, --help        this help`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand("study", argv, {
    model: { type: "string" },
    name: { type: "string" },
    plan: { type: "string" },
    "tasks-dir": { type: "string" },
    store: { type: "string" },
    out: { type: "string" },
    "no-site": { type: "boolean" },
    "dry-run": { type: "boolean" },
  }, HELP, { positionals: false });
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const storeDir = resolve(str("store") ?? DEFAULT_STUDY_STORE);
  const outDir = resolve(str("out") ?? DEFAULT_STUDY_SITE);
  const tablesDir = studyTablesDir(storeDir);
  const log = (line: string) => process.stderr.write(`[study] ${line}\n`);
  const show = (path: string) => (relative(process.cwd(), path).startsWith("..") ? path : relative(process.cwd(), path) || ".");

  let study;
  try {
    const modelDir = str("model");
    if (modelDir === undefined) throw new Error("--model DIR is required");
    const name = checkStudyModel(modelDir, str("name"));
    const planFile = resolveStudyPlan(str("plan") ?? DEFAULT_STUDY_PLAN);
    checkStoreDir(storeDir, "--store");
    if (!v["no-site"]) checkSiteDir(outDir, "--out");
    study = await studyPlan({ planFile, modelDir, modelName: name, tasksDir: str("tasks-dir") });
    await checkStoreTasks(storeDir, study.taskSources, str("tasks-dir") === undefined ? "--tasks-dir (none given)" : `--tasks-dir ${str("tasks-dir")}`);
  } catch (e) {
    process.stderr.write(`kick study: ${(e as Error).message}\n`);
    return 2;
  }
  const { plan } = study;
  for (const note of study.notes) log(note);
  const where = `store ${show(storeDir)}, tables ${show(tablesDir)}, site ${v["no-site"] ? "not built (--no-site)" : show(outDir)}`;

  if (v["dry-run"]) {
    const stored = new Set(existsSync(join(storeDir, "store.json")) ? await (await ResultsStore.open(storeDir)).finishedRunIds() : []);
    for (const r of plan.runs) process.stdout.write(`${r.run_id}\t${stored.has(r.run_id) ? "stored" : "todo"}\t${describeRun(r)}\n`);
    const todo = plan.runs.filter((r) => !stored.has(r.run_id)).length;
    log(`plan "${plan.name}" (${plan.file}): ${plan.runs.length} runs, ${plan.runs.length - todo} stored, ${todo} to run on ${plan.backend}; ${where} (dry run: nothing written)`);
    return 0;
  }

  let failed: { run_id: string; error: string }[];
  try {
    log(`step 1/3: the runs of plan "${plan.name}" (${plan.file}) on ${plan.runs[0]?.model.dir}; ${where}`);
    const store = await ResultsStore.open(storeDir, { create: true });
    failed = (await runSweep(plan, store)).failed;
    log("step 2/3: exporting the store's tables");
    await exportStore(store, tablesDir, { allowShrink: false, tag: "study" });
  } catch (e) {
    process.stderr.write(`kick study: ${(e as Error).message}\n`);
    return 1;
  }
  for (const f of failed) process.stderr.write(`kick study: run ${f.run_id} failed: ${f.error}\n`);
  if (v["no-site"]) {
    log(`step 3/3 skipped (--no-site): the tables are in ${show(tablesDir)}`);
  } else {
    try {
      log(`step 3/3: building the site on ${show(tablesDir)} into ${show(outDir)}`);
      await buildSite(tablesDir, outDir);
      log(`site written to ${outDir}: serve it with python3 -m http.server -d ${show(outDir)}`);
    } catch (e) {
      process.stderr.write(`kick study: ${(e as Error).message}\n`);
      return 1;
    }
  }
  if (failed.length) {
    process.stderr.write(`kick study: ${failed.length} run(s) failed (named above); the stored runs are kept: run the same command again to retry them\n`);
    return 1;
  }
  return 0;
}

if (isMain(import.meta.url, "loaders/cli/study.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
