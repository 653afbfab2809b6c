// --tasks-dir end to end: an imported MMLU fixture evaluated by kick eval on the WebGPU backend (lavapipe here),
// stored with the folder's identity in the run's task spec and key; plans with "tasks_dir" key their runs apart
// from runs on kick's own suites, and a folder edited after planning is refused.
import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main as evalMain } from "../../loaders/cli/eval.js";
import { main as tasksMain } from "../../loaders/cli/tasks.js";
import { checkTasksDirUnchanged } from "../../loaders/evaluate/tasks-dir.js";
import { readParquet } from "../../loaders/store/parquet.js";
import { expandPlan } from "../../loaders/sweep/plan.js";
import { ResultsStore } from "../../loaders/sweep/store.js";
import { captureCli } from "../sweep/capture-cli.js";

const FIX = fileURLToPath(new URL("../fixtures/", import.meta.url));
const LLAMA = join(FIX, "models/llama");

afterEach(() => vi.restoreAllMocks());

async function importMmlu(): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), "kick-tasks-dir-")), "mmlu");
  const r = await captureCli(() => tasksMain(["import", "--format", "mmlu", join(FIX, "tasks-import/mmlu-csv/data"), "--out", out]));
  expect(r.code, r.err).toBe(0);
  return out;
}

/** The folder's identity as documented (docs/evaluate.md), computed here independently of the code. */
function expectedHash(dir: string): string {
  const h = createHash("sha256");
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".jsonl")).sort())
    h.update(`${name}\n${createHash("sha256").update(readFileSync(join(dir, name))).digest("hex")}\n`);
  return h.digest("hex").slice(0, 16);
}

describe("--tasks-dir", () => {
  it("kick eval on an imported MMLU folder: its items, on lavapipe, stored with the folder's hash", async () => {
    const tasks = await importMmlu();
    const store = join(mkdtempSync(join(tmpdir(), "kick-tasks-dir-")), "store");
    const r = await captureCli(() =>
      evalMain(["--model", LLAMA, "--task", "mcq", "--scoring", "loglik", "--k-shot", "1", "--tasks-dir", tasks, "--backend", "gpu", "--store", store]),
    );
    expect(r.code, r.err).toBe(0);
    const hash = expectedHash(tasks);
    expect(r.err).toContain(`mcq@2/test/all/k1/loglik/tasks-${hash.slice(0, 8)}`);
    const s = await ResultsStore.open(store);
    const [id] = await s.finishedRunIds();
    const results = await readParquet(join(s.runsDir, id, "results.parquet"));
    const n = (subset: string) => results.find((x) => x.subset === subset && x.metric === "loglik_accuracy")?.n;
    // the fixture's test CSVs hold 3 astronomy and 2 geography questions
    expect([n("all"), n("subject/astronomy"), n("subject/high school geography")]).toEqual([5, 3, 2]);
    expect(results.some((x) => String(x.subset).startsWith("exposure/"))).toBe(false);
    expect(String(results[0].device)).not.toBe("cpu-reference");
    const [runRow] = await readParquet(join(s.runsDir, id, "run.parquet"));
    expect(JSON.parse(String(runRow.task_spec)).tasks_sha256).toBe(hash);
    expect(JSON.parse(readFileSync(join(tasks, "import.json"), "utf8")).tasks_sha256).toBe(hash);
    const examples = await readParquet(join(s.runsDir, id, "examples.parquet"));
    expect(examples.map((x) => x.example_id).sort()).toEqual(
      ["astronomy/test/0000", "astronomy/test/0001", "astronomy/test/0002", "high_school_geography/test/0000", "high_school_geography/test/0001"].map((x) => expect.stringContaining(`mcq/mmlu/${x}`)),
    );
  });

  it("plans: tasks_dir keys runs apart from kick's own suites; a spec naming another folder is refused", async () => {
    const tasks = await importMmlu();
    const plan = { models: [{ name: "llama", path: LLAMA }], tasks: [{ task: "mcq", items: "ci" }] };
    const own = await expandPlan(plan, join(FIX, "plan.json"));
    const imported = await expandPlan({ ...plan, tasks_dir: tasks }, join(FIX, "plan.json"));
    expect(own.runs[0].task.tasks_sha256).toBeUndefined();
    expect(imported.runs[0].task.tasks_sha256).toBe(expectedHash(tasks));
    expect(imported.runs[0].tasks_dir).toBe(tasks);
    expect(imported.runs[0].run_id).not.toBe(own.runs[0].run_id);
    const viaFlag = await expandPlan(plan, join(FIX, "plan.json"), { tasksDir: tasks });
    expect(viaFlag.runs[0].run_id).toBe(imported.runs[0].run_id);
    await expect(expandPlan({ ...plan, tasks_dir: "nowhere" }, join(FIX, "plan.json"))).rejects.toThrow(/plan .*plan\.json: tasks_dir .*nowhere: no such folder/);
    await expect(expandPlan({ ...plan, tasks: [{ task: "mcq", tasks_sha256: "0123456789abcdef" }] }, join(FIX, "plan.json"))).rejects.toThrow(
      /tasks\[0\]: field "tasks_sha256": 0123456789abcdef is not the tasks folder's \(kick's own suites: none\)/,
    );
    appendFileSync(join(tasks, "mcq.jsonl"), "\n"); // edited after planning
    expect(() => checkTasksDirUnchanged(imported.runs[0].task, tasks)).toThrow(/changed since the run was planned/);
  });
});
