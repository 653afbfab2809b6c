// Damaged run files: a sweep recomputes a run whose files are cut short (moving the folder aside), `kick store
// verify` re-reads every file and reports or quarantines damaged runs, and `kick merge` checks every source before
// it writes anything.
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main as mergeMain } from "../../loaders/cli/merge.js";
import { main as storeMain } from "../../loaders/cli/store.js";
import { main as sweepMain } from "../../loaders/cli/sweep.js";
import { ResultsStore } from "../../loaders/sweep/store.js";
import { captureCli as capture } from "./capture-cli.js";
import { finishedRun } from "./synthetic-run.js";

afterEach(() => vi.restoreAllMocks());

/** "PAR1", junk, a 4-byte footer length that fits, "PAR1": a whole frame around nothing Parquet can read. */
const framedJunk = () => Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(40, 7), Buffer.from([4, 0, 0, 0]), Buffer.from("PAR1")]);

/** A store with runs run-a (sound), run-b (cut short), run-c (framed junk) and run-d (another run's run.parquet). */
async function damagedStore(dir: string): Promise<ResultsStore> {
  const store = await ResultsStore.open(dir, { create: true });
  for (const id of ["run-a", "run-b", "run-c", "run-d"]) await store.writeRun(finishedRun(id));
  const file = (id: string, f: string) => join(store.runsDir, id, f);
  truncateSync(file("run-b", "examples.parquet"), 100);
  writeFileSync(file("run-c", "results.parquet"), framedJunk());
  writeFileSync(file("run-d", "run.parquet"), readFileSync(file("run-a", "run.parquet")));
  return store;
}

describe("damaged runs", () => {
  it("a sweep moves a run folder with a file cut short aside and computes the run again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-integrity-"));
    const plan = join(dir, "plan.json");
    const llama = new URL("../fixtures/models/llama", import.meta.url).pathname;
    writeFileSync(plan, JSON.stringify({ name: "one", backend: "cpu", compression: ["dense"], seeds: [0], models: [{ name: "llama-fixture", path: llama }], tasks: [{ task: "mcq", items: "ci", limit: 2 }] }));
    const storeDir = join(dir, "store");
    let r = await capture(() => sweepMain(["--plan", plan, "--store", storeDir]));
    expect(r.code, r.err).toBe(0);
    const store = await ResultsStore.open(storeDir);
    const [runId] = await store.finishedRunIds();
    const results = join(store.runsDir, runId!, "results.parquet");
    truncateSync(results, readFileSync(results).length - 30);

    r = await capture(() => sweepMain(["--plan", plan, "--store", storeDir]));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(new RegExp(`${runId}/results\\.parquet: no Parquet magic bytes .*; run folder moved to .*quarantine/${runId}\\.`));
    expect(r.err).toMatch(/\[sweep\] 1 run\(s\) done, 0 skipped, 0 failed/);
    expect(readdirSync(join(storeDir, "quarantine"))).toHaveLength(1);
    expect(await store.verify()).toEqual([]);
  });

  it("kick store verify re-reads every file, names the damaged runs, and --quarantine moves them aside", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-integrity-"));
    const store = await damagedStore(join(dir, "store"));
    let r = await capture(() => storeMain(["verify", "--store", store.dir]));
    expect(r.code, r.err).toBe(1);
    const lines = r.out.trim().split("\n").map((l) => l.split("\t"));
    expect(lines.map((l) => l[0])).toEqual(["run-b", "run-c", "run-d"]);
    expect(lines[0]![1]).toMatch(/run-b\/examples\.parquet$/);
    expect(lines[1]).toEqual(["run-c", expect.stringMatching(/run-c\/results\.parquet$/), expect.stringMatching(/^cannot read it: /)]); // a whole frame: only the full re-read finds it
    expect(lines[2]).toEqual(["run-d", expect.stringMatching(/run-d\/run\.parquet$/), "1 row(s) carry another run_id than run-d"]);
    expect(r.err).toMatch(/3 damaged; 4 run\(s\) stored \(damage remains\)/);

    r = await capture(() => storeMain(["verify", "--store", store.dir, "--quarantine"]));
    expect([r.code, r.err]).toEqual([0, expect.stringMatching(/3 damaged, 3 moved to the quarantine; 1 run\(s\) stored/)]);
    expect(await store.finishedRunIds()).toEqual(["run-a"]);
    expect(readdirSync(join(store.dir, "quarantine")).map((n) => n.split(".")[0]).sort()).toEqual(["run-b", "run-c", "run-d"]);
    r = await capture(() => storeMain(["verify", "--store", store.dir]));
    expect([r.code, r.out]).toEqual([0, ""]);

    r = await capture(() => storeMain(["check", "--store", store.dir]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/expected the subcommand verify, got "check"/)]);
    r = await capture(() => storeMain(["verify", "--store", join(dir, "none")]));
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/no results store at .*none/)]);
  });

  it("kick merge checks every source first: a damaged run, a damaged export or a missing source leaves no --out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-integrity-"));
    const good = await ResultsStore.open(join(dir, "good"), { create: true });
    await good.writeRun(finishedRun("run-x"));
    const bad = await damagedStore(join(dir, "bad"));
    const out = join(dir, "out");

    let r = await capture(() => mergeMain(["--out", out, good.dir, bad.dir]));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/source store .*bad has 3 damaged run\(s\) \(.*run-b\/examples\.parquet: .*\); nothing was merged\. kick store verify --store .*bad --quarantine/);
    expect(existsSync(out)).toBe(false);

    r = await capture(() => mergeMain(["--out", out, good.dir, join(dir, "missing")]));
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/source .*missing does not exist; nothing was merged/)]);
    expect(existsSync(out)).toBe(false);

    const exported = join(dir, "export");
    await good.exportTables(exported);
    truncateSync(join(exported, "examples.parquet"), 50);
    r = await capture(() => mergeMain(["--out", out, good.dir, exported]));
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/source .*export is neither a results store \(no store\.json\) nor a sound export of one \(.*examples\.parquet: cannot read it/)]);
    expect(existsSync(out)).toBe(false);

    // once the damaged runs are moved aside, the rest merges
    expect((await capture(() => storeMain(["verify", "--store", bad.dir, "--quarantine"]))).code).toBe(0);
    r = await capture(() => mergeMain(["--out", out, good.dir, bad.dir]));
    expect([r.code, r.err]).toEqual([0, expect.stringMatching(/2 run\(s\) added/)]);
    expect(await (await ResultsStore.open(out)).finishedRunIds()).toEqual(["run-a", "run-x"]);
  });
});
