// Seeding a store from an export and exporting it back never loses runs: a seeding killed halfway resumes (the
// store is marked seeded only once complete), an export that would drop runs of the one it replaces is refused
// unless --allow-shrink (which names them), and --dry-run writes nothing.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main as sweepMain } from "../../loaders/cli/sweep.js";
import { sqlString, withDuckDB } from "../../loaders/store/parquet.js";
import { TABLES } from "../../loaders/sweep/run-files.js";
import { exportRunIds, ResultsStore } from "../../loaders/sweep/store.js";
import { captureCli as capture } from "./capture-cli.js";
import { sweepProcess } from "./sweep-process.js";

const LLAMA = fileURLToPath(new URL("../fixtures/models/llama", import.meta.url));

/** An export of `n` synthetic runs (seed-000000 …), one row per table and run, written with DuckDB directly. */
async function syntheticExport(dir: string, n: number): Promise<void> {
  const value = (column: string, type: string) =>
    column === "run_id" ? `'seed-' || lpad(CAST(i AS VARCHAR), 6, '0')` : type === "VARCHAR" ? (column === "prompt" ? "'none'" : "'x'") : type === "BOOLEAN" ? "true" : "1";
  await withDuckDB(async (run) => {
    for (const { table, schema } of TABLES) {
      const columns = Object.entries(schema).map(([c, t]) => `CAST(${value(c, t)} AS ${t}) AS "${c}"`);
      await run(`COPY (SELECT ${columns.join(", ")} FROM range(${n}) t(i)) TO ${sqlString(join(dir, `${table}.parquet`))} (FORMAT parquet)`);
    }
  });
}

function writePlan(dir: string): string {
  const path = join(dir, "plan.json");
  writeFileSync(path, JSON.stringify({ name: "seed", backend: "cpu", compression: ["dense"], seeds: [0], models: [{ name: "llama-fixture", path: LLAMA }], tasks: [{ task: "mcq", items: "ci", limit: 2 }] }));
  return path;
}

afterEach(() => vi.restoreAllMocks());

describe("seeding and exporting a store", () => {
  it("a sweep killed while seeding leaves the store unseeded; the next one completes the seeding, and its export keeps every run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-seed-"));
    const exported = join(dir, "export");
    const store = join(dir, "store");
    const runs = 80;
    await import("node:fs/promises").then((fs) => fs.mkdir(exported));
    await syntheticExport(exported, runs);
    const plan = writePlan(dir);
    const args = ["--plan", plan, "--store", store, "--seed-from", exported, "--export", exported];

    // SIGKILL once 10 runs are seeded (the folder is polled: seeding prints nothing until it is done)
    const killed = sweepProcess(args);
    const seededSoFar = () => (existsSync(join(store, "runs")) ? readdirSync(join(store, "runs")).filter((f) => !f.startsWith(".")).length : 0);
    while (seededSoFar() < 10) {
      await new Promise((done) => setTimeout(done, 20));
      if (!existsSync(`/proc/${killed.pid}`)) break;
    }
    try {
      process.kill(killed.pid, "SIGKILL");
    } catch {
      // it exited before seeding 10 runs: the checks below say how
    }
    const first = await killed;
    expect(first.signal, first.stderr).toBe("SIGKILL");
    const partial = seededSoFar();
    console.log(`[seed test] killed after ${partial} of ${runs} runs were seeded`);
    expect(partial).toBeGreaterThanOrEqual(10);
    expect(partial).toBeLessThan(runs);
    expect(existsSync(join(store, "seeded.json"))).toBe(false);

    // the next sweep resumes the seeding, computes its own run and exports all of them
    const second = await sweepProcess(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(new RegExp(`seeded .* with ${runs - partial} run\\(s\\) from the exported tables in .* \\(${partial} already there\\)`));
    expect((await exportRunIds(exported)).length).toBe(runs + 1);
    expect(existsSync(join(store, "seeded.json"))).toBe(true);

    // marked seeded from exactly this export: a third sweep neither seeds nor exports (nothing new)
    const third = await sweepProcess([...args, "--export-if-new"]);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).not.toMatch(/seeded/);
  }, 240_000);

  it("refuses an export that would drop runs of the one it replaces; --allow-shrink writes it and names them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-shrink-"));
    const exported = join(dir, "export");
    await import("node:fs/promises").then((fs) => fs.mkdir(exported));
    await syntheticExport(exported, 3);
    const before = Object.fromEntries(readdirSync(exported).map((f) => [f, readFileSync(join(exported, f)).toString("base64")]));
    const plan = writePlan(dir);
    const store = join(dir, "store"); // not seeded: it lacks the export's 3 runs

    let r = await capture(() => sweepMain(["--plan", plan, "--store", store, "--export", exported]));
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/would remove 3 run\(s\) that .*runs\.parquet holds and the store lacks \(seed-000000, seed-000001, seed-000002\); nothing was written/);
    expect(Object.fromEntries(readdirSync(exported).map((f) => [f, readFileSync(join(exported, f)).toString("base64")]))).toEqual(before);

    r = await capture(() => sweepMain(["--plan", plan, "--store", store, "--export", exported, "--allow-shrink"]));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/--allow-shrink: the export in .* no longer has 3 run\(s\): seed-000000, seed-000001, seed-000002/);
    expect((await exportRunIds(exported)).length).toBe(1);
    expect(readdirSync(exported).filter((f) => f.startsWith("."))).toEqual([]); // no temporaries left

    // an unreadable table there cannot be compared: refused too
    writeFileSync(join(exported, "runs.parquet"), "PAR1 cut short");
    r = await capture(() => sweepMain(["--plan", plan, "--store", store, "--export", exported]));
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/export file .*runs\.parquet is corrupt [\s\S]*cannot be compared with the store/)]);
  });

  it("--dry-run writes nothing, and counts the runs of the export it would seed from as stored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-dry-"));
    const plan = writePlan(dir);
    const store = join(dir, "store");
    const exported = join(dir, "export");
    const real = await ResultsStore.open(join(dir, "real"), { create: true });
    let r = await capture(() => sweepMain(["--plan", plan, "--store", real.dir, "--export", exported]));
    expect(r.code, r.err).toBe(0);

    r = await capture(() => sweepMain(["--plan", plan, "--store", store, "--seed-from", exported, "--dry-run"]));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^mcq-[0-9a-f]{20}\tstored\tllama-fixture/);
    expect(existsSync(store)).toBe(false);
    r = await capture(() => sweepMain(["--plan", plan, "--store", store, "--dry-run"]));
    expect(r.out).toMatch(/^mcq-[0-9a-f]{20}\ttodo\t/);
    expect(existsSync(store)).toBe(false);
  });
});
