// Reading a task suite (data/tasks/<task>.jsonl, built by `npm run data`) and selecting the items a
// TaskSpec asks for. Every line is validated with the suite's schema; errors name the file and line.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SCHEMAS, type TaskItem } from "../data/tasks/schema.js";
import type { TaskName, TaskSpec } from "./task-spec.js";
import type { FileStore } from "../util/file-store.js";

/** data/tasks of this checkout (KICK_TASKS_DIR overrides); in a browser (no process) suites come from loadSuites. */
export const DEFAULT_TASKS_DIR =
  typeof process === "undefined" ? "data/tasks" : (process.env.KICK_TASKS_DIR ?? resolve(fileURLToPath(new URL("../../data/tasks", import.meta.url))));

/** Parsed suites per (folder, task): read once from disk, or put there by loadSuites. */
const cache = new Map<string, unknown[]>();
const cacheKey = (dir: string, task: TaskName) => `${dir}\n${task}`;

/** All items of a suite, validated (cached per folder and task). */
export function readSuite<T extends TaskName>(task: T, dir = DEFAULT_TASKS_DIR): TaskItem<T>[] {
  const hit = cache.get(cacheKey(dir, task));
  if (hit) return hit as TaskItem<T>[];
  const file = join(dir, `${task}.jsonl`);
  if (!existsSync(file)) throw new Error(`task suite ${file}: missing (build the suites with \`npm run data\`)`);
  const items = parseSuite(task, readFileSync(file, "utf8"), file);
  cache.set(cacheKey(dir, task), items);
  return items;
}

/**
 * Reads `<task>.jsonl` of each task through `store` (e.g. files fetched by a page) and makes them the suites of
 * the folder name `dir`: evaluators given `tasksDir: dir` then select their items from these.
 */
export async function loadSuites(store: FileStore, dir: string, tasks: readonly TaskName[]): Promise<void> {
  for (const task of tasks) {
    const name = `${task}.jsonl`;
    cache.set(cacheKey(dir, task), parseSuite(task, await store.readText(name), store.where(name)));
  }
}

/** A suite's JSON lines, each validated with the suite's schema; errors name `file` and the line. */
function parseSuite<T extends TaskName>(task: T, text: string, file: string): TaskItem<T>[] {
  const schema = SCHEMAS[task];
  const items = text
    .split("\n")
    .map((line, i) => [line, i + 1] as const)
    .filter(([line]) => line.trim() !== "")
    .map(([line, lineNo]) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (e) {
        throw new Error(`task suite ${file}: line ${lineNo}: not valid JSON (${(e as Error).message})`);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`task suite ${file}: line ${lineNo}: field "${issue.path.join(".")}": ${issue.message}`);
      }
      return parsed.data;
    });
  return items as TaskItem<T>[];
}

/** The items a spec selects: split, then ci flag, then the first `limit`, in file order. */
export function selectItems<T extends TaskName>(spec: TaskSpec & { task: T }, dir = DEFAULT_TASKS_DIR): TaskItem<T>[] {
  let items = readSuite(spec.task, dir).filter((x) => x.split === spec.split);
  if (spec.items === "ci") items = items.filter((x) => x.ci);
  if (spec.limit !== undefined) items = items.slice(0, spec.limit);
  if (items.length === 0) throw new Error(`task ${spec.task}: no items for split "${spec.split}", items "${spec.items}" in ${dir}`);
  return items;
}

/** The exposure bins the items carry, ascending (none for suites imported from public datasets). */
export const exposureBins = (items: readonly { exposure?: number }[]): number[] =>
  [...new Set(items.flatMap((x) => (x.exposure === undefined ? [] : [x.exposure])))].sort((a, b) => a - b);
