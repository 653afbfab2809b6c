// kick study end to end on the tiny Llama fixture (CPU reference forward) with an imported JSONL benchmark:
// the plan's runs into a store (mcq from the import, perplexity and factoid_qa from kick's own suites), the
// exported tables, the site's data files built from them (the loaders the build runs, with the build's
// environment), resuming, and the refusals (bad model folder, unknown plan, a store whose runs read another
// tasks folder, an --out that is not a site) with nothing written. The full site build (5-7 min here) is not
// run: the build invocation is checked instead (see docs/study.md, § Tests).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main as studyMain, studyTablesDir } from "../../loaders/cli/study.js";
import { main as tasksMain } from "../../loaders/cli/tasks.js";
import { readParquet } from "../../loaders/store/parquet.js";
import { siteBuildCommand } from "../../loaders/study/site.js";
import { captureCli } from "../sweep/capture-cli.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const FIX = join(ROOT, "test/fixtures");
const LLAMA = join(FIX, "models/llama");
const PLAN = join(FIX, "study/tiny-study.json");
const ARC = join(FIX, "tasks-import/jsonl/arc-like.jsonl");

afterEach(() => vi.restoreAllMocks());

const tmp = () => mkdtempSync(join(tmpdir(), "kick-study-"));

/** The tasks folder's identity as docs/evaluate.md defines it, computed here independently of the code. */
function folderHash(dir: string): string {
  const h = createHash("sha256");
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".jsonl")).sort())
    h.update(`${name}\n${createHash("sha256").update(readFileSync(join(dir, name))).digest("hex")}\n`);
  return h.digest("hex").slice(0, 16);
}

/** Every file under a folder with its bytes' hash: to show that a refused command wrote nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

/** One site loader (src/data/…) run as Framework's build runs it, with the environment the study's build gets. */
function siteLoader(file: string, tables: string): Buffer {
  const { env } = siteBuildCommand(tables, join(tmp(), "site"));
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, file)], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "buffer" });
  expect(r.status, r.stderr.toString()).toBe(0);
  return r.stdout;
}

