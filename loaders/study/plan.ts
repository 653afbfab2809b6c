// The sweep plan of a `kick study`: a study plan (data/studies/<name>.json, or a plan file) is a sweep plan
// (docs/sweep.md) whose model comes from the command line, so one plan serves every checkpoint. With a tasks
// folder (kick tasks import), the plan's tasks whose suite the folder holds read it; the others (perplexity,
// say, when the folder has only MMLU) read kick's own suites, so the site still has every page's task.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkTasksDir } from "../evaluate/tasks-dir.js";
import { checkModelDir } from "../sweep/models.js";
import { expandPlan, type PlannedRun, type SweepPlan } from "../sweep/plan.js";

export const STUDIES_DIR = resolve(fileURLToPath(new URL("../../data/studies", import.meta.url)));
export const DEFAULT_STUDY_PLAN = "llm-kick-one-model";

const MODEL_NAME = /^[A-Za-z0-9._-]+$/;

/** The study plans shipped with kick (data/studies/*.json), by name. */
export function studyPlanNames(): string[] {
  return readdirSync(STUDIES_DIR).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
}

/** A plan name (data/studies/NAME.json) or a path to a plan file. */
export function resolveStudyPlan(plan: string): string {
  if (plan.endsWith(".json") || plan.includes("/")) {
    if (!existsSync(plan)) throw new Error(`--plan ${plan}: no such file`);
    return plan;
  }
  const file = join(STUDIES_DIR, `${plan}.json`);
  if (!existsSync(file)) throw new Error(`--plan ${plan}: unknown plan; the plans are ${studyPlanNames().join(", ")} (data/studies/), or give a plan file's path`);
  return file;
}

/** Checks the checkpoint folder: a Hugging Face layout with config, tokenizer and safetensors weights. */
export function checkStudyModel(dir: string, name: string | undefined): string {
  checkModelDir(dir, "--model");
  if (!readdirSync(dir).some((f) => f.endsWith(".safetensors")))
    throw new Error(`--model: ${dir} has no *.safetensors weights (kick reads safetensors checkpoints; convert .bin weights with transformers' save_pretrained(safe_serialization=True))`);
  const chosen = name ?? basename(resolve(dir));
  if (!MODEL_NAME.test(chosen))
    throw new Error(`${name === undefined ? `--model ${dir}: the folder name` : "--name"} "${chosen}" is not a model name (letters, digits, . _ - only)${name === undefined ? "; pass --name NAME" : ""}`);
  return chosen;
}

export interface StudyPlanOptions {
  planFile: string;
  modelDir: string;
  modelName: string;
  tasksDir?: string;
}

export interface StudyPlan {
  plan: SweepPlan;
  /** Per task name, the tasks folder hash its runs are keyed on (null: kick's own suites). */
  taskSources: Map<string, string | null>;
  /** Lines saying what the study changed in the plan (the model it replaced, the tasks left on kick's suites). */
  notes: string[];
}

const taskName = (t: unknown): string => (typeof t === "string" ? t : String((t as { task?: unknown })?.task));

/** Reads the plan file, puts the study's model in it and expands it (the sweep's own validation and keys). */
export async function studyPlan({ planFile, modelDir, modelName, tasksDir }: StudyPlanOptions): Promise<StudyPlan> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(planFile, "utf8"));
  } catch (e) {
    throw new Error(`plan ${planFile}: not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error(`plan ${planFile}: expected a JSON object`);
  const notes: string[] = [];
  if (json.models !== undefined) notes.push(`plan ${planFile}: its "models" are replaced by --model ${modelDir}`);
  const withModel = { ...json, models: [{ name: modelName, path: resolve(modelDir) }] };
  const tasks = Array.isArray(json.tasks) ? json.tasks : [];

  const parts: { json: Record<string, unknown>; tasksDir?: string }[] = [];
  if (tasksDir === undefined) parts.push({ json: withModel });
  else {
    const dir = checkTasksDir(tasksDir, "--tasks-dir");
    const suites = new Set(readdirSync(dir.dir).filter((f) => f.endsWith(".jsonl")).map((f) => f.slice(0, -6)));
    const imported = tasks.filter((t) => suites.has(taskName(t)));
    const own = tasks.filter((t) => !suites.has(taskName(t)));
    if (!imported.length)
      throw new Error(`--tasks-dir ${tasksDir}: its suites (${[...suites].join(", ")}) are none of the plan's tasks (${tasks.map(taskName).join(", ")})`);
    parts.push({ json: { ...withModel, tasks: imported }, tasksDir });
    if (own.length) {
      const { tasks_dir: _, ...rest } = withModel as Record<string, unknown>;
      parts.push({ json: { ...rest, tasks: own } });
      notes.push(`--tasks-dir ${tasksDir} has no suite for ${[...new Set(own.map(taskName))].join(", ")}: those read kick's own suites (data/tasks)`);
    }
  }

  const runs = new Map<string, PlannedRun>();
  let plan: SweepPlan | undefined;
  for (const part of parts) {
    const expanded = await expandPlan(part.json, planFile, part.tasksDir === undefined ? {} : { tasksDir: part.tasksDir });
    for (const r of expanded.runs) runs.set(r.run_id, r);
    plan ??= expanded;
  }
  const sorted = [...runs.values()].sort((a, b) => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0));
  const taskSources = new Map<string, string | null>();
  for (const r of sorted) taskSources.set(r.task.task, r.task.tasks_sha256 ?? null);
  return { plan: { ...plan!, runs: sorted }, taskSources, notes };
}
