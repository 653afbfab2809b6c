// Processes sharing one store: claims (leases) so that duplicate sweeps compute each run once, stale claims taken
// over, and a sweep starting beside another leaves the other's in-flight writes alone.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RunClaims } from "../../loaders/sweep/claims.js";
import { SELF, tempName } from "../../loaders/sweep/owner.js";
import { loadPlan } from "../../loaders/sweep/plan.js";
import { runSweep } from "../../loaders/sweep/runner.js";
import { ResultsStore } from "../../loaders/sweep/store.js";
import { computedRuns, sweepProcess, untimedTables } from "./sweep-process.js";

const PLAN = fileURLToPath(new URL("../fixtures/sweep/interrupt-plan.json", import.meta.url));
const quiet = () => {};
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!;

describe("run claims", () => {
  it("one holder at a time; a claim of a dead process or past its TTL is taken over, and its holder learns it lost it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-claims-"));
    const claims = new RunClaims(dir, 60_000);
    const a = await claims.acquire("run-1");
    expect(a).not.toBeNull();
    expect(await claims.acquire("run-1")).toBeNull(); // held by a live process (this one)
    expect(await a!.heartbeat()).toBe(true);
    await a!.release();
    const b = await claims.acquire("run-1");
    expect(b).not.toBeNull();

    // a claim left by a process of this host that is gone: taken over at once
    const claimFile = (host: string, pid: number, token: string) => JSON.stringify({ run_id: "run-2", host, pid, token, claimed_at: "" });
    writeFileSync(join(dir, "run-2.json"), claimFile(SELF.host, deadPid(), "dead"));
    expect(await claims.acquire("run-2")).not.toBeNull();
    // another host's claim: judged by its heartbeat (mtime) against the TTL
    writeFileSync(join(dir, "run-3.json"), claimFile("elsewhere", 1, "remote"));
    expect(await claims.acquire("run-3")).toBeNull();
    const old = new Date(Date.now() - 61_000);
    utimesSync(join(dir, "run-3.json"), old, old);
    const c = await claims.acquire("run-3");
    expect(c).not.toBeNull();
    // the holder stalled past the TTL (no heartbeat for 61 s) and another process took the claim over: its
    // heartbeat says it lost it
    utimesSync(join(dir, "run-3.json"), old, old);
    expect(await new RunClaims(dir, 60_000, { ...SELF, token: "07e4" }).acquire("run-3")).not.toBeNull();
    expect(await c!.heartbeat()).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith("."))).toEqual([]); // no temporaries left
  });
});

describe("a store shared by several sweeps", () => {
  it("a sweep starting beside another leaves the other's in-flight temporaries alone and removes only dead ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-shared-"));
    const store = await ResultsStore.open(join(dir, "store"), { create: true });
    const plan = await loadPlan(PLAN);
    // what a live writer (this process stands in for it) and a killed one have in the store
    const live = join(store.runsDir, tempName(plan.runs[0].run_id, { ...SELF, token: "00aa" }));
    const dead = join(store.runsDir, tempName(plan.runs[1].run_id, { ...SELF, pid: deadPid(), token: "00bb" }));
    for (const d of [live, dead]) {
      mkdirSync(d);
      writeFileSync(join(d, "results.parquet"), "being written");
    }
    const summary = await runSweep(plan, store, { shard: { index: 0, count: 2 }, log: quiet });
    expect(summary.failed).toEqual([]);
    expect(existsSync(join(live, "results.parquet"))).toBe(true);
    expect(existsSync(dead)).toBe(false);
  }, 120_000);

  it("two shards started one after the other on one store lose nothing; two identical sweeps compute each run exactly once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-shared-"));
    const plan = await loadPlan(PLAN);
    const total = plan.runs.length;
    const reference = await ResultsStore.open(join(dir, "reference"), { create: true });
    expect((await runSweep(plan, reference, { log: quiet })).done).toBe(total);
    const expected = await untimedTables(reference, join(dir, "reference-tables"));

    // shard 1/2 starts while shard 0/2 is computing and writing its runs
    const shards = join(dir, "shards");
    const first = sweepProcess(["--plan", PLAN, "--store", shards, "--shard", "0/2"]);
    await new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (existsSync(join(shards, "runs")) && readdirSync(join(shards, "runs")).length > 0) done(clearInterval(poll));
      }, 20);
    });
    const second = sweepProcess(["--plan", PLAN, "--store", shards, "--shard", "1/2"]);
    for (const r of await Promise.all([first, second])) expect(r.code, r.stderr).toBe(0);
    expect(await untimedTables(await ResultsStore.open(shards), join(dir, "shards-tables"))).toEqual(expected);

    // two identical sweeps at once: every run computed by exactly one of them
    const both = join(dir, "both");
    const runs = await Promise.all([0, 1].map(() => sweepProcess(["--plan", PLAN, "--store", both])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const computed = runs.map((r) => computedRuns(r.stderr));
    console.log(`[shared-store test] two identical sweeps computed ${computed.map((c) => c.length).join(" + ")} of ${total} runs`);
    expect(computed.flat().sort()).toEqual(plan.runs.map((r) => r.run_id).sort());
    expect(await untimedTables(await ResultsStore.open(both), join(dir, "both-tables"))).toEqual(expected);
  }, 240_000);
});
