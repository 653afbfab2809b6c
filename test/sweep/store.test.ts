// The results store: atomic per-run folders, schema-version and corruption checks, merge, export.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readParquet } from "../../loaders/store/parquet.js";
import { ResultsStore, type FinishedRun } from "../../loaders/sweep/store.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "kick-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function finishedRun(runId: string, value = 0.5): FinishedRun {
  const common = { run_id: runId, model: "kick-s", model_hash: "abc", model_params: 6.1e6, family: "kick", method: "wanda", pattern: "2:4", sparsity: 0.5 };
  return {
    run: { run_id: runId, model: "kick-s", model_hash: "abc", compression: "{}", task_spec: "{}", device: "cpu", code_version: "1", git_commit: "", started_at: "2026-01-01T00:00:00Z", seconds: 1 },
    results: [
      { ...common, bits: null, group_size: null, calib_samples: 128, prompt: "none", seed: 0, task: "factoid_qa", subset: "all", metric: "accuracy", value, n: 200, ci_low: value - 0.07, ci_high: value + 0.07, device: "cpu", seconds: 1.5, code_version: "1", created_at: "2026-01-01T00:00:00Z" },
    ],
    examples: [
      { run_id: runId, task: "factoid_qa", example_id: "q1", prediction: "Paris", reference: "Paris", correct: true, logprob: -0.25 },
      { run_id: runId, task: "factoid_qa", example_id: "q2", prediction: "", reference: "Lima", correct: false, logprob: null },
    ],
  };
}

describe("ResultsStore", () => {
  it("writes runs atomically, skips a run already stored, and exports the three tables", async () => {
    const store = await ResultsStore.open(dir, { create: true });
    expect(await store.writeRun(finishedRun("run-a", 0.5))).toBe(true);
    expect(await store.writeRun(finishedRun("run-b", 0.25))).toBe(true);
    expect(await store.writeRun(finishedRun("run-a", 0.9))).toBe(false);
    expect(await store.finishedRunIds()).toEqual(["run-a", "run-b"]);
    const counts = await store.exportTables(join(dir, "out"));
    expect(counts).toEqual({ results: 2, examples: 4, runs: 2 });
    const results = await readParquet(join(dir, "out", "results.parquet"));
    expect(results.map((r) => [r.run_id, r.value, r.bits, r.n])).toEqual([
      ["run-a", 0.5, null, 200],
      ["run-b", 0.25, null, 200],
    ]);
    expect(typeof results[0].n).toBe("number"); // INT32, not BigInt
  });

  it("imports an export back into run folders: the re-export is identical, stored runs are skipped", async () => {
    const store = await ResultsStore.open(join(dir, "a"), { create: true });
    await store.writeRun(finishedRun("run-a", 0.5));
    await store.writeRun(finishedRun("run-b", 0.25));
    await store.exportTables(join(dir, "export"));
    const seeded = await ResultsStore.open(join(dir, "b"), { create: true });
    await seeded.writeRun(finishedRun("run-b", 0.25));
    expect(await seeded.importExport(join(dir, "export"))).toEqual({ added: 1, skipped: 1 });
    expect(await seeded.finishedRunIds()).toEqual(["run-a", "run-b"]);
    await seeded.exportTables(join(dir, "again"));
    for (const t of ["results", "examples", "runs"])
      expect(await readParquet(join(dir, "again", `${t}.parquet`)), t).toEqual(await readParquet(join(dir, "export", `${t}.parquet`)));
    await expect(seeded.importExport(join(dir, "nowhere"))).rejects.toThrow(/neither a results store \(no store\.json\) nor an export of one \(missing .*results\.parquet/);
    await writeFile(join(dir, "export", "examples.parquet"), "not parquet");
    const other = await ResultsStore.open(join(dir, "c"), { create: true });
    await expect(other.importExport(join(dir, "export"))).rejects.toThrow(/examples\.parquet is corrupt or lacks columns [\s\S]*nothing was imported/);
    expect(await other.finishedRunIds()).toEqual([]);
  });

  it("rejects a bad row naming the table, row and field, and writes nothing", async () => {
    const store = await ResultsStore.open(dir, { create: true });
    const bad = finishedRun("run-c");
    bad.results[0].prompt = "soft";
    await expect(store.writeRun(bad)).rejects.toThrow(/run run-c: results row 0: field "prompt"/);
    expect(await store.finishedRunIds()).toEqual([]);
  });

  it("exports empty tables with the right columns from an empty store", async () => {
    const store = await ResultsStore.open(dir, { create: true });
    expect(await store.exportTables(join(dir, "out"))).toEqual({ results: 0, examples: 0, runs: 0 });
  });

  it("ignores and cleans up the temporary folder of an interrupted write", async () => {
    const store = await ResultsStore.open(dir, { create: true });
    await mkdir(join(store.runsDir, ".tmp-run-x-123-456"));
    expect(await store.finishedRunIds()).toEqual([]);
    await store.sweepTemporaries();
    expect(await (await import("node:fs/promises")).readdir(store.runsDir)).toEqual([]);
  });

  it("refuses a store of another schema version and a corrupt store.json, leaving them untouched", async () => {
    await writeFile(join(dir, "store.json"), JSON.stringify({ schema_version: 99 }));
    await expect(ResultsStore.open(dir)).rejects.toThrow(/schema version 99, but this kick reads version 1/);
    await writeFile(join(dir, "store.json"), "{not json");
    await expect(ResultsStore.open(dir, { create: true })).rejects.toThrow(/store\.json is corrupt/);
    expect(await readFile(join(dir, "store.json"), "utf8")).toBe("{not json");
  });

  it("names a corrupt run file on export and leaves it untouched", async () => {
    const store = await ResultsStore.open(dir, { create: true });
    await store.writeRun(finishedRun("run-a"));
    const file = join(store.runsDir, "run-a", "results.parquet");
    await writeFile(file, "garbage");
    await expect(store.exportTables(join(dir, "out"))).rejects.toThrow(/run-a\/results\.parquet is corrupt/);
    expect(await readFile(file, "utf8")).toBe("garbage");
  });

  it("merges shards: disjoint runs are added, identical ones skipped, conflicting ones refused", async () => {
    const [a, b, merged] = await Promise.all(
      ["a", "b", "merged"].map((name) => ResultsStore.open(join(dir, name), { create: true })),
    );
    await a.writeRun(finishedRun("run-1"));
    await b.writeRun(finishedRun("run-2"));
    await b.writeRun(finishedRun("run-1"));
    expect(await merged.mergeFrom([a, b])).toEqual({ added: 2, skipped: 1 });
    expect(await merged.finishedRunIds()).toEqual(["run-1", "run-2"]);
    const c = await ResultsStore.open(join(dir, "c"), { create: true });
    await c.writeRun(finishedRun("run-1", 0.75));
    await expect(merged.mergeFrom([c])).rejects.toThrow(/run run-1 differs/);
  });

  it("requires an existing store unless asked to create one", async () => {
    await expect(ResultsStore.open(join(dir, "none"))).rejects.toThrow(/no results store at .*none/);
  });
});
