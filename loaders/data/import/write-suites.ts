// Writes imported items as a tasks folder kick evaluates (--tasks-dir): one <task>.jsonl per suite, every item
// validated against the suite's schema, ids unique, a CI subset marked, and import.json recording the format,
// the source files' hashes, the counts and the folder's identity. Written into a temporary sibling and renamed
// into place, so a failed import leaves nothing half-written.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { tasksDirHash } from "../../evaluate/tasks-dir.js";
import { withCi } from "../tasks/build-tasks.js";
import { SCHEMAS, type TaskName } from "../tasks/schema.js";
import type { Imported } from "./imported.js";

export interface WrittenSuites {
  dir: string;
  counts: Partial<Record<TaskName, { items: number; test: number; dev: number; ci: number }>>;
  tasks_sha256: string;
}

export function writeSuites(imported: Imported, out: string, meta: { format: string; sources: string[] }, { force = false } = {}): WrittenSuites {
  const dir = resolve(out);
  if (existsSync(dir) && !force) throw new Error(`--out ${out}: already exists (pass --force to replace it)`);
  const lines: [TaskName, string][] = [];
  const counts: WrittenSuites["counts"] = {};
  for (const [task, items] of Object.entries(imported.suites) as [TaskName, unknown[]][]) {
    if (!items || items.length === 0) continue;
    const seen = new Set<string>();
    const valid = items.map((item) => {
      const parsed = SCHEMAS[task].safeParse(item);
      const id = (item as { id?: string }).id;
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${task} item ${JSON.stringify(id)}: field "${issue.path.join(".")}": ${issue.message}`);
      }
      if (seen.has(parsed.data.id)) throw new Error(`${task}: duplicate item id ${JSON.stringify(parsed.data.id)} (the dataset repeats an id; each item needs its own)`);
      seen.add(parsed.data.id);
      return parsed.data;
    });
    withCi(valid, `import/${task}`);
    counts[task] = { items: valid.length, test: valid.filter((x) => x.split === "test").length, dev: valid.filter((x) => x.split === "dev").length, ci: valid.filter((x) => x.ci).length };
    lines.push([task, valid.map((x) => JSON.stringify(x)).join("\n") + "\n"]);
  }
  if (lines.length === 0) throw new Error(`no items imported from ${meta.sources.join(", ")}${imported.notes.length ? ` (${imported.notes.join("; ")})` : ""}`);

  mkdirSync(dirname(dir), { recursive: true });
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    for (const [task, text] of lines) writeFileSync(join(tmp, `${task}.jsonl`), text);
    const tasks_sha256 = tasksDirHash(tmp);
    const sources = meta.sources.map((file) => ({ file: resolve(file), sha256: createHash("sha256").update(readFileSync(file)).digest("hex") }));
    writeFileSync(join(tmp, "import.json"), `${JSON.stringify({ format: meta.format, sources, suites: counts, tasks_sha256, notes: imported.notes }, null, 2)}\n`);
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    renameSync(tmp, dir);
    return { dir, counts, tasks_sha256 };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