describe("kick study", () => {
  let tasks: string;
  let store: string;
  let first: { code: number; out: string; err: string };

  beforeAll(async () => {
    const dir = tmp();
    tasks = join(dir, "tasks");
    const imported = await captureCli(() => tasksMain(["import", "--format", "jsonl", "--task", "mcq", ARC, "--out", tasks]));
    expect(imported.code, imported.err).toBe(0);
    store = join(dir, "store");
    first = await captureCli(() => studyMain(["--model", LLAMA, "--plan", PLAN, "--tasks-dir", tasks, "--store", store, "--no-site"]));
  });

  it("runs the plan on the model into the store: mcq on the imported suite, the other tasks on kick's own", async () => {
    expect(first.code, first.err).toBe(0);
    expect(first.err).toContain("has no suite for perplexity, factoid_qa: those read kick's own suites");
    expect(first.err).toMatch(/overall ETA/); // the sweep runner's progress
    const runs = await readParquet(join(studyTablesDir(store), "runs.parquet"));
    // 3 compressions (dense, magnitude 50%, RTN 4-bit) × 3 tasks, all of the model named after its folder
    expect(runs).toHaveLength(9);
    expect(new Set(runs.map((r) => r.model))).toEqual(new Set(["llama"]));
    const specs = runs.map((r) => JSON.parse(String(r.task_spec)) as { task: string; tasks_sha256?: string });
    const hash = folderHash(tasks);
    for (const s of specs) expect([s.task, s.tasks_sha256]).toEqual([s.task, s.task === "mcq" ? hash : undefined]);
    const methods = new Set(runs.map((r) => JSON.parse(String(r.compression)).method));
    expect(methods).toEqual(new Set(["dense", "magnitude", "rtn"]));
    // the fixture file holds 2 test questions (and 1 dev): every mcq result counts them
    const results = await readParquet(join(studyTablesDir(store), "results.parquet"));
    const mcqAll = results.filter((r) => r.task === "mcq" && r.metric === "loglik_accuracy" && r.subset === "all");
    expect(mcqAll.map((r) => r.n)).toEqual([2, 2, 2]);
  });

  it("the site's data files, built with the study's build environment, hold the model's runs", async () => {
    const status = JSON.parse(siteLoader("src/data/store.json.ts", studyTablesDir(store)).toString());
    expect(status.fixture).toBe(false);
    expect(status.tables.results.present).toBe(true);
    expect(status.weights.map((w: { model: string; runs: number }) => [w.model, w.runs])).toEqual([["llama", 9]]);
    const out = join(tmp(), "results.parquet");
    writeFileSync(out, siteLoader("src/data/results.parquet.ts", studyTablesDir(store)));
    const rows = await readParquet(out);
    expect(new Set(rows.map((r) => `${r.model} ${r.task}`))).toEqual(new Set(["llama perplexity", "llama factoid_qa", "llama mcq"]));
  });

  it("builds the site with scripts/build.sh reading the tables into --out (KICK_RESULTS_DIR, KICK_SITE_DIR)", () => {
    const site = join(tmp(), "site");
    const cmd = siteBuildCommand(studyTablesDir(store), site);
    expect([cmd.command, cmd.args, cmd.cwd]).toEqual(["bash", [join(ROOT, "scripts/build.sh")], ROOT]);
    expect(cmd.env).toEqual({ KICK_RESULTS_DIR: studyTablesDir(store), KICK_SITE_DIR: site });
    // Framework's configuration takes its output folder from KICK_SITE_DIR (dist/ without it)
    const output = (env: Record<string, string>) =>
      spawnSync(process.execPath, ["--import", "tsx", "-e", 'import("./observablehq.config.ts").then((c) => process.stdout.write(c.default.output))'], {
        cwd: ROOT,
        env: { ...process.env, KICK_SITE_DIR: "", ...env },
        encoding: "utf8",
      }).stdout;
    expect(output(cmd.env)).toBe(site);
    expect(output({})).toBe("dist");
  });

  it("a second invocation continues: stored runs are skipped, a missing one is computed", async () => {
    const ids = readdirSync(join(store, "runs")).sort();
    rmSync(join(store, "runs", ids[0]!), { recursive: true });
    // another host's write in flight (a temporary folder, its run file not whole yet) is not read as a run
    const inFlight = join(store, "runs", `.tmp-otherhost.1.abcdef.${ids[1]}`);
    mkdirSync(inFlight);
    writeFileSync(join(inFlight, "run.parquet"), "PAR1");
    const again = await captureCli(() => studyMain(["--model", LLAMA, "--plan", PLAN, "--tasks-dir", tasks, "--store", store, "--no-site"]));
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain("8 already in");
    expect(again.err).toContain("1 run(s) done, 8 skipped, 0 failed");
    expect(readdirSync(join(store, "runs")).filter((f) => !f.startsWith(".")).sort()).toEqual(ids);
    expect(await readParquet(join(studyTablesDir(store), "runs.parquet"))).toHaveLength(9);
  });

  it("--dry-run lists the runs, stored or not, and writes nothing", async () => {
    const fresh = join(tmp(), "store");
    const dry = await captureCli(() => studyMain(["--model", LLAMA, "--plan", PLAN, "--tasks-dir", tasks, "--store", fresh, "--dry-run"]));
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out.trim().split("\n").map((l) => l.split("\t")[1])).toEqual(new Array(9).fill("todo"));
    expect(existsSync(fresh)).toBe(false);
    const stored = await captureCli(() => studyMain(["--model", LLAMA, "--plan", PLAN, "--tasks-dir", tasks, "--store", store, "--dry-run"]));
    expect(stored.out.trim().split("\n").map((l) => l.split("\t")[1])).toEqual(new Array(9).fill("stored"));
  });

  it("refuses a store whose runs of a task read another tasks folder, naming the file, field and values; writes nothing", async () => {
    const before = snapshot(store);
    const own = await captureCli(() => studyMain(["--model", LLAMA, "--plan", PLAN, "--store", store, "--no-site"]));
    expect(own.code).toBe(2);
    expect(own.err).toMatch(/task "mcq" would read kick's own suites .* already holds mcq runs on tasks folder [0-9a-f]{16} \(.*\/runs\/mcq-[0-9a-f]{20}\/run\.parquet: field task_spec\.tasks_sha256 = "[0-9a-f]{16}"\)/);
    const other = join(tmp(), "tasks");
    mkdirSync(other);
    writeFileSync(join(other, "mcq.jsonl"), readFileSync(join(tasks, "mcq.jsonl"), "utf8").split("\n").slice(0, 2).join("\n") + "\n");
    const edited = await captureCli(() => studyMain(["--model", LLAMA, "--plan", PLAN, "--tasks-dir", other, "--store", store, "--no-site"]));
    expect(edited.code).toBe(2);
    expect(edited.err).toContain(`task "mcq" would read tasks folder ${folderHash(other)}, but the store ${store} already holds mcq runs on tasks folder ${folderHash(tasks)}`);
    expect(snapshot(store)).toEqual(before);
  });

  it("refuses a bad model folder, an unknown plan and an --out that is not a site, before writing anything", async () => {
    const dir = tmp();
    const fresh = join(dir, "store");
    const noConfig = join(dir, "no-config");
    cpSync(LLAMA, noConfig, { recursive: true });
    rmSync(join(noConfig, "config.json"));
    const noWeights = join(dir, "no-weights");
    cpSync(LLAMA, noWeights, { recursive: true });
    for (const f of readdirSync(noWeights)) if (f.endsWith(".safetensors")) rmSync(join(noWeights, f));
    const notSite = join(dir, "notes");
    mkdirSync(notSite);
    writeFileSync(join(notSite, "todo.txt"), "mine\n");
    const cases: [string[], RegExp][] = [
      [["--model", noConfig], /--model: .*no-config has no config\.json/],
      [["--model", noWeights], /--model: .*no-weights has no \*\.safetensors weights/],
      [["--model", LLAMA, "--plan", "llm-kick-everything"], /--plan llm-kick-everything: unknown plan; the plans are llm-kick-one-model \(data\/studies\/\)/],
      [["--model", LLAMA, "--plan", PLAN, "--name", "my model"], /--name "my model" is not a model name/],
      [["--model", LLAMA, "--plan", PLAN, "--out", notSite], /--out .*notes: not empty and not a built site \(no index\.html\)/],
      [["--model", LLAMA, "--plan", PLAN, "--tasks-dir", join(dir, "nowhere")], /--tasks-dir .*nowhere: no such folder/],
    ];
    for (const [args, message] of cases) {
      const r = await captureCli(() => studyMain([...args, "--store", fresh]));
      expect([r.code, r.err]).toEqual([2, expect.stringMatching(message)]);
    }
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(notSite)).toEqual(["todo.txt"]);
  });

  it("the default plan is LLM-KICK on one model: dense, pruning at 30/50/70%, 2:4 and 4:8, GPTQ/AWQ 3-4 bit, joint, on the site's seven tasks", async () => {
    const dry = await captureCli(() => studyMain(["--model", join(ROOT, "data/models/kick-s"), "--store", join(tmp(), "store"), "--dry-run"]));
    expect(dry.code, dry.err).toBe(0);
    const lines = dry.out.trim().split("\n").map((l) => l.split("\t")[2]!);
    const compressions = new Set(lines.map((l) => l.split(" · ")[1]));
    const tasksRun = new Set(lines.map((l) => l.split(" · ")[2]!.split("@")[0]));
    const method = (c: string) => (c === "dense" ? { method: "dense" } : JSON.parse(c));
    const label = (c: Record<string, unknown>) =>
      [c.method, c.pattern !== "unstructured" ? c.pattern : undefined, c.sparsity && c.pattern === "unstructured" ? c.sparsity : undefined, c.bits].filter((x) => x !== undefined).join(" ");
    expect([...compressions].map((c) => label(method(c!))).sort()).toEqual(
      [
        "dense",
        ...["magnitude", "wanda", "sparsegpt"].flatMap((m) => [`${m} 0.3`, `${m} 0.5`, `${m} 0.7`, `${m} 2:4`, `${m} 4:8`]),
        "gptq 3",
        "gptq 4",
        "awq 3",
        "awq 4",
        "sparsegpt+gptq 0.5 4",
      ].sort(),
    );
    expect(tasksRun).toEqual(new Set(["perplexity", "factoid_qa", "mcq", "icr_qa", "summarization", "long_context", "instruction"]));
    expect(lines).toHaveLength(21 * 7);
  });
});
