// Reading a task suite (data/tasks/<task>.jsonl, built by `npm run data`) and selecting the items a
// TaskSpec asks for. Every line is validated with the suite's schema; errors name the file and line.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SCHEMAS, type TaskItem } from "../data/tasks/schema.js";
import type { TaskName, TaskSpec } from "./task-spec.js";

/** data/tasks of this checkout (KICK_TASKS_DIR overrides). */
export const DEFAULT_TASKS_DIR = process.env.KICK_TASKS_DIR ?? resolve(fileURLToPath(new URL("../../data/tasks", import.meta.url)));

const cache = new Map<string, unknown[]>();

/** All items of a suite, validated (cached per file). */
export function readSuite<T extends TaskName>(task: T, dir = DEFAULT_TASKS_DIR): TaskItem<T>[] {
  const file = join(dir, `${task}.jsonl`);
  const hit = cache.get(file);
  if (hit) return hit as TaskItem<T>[];
  if (!existsSync(file)) throw new Error(`task suite ${file}: missing (build the suites with \`npm run data\`)`);
  const schema = SCHEMAS[task];
  const items = readFileSync(file, "utf8")
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
  cache.set(file, items);
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
