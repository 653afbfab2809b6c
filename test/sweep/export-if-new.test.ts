// kick sweep --export DIR --export-if-new (what `npm run build` runs on the embedded default): a sweep that
// stores no new run leaves DIR's files untouched; one that stores a run exports. And --models A,B.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCli as capture } from "./capture-cli.js";
import { main as sweepMain } from "../../loaders/cli/sweep.js";
import { readParquet } from "../../loaders/store/parquet.js";

const LLAMA = fileURLToPath(new URL("../fixtures/models/llama", import.meta.url));
const MCQ = { task: "mcq", items: "ci", limit: 2 };
const PERPLEXITY = { task: "perplexity", items: "ci", limit: 1, seq_len: 64 };

function writePlan(dir: string, file: string, plan: object): string {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify({ name: "export-if-new", backend: "cpu", compression: ["dense"], seeds: [0], ...plan }));
  return path;
}

/** Each file of `dir` with its bytes and mtime. */
function snapshot(dir: string): Record<string, { bytes: string; mtimeMs: number }> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, { bytes: readFileSync(join(dir, f)).toString("base64"), mtimeMs: statSync(join(dir, f)).mtimeMs }]));
}

afterEach(() => vi.restoreAllMocks());

describe("kick sweep --export-if-new", () => {
  it("leaves the export untouched when nothing new was stored, and exports when a run was", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-export-if-new-"));
    const store = join(dir, "store");
    const one = writePlan(dir, "one.json", { models: [{ name: "llama-fixture", path: LLAMA }], tasks: [MCQ] });
    let r = await capture(() => sweepMain(["--plan", one, "--store", store]));
    expect(r.code, r.err).toBe(0);

    // every run stored: an empty export folder stays empty
    const empty = join(dir, "empty");
    r = await capture(() => sweepMain(["--plan", one, "--store", store, "--export", empty, "--export-if-new"]));
    expect([r.code, r.err]).toEqual([0, expect.stringMatching(/no new run stored: .* left as it is \(--export-if-new\)/)]);
    expect(existsSync(empty) ? readdirSync(empty) : []).toEqual([]);

    // ... and an existing export keeps its bytes and mtimes (without the flag it is rewritten)
    const tables = join(dir, "tables");
    r = await capture(() => sweepMain(["--plan", one, "--store", store, "--export", tables]));
    expect([r.code, r.err]).toEqual([0, expect.stringMatching(/exported results: \d+ rows, examples: \d+ rows, runs: 1 rows/)]);
    const before = snapshot(tables);
    expect(Object.keys(before).sort()).toEqual(["examples.parquet", "models.parquet", "results.parquet", "runs.parquet"]);
    await new Promise((done) => setTimeout(done, 20)); // so that a rewrite would show in the mtimes
    r = await capture(() => sweepMain(["--plan", one, "--store", store, "--export", tables, "--export-if-new"]));
    expect(r.code, r.err).toBe(0);
    expect(snapshot(tables)).toEqual(before);

    // a run missing from the store: it runs, and the export is written with it
    const two = writePlan(dir, "two.json", { models: [{ name: "llama-fixture", path: LLAMA }], tasks: [MCQ, PERPLEXITY] });
    r = await capture(() => sweepMain(["--plan", two, "--store", store, "--export", tables, "--export-if-new"]));
    expect([r.code, r.err]).toEqual([0, expect.stringMatching(/\[sweep\] 1 run\(s\) done, 1 skipped, 0 failed/)]);
    expect(r.err).toMatch(/exported .*runs: 2 rows/);
    const runs = await readParquet(join(tables, "runs.parquet"));
    expect(runs.map((x) => (JSON.parse(String(x.task_spec)) as { task: string }).task).sort()).toEqual(["mcq", "perplexity"]);
    expect(snapshot(tables)["runs.parquet"]!.bytes).not.toBe(before["runs.parquet"]!.bytes);
  });

  it("--export-if-new needs --export", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-export-if-new-"));
    const plan = writePlan(dir, "plan.json", { models: [{ name: "llama-fixture", path: LLAMA }], tasks: [MCQ] });
    const r = await capture(() => sweepMain(["--plan", plan, "--store", join(dir, "store"), "--export-if-new"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--export-if-new needs --export DIR/)]);
    expect(existsSync(join(dir, "store"))).toBe(false);
  });
});

describe("kick sweep --models", () => {
  it("runs only the named models (the others need not exist) and refuses an unknown name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-models-"));
    const plan = writePlan(dir, "plan.json", {
      models: [
        { name: "llama-fixture", path: LLAMA },
        { name: "ghost", path: join(dir, "no-such-model") },
      ],
      tasks: [MCQ, PERPLEXITY],
    });
    const store = join(dir, "store");
    let r = await capture(() => sweepMain(["--plan", plan, "--store", store, "--dry-run"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/models\[1\] "ghost"/)]);

    r = await capture(() => sweepMain(["--plan", plan, "--store", store, "--models", "llama-fixture", "--dry-run"]));
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^[a-z-]+-[0-9a-f]{20}\ttodo\tllama-fixture · /);
    expect(r.err).toMatch(/\[sweep\] 2 of 2 runs in this shard/);

    r = await capture(() => sweepMain(["--plan", plan, "--store", store, "--models", "llama-fixture,nope", "--dry-run"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/no model "nope" \(the plan has llama-fixture, ghost\)/)]);
    r = await capture(() => sweepMain(["--plan", plan, "--store", store, "--models", " , ", "--dry-run"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--models: expected model names separated by commas/)]);
  });
});
