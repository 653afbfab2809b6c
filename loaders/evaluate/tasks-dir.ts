// A tasks folder other than kick's own data/tasks (one written by `kick tasks import`): its identity is a hash
// of its suites' content, which goes into the task spec (tasks_sha256), so a run on imported tasks is keyed,
// recorded (the runs table's task_spec) and named apart from a run on kick's suites, and a folder edited after
// planning is refused instead of evaluated under the old key.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_TASKS_DIR } from "./suite.js";
import type { TaskSpec } from "./task-spec.js";

/** sha256 (16 hex) over the folder's *.jsonl files, by name and content. */
export function tasksDirHash(dir: string): string {
  const h = createHash("sha256");
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".jsonl")).sort()) {
    h.update(`${name}\n${createHash("sha256").update(readFileSync(join(dir, name))).digest("hex")}\n`);
  }
  return h.digest("hex").slice(0, 16);
}

export interface TasksDir {
  dir: string;
  /** absent for kick's own data/tasks, whose runs keep their keys */
  sha256?: string;
}

/** Checks a --tasks-dir / plan "tasks_dir" value (`where` names it in errors). */
export function checkTasksDir(dir: string, where: string): TasksDir {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${where} ${dir}: no such folder`);
  if (!readdirSync(dir).some((n) => n.endsWith(".jsonl"))) throw new Error(`${where} ${dir}: no task suites (*.jsonl) in it; make one with kick tasks import`);
  const abs = resolve(dir);
  return abs === resolve(DEFAULT_TASKS_DIR) ? { dir: abs } : { dir: abs, sha256: tasksDirHash(abs) };
}

/** The spec bound to a tasks folder; a spec that names another folder's hash is refused. */
export function bindTasksDir(spec: TaskSpec, tasks: TasksDir | undefined, where: string): TaskSpec {
  const want = tasks?.sha256;
  if (spec.tasks_sha256 !== undefined && spec.tasks_sha256 !== want)
    throw new Error(`${where}: field "tasks_sha256": ${spec.tasks_sha256} is not the tasks folder's (${want ? `${tasks!.dir}: ${want}` : "kick's own suites: none"}); pass the folder it was made from with --tasks-dir`);
  const { tasks_sha256: _, ...rest } = spec;
  return want ? { ...rest, tasks_sha256: want } : rest;
}

/** Before evaluating: the folder still holds what the run was keyed on. */
export function checkTasksDirUnchanged(spec: TaskSpec, dir: string | undefined): void {
  if (spec.tasks_sha256 === undefined) return;
  if (!dir) throw new Error(`task spec names tasks folder ${spec.tasks_sha256} but no tasks folder was given (--tasks-dir)`);
  const now = tasksDirHash(dir);
  if (now !== spec.tasks_sha256) throw new Error(`tasks folder ${dir} changed since the run was planned (hash ${now}, planned ${spec.tasks_sha256}); expand the plan again`);
}
