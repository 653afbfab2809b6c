// Fault-injection soak (store-soak.ts): concurrent shard processes on one store, SIGKILLed at random and restarted,
// end with exactly the tables of an uninterrupted single-process run: the same runs, the same rows, no duplicates,
// nothing damaged, no temporaries or claims left, and no run computed to the end twice. KICK_STORE_SOAK=large (npm
// run test:soak:store) runs a larger plan (soak-plan.json: 32 runs) with more processes and kills.
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readParquet } from "../../loaders/store/parquet.js";
import { loadPlan } from "../../loaders/sweep/plan.js";
import { runSweep } from "../../loaders/sweep/runner.js";
import { ResultsStore } from "../../loaders/sweep/store.js";
import { soak } from "./store-soak.js";
import { untimedTables } from "./sweep-process.js";

const LARGE = process.env.KICK_STORE_SOAK === "large";
const SIZE = LARGE
  ? { plan: "soak-plan.json", shards: 3, processes: 6, kills: 18, seed: 20261207, maxDelayMs: 4000 }
  : { plan: "interrupt-plan.json", shards: 2, processes: 3, kills: 4, seed: 20261207, maxDelayMs: 1500 };
const PLAN = fileURLToPath(new URL(`../fixtures/sweep/${SIZE.plan}`, import.meta.url));

describe(`store soak (${LARGE ? "large" : "CI size"})`, () => {
  it("concurrent shards with random kill -9 and restarts end with the tables of an uninterrupted run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-soak-"));
    const plan = await loadPlan(PLAN);
    const reference = await ResultsStore.open(join(dir, "reference"), { create: true });
    expect((await runSweep(plan, reference, { log: () => {} })).done).toBe(plan.runs.length);

    const storeDir = join(dir, "store");
    const report = await soak({ ...SIZE, plan: PLAN, store: storeDir });
    const counts = new Map<string, number>();
    for (const id of report.computed) counts.set(id, (counts.get(id) ?? 0) + 1);
    console.log(`[store soak] ${SIZE.processes} processes on ${SIZE.shards} shards: ${report.starts} starts, ${report.kills} SIGKILLs; ${report.computed.length} runs reported computed of ${plan.runs.length}`);
    expect(report.kills).toBeGreaterThanOrEqual(Math.ceil(SIZE.kills / 2));
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]); // claims: no run computed to the end twice

    const store = await ResultsStore.open(storeDir);
    expect(await store.verify()).toEqual([]);
    expect(readdirSync(store.runsDir).filter((f) => f.startsWith("."))).toEqual([]);
    const claims = join(storeDir, "claims");
    expect(existsSync(claims) ? readdirSync(claims) : []).toEqual([]);
    const expected = await untimedTables(reference, join(dir, "reference-tables"));
    expect(await untimedTables(store, join(dir, "store-tables"))).toEqual(expected);
    // no duplicates: one runs row per run, one results row per (run, subset, metric)
    const runs = await readParquet(join(dir, "store-tables", "runs.parquet"));
    expect(new Set(runs.map((r) => r.run_id)).size).toBe(plan.runs.length);
    const results = await readParquet(join(dir, "store-tables", "results.parquet"));
    expect(new Set(results.map((r) => `${r.run_id} ${r.subset} ${r.metric}`)).size).toBe(results.length);
  }, LARGE ? 1_800_000 : 300_000);
});
