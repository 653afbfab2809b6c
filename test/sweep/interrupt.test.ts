// A sweep killed (SIGKILL) at random moments and restarted ends with exactly the tables of an
// uninterrupted run (timing columns aside); shards merged with `kick merge` give the same tables too.
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main as mergeMain } from "../../loaders/cli/merge.js";
import { seededRandom } from "../../loaders/evaluate/scoring.js";
import { loadPlan } from "../../loaders/sweep/plan.js";
import { runSweep } from "../../loaders/sweep/runner.js";
import { ResultsStore } from "../../loaders/sweep/store.js";
import { sweepProcess as sweep, untimedTables as tables } from "./sweep-process.js";

const PLAN = fileURLToPath(new URL("../fixtures/sweep/interrupt-plan.json", import.meta.url));
const quiet = () => {};

/** The sweep CLI on the plan; killed `delayMs` after its first run starts (or left to finish when delayMs is null). */
const sweepProcess = (store: string, delayMs: number | null) => sweep(["--plan", PLAN, "--store", store], { killAfterMs: delayMs });

describe("sweep interruption and sharding", () => {
  it("resumes after SIGKILLs with nothing lost or duplicated, and matches an uninterrupted run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-interrupt-"));
    const plan = await loadPlan(PLAN);
    const total = plan.runs.length;
    expect(total).toBe(10); // 2 models × (4 tasks + mcq at k_shot 1)

    const reference = await ResultsStore.open(join(dir, "reference"), { create: true });
    const summary = await runSweep(plan, reference, { log: quiet });
    expect([summary.done, summary.failed.length]).toEqual([total, 0]);

    const killedDir = join(dir, "killed");
    const random = seededRandom(20261122);
    const counts: number[] = [];
    let kills = 0;
    for (let attempt = 0; attempt < 4; attempt++) {
      const res = await sweepProcess(killedDir, Math.floor(50 + random() * 900));
      if (res.signal === "SIGKILL") kills += 1;
      else expect(res.code, res.stderr).toBe(0);
      counts.push((await (await ResultsStore.open(killedDir)).finishedRunIds()).length);
    }
    console.log(`[interrupt test] runs stored after each attempt: ${counts.join(", ")} of ${total}; ${kills} SIGKILLs`);
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(counts[0]).toBeLessThan(total); // the first kill landed mid-sweep
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]); // nothing lost
    const final = await sweepProcess(killedDir, null);
    expect(final.code, final.stderr).toBe(0);
    expect(final.stderr).toMatch(new RegExp(`${total - counts[counts.length - 1]} run\\(s\\) done, ${counts[counts.length - 1]} skipped, 0 failed`));
    const killed = await ResultsStore.open(killedDir);
    expect(readdirSync(killed.runsDir).filter((e) => e.startsWith(".tmp-"))).toEqual([]);

    const a = await tables(reference, join(dir, "reference-tables"));
    const b = await tables(killed, join(dir, "killed-tables"));
    expect(a.runs.length).toBe(total);
    expect(a.results.length).toBeGreaterThan(total);
    expect(b).toEqual(a); // same seed, same device: identical numbers, every example included

    // shards 0/2 and 1/2 in separate stores, merged by `kick merge`, give the same tables again
    for (const index of [0, 1]) {
      const s = await ResultsStore.open(join(dir, `shard${index}`), { create: true });
      const r = await runSweep(plan, s, { shard: { index, count: 2 }, log: quiet });
      expect(r.inShard).toBe(total / 2);
    }
    expect(await mergeMain(["--out", join(dir, "merged"), join(dir, "shard0"), join(dir, "shard1"), join(dir, "reference")])).toBe(0);
    const merged = await ResultsStore.open(join(dir, "merged"));
    expect(await tables(merged, join(dir, "merged-tables"))).toEqual(a);
    expect(existsSync(join(dir, "merged", "store.json"))).toBe(true);
  });
});
