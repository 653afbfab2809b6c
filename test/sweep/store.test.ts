// The results store: atomic per-run folders, schema-version and corruption checks, merge, export.
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readParquet } from "../../loaders/store/parquet.js";
import { SELF, tempName } from "../../loaders/sweep/owner.js";
import { ResultsStore } from "../../loaders/sweep/store.js";
import { finishedRun } from "./synthetic-run.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "kick-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ResultsStore", () => {
  it("writes runs atomically, skips a run already stored, and exports the three tables", async () => {
    const store = await ResultsStore.open(dir, { create: true });
    expect(await store.writeRun(finishedRun("run-a", 0.5))).toBe(true);
    expect(await store.writeRun(finishedRun("run-b", 0.25))).toBe(true);
    expect(await store.writeRun(finishedRun("run-a", 0.9))).toBe(false);
    expect(await store.finishedRunIds()).toEqual(["run-a", "run-b"]);
    // what an export killed before its renames left there: removed by the next export
    await mkdir(join(dir, "out"));
    await writeFile(join(dir, "out", tempName("results.parquet", { ...SELF, pid: spawnSync(process.execPath, ["-e", "0"]).pid!, token: "0c" })), "half");
    const counts = await store.exportTables(join(dir, "out"));
    expect(counts).toEqual({ results: 2, examples: 4, runs: 2 });
    expect((await readdir(join(dir, "out"))).filter((f) => f.startsWith("."))).toEqual([]); // no temporaries left
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

  it("ignores temporaries, and removes only those of dead processes or too old to judge (other writers keep theirs)", async () => {
    const store = await ResultsStore.open(dir, { create: true });
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!; // exited: its pid is gone
    const names = {
      live: tempName("run-live", { ...SELF, token: "0a" }), // a process of this host that is running (this one)
      dead: tempName("run-dead", { ...SELF, pid: dead, token: "0b" }),
      remote: tempName("run-remote", { host: "elsewhere", pid: dead, token: "0c" }), // another host's: judged by age
      oldRemote: tempName("run-old-remote", { host: "elsewhere", pid: dead, token: "0d" }),
      legacy: ".tmp-run-x-123-456", // an older kick's name: judged by age
    };
    for (const name of Object.values(names)) await mkdir(join(store.runsDir, name));
    const old = new Date(Date.now() - 7 * 3600_000);
    await utimes(join(store.runsDir, names.oldRemote), old, old);
    expect(await store.finishedRunIds()).toEqual([]);
    expect(await store.sweepTemporaries()).toBe(2);
    expect((await readdir(store.runsDir)).sort()).toEqual([names.legacy, names.live, names.remote].sort());
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
