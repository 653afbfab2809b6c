// Scale-out on a real scheduler: a private single-node Slurm cluster (./cluster.ts) runs a sweep plan as the
// job array of docs/sweep.md § Slurm job array (scripts/slurm/sweep-array.sbatch, one shard per task, each its
// own store), one array task is requeued mid-run with `scontrol requeue`, the merge job submitted with
// --dependency=afterok (scripts/slurm/merge.sbatch) combines the shard stores, and the merged export must equal
// a single-process `kick sweep` of the same plan: the plan's run ids, the same rows (timing aside).
// npm run test:slurm (installs slurm-wlm and munge first; needs root). Everything it writes is under one
// temporary directory (kept, and named, when the test fails); every daemon it starts is stopped.
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { loadPlan, shardRuns } from "../../loaders/sweep/plan.js";
import { exportedTables } from "../sweep/exported-tables.js";
import { processesWhere, type SlurmCluster, startSlurmCluster } from "./cluster.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PLAN = join(ROOT, "test/fixtures/sweep/slurm-plan.json");
const SHARDS = 4;
const REQUEUED = 0; // the array task requeued once it has stored its first run
const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"]);
const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");
/** runs a shard reported stored (the runner logs "done in … → <run id>" after the run's folder is in place) */
const doneRuns = (log: string) => (log.match(/: done in .* → /g) ?? []).length;

/** One record per job (array task) of `scontrol show job -o`: its fields as strings. */
function jobRecords(cluster: SlurmCluster, jobId: string): Record<string, string>[] {
  return cluster
    .command("scontrol", ["show", "job", "-o", jobId])
    .split("\n")
    .filter((l) => l.startsWith("JobId="))
    .map((l) => Object.fromEntries([...l.matchAll(/(\w+)=(\S*)/g)].map((m) => [m[1]!, m[2]!])));
}

async function until(what: string, ready: () => boolean, seconds: number, diagnostics: () => string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}\n${diagnostics()}`);
    await sleep(100);
  }
}

let cluster: SlurmCluster | null = null;
afterAll(async () => {
  await cluster?.stop(); // only if the test body did not get to it
});

describe("Slurm job array (docs/sweep.md)", () => {
  it("shards with one task requeued mid-run, merged, equal a single-process sweep", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "kick-slurm-"));
    chmodSync(tmp, 0o755); // munged wants every folder above its socket open to all (it is root's only)
    let passed = false;
    try {
      // the children's caches (tsx's transforms, Mesa's shader cache) stay under tmp too
      const env = { ...process.env, TMPDIR: join(tmp, "tmp"), MESA_SHADER_CACHE_DIR: join(tmp, "mesa-cache"), XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" };
      mkdirSync(env.TMPDIR, { recursive: true });
      const plan = await loadPlan(PLAN);
      const inShard = Array.from({ length: SHARDS }, (_, index) => shardRuns(plan.runs, { index, count: SHARDS }).length);
      expect(plan.runs.length).toBe(20); // 4 compression specs × 5 tasks, one (model, compression, seed) group per shard
      expect(inShard).toEqual([5, 5, 5, 5]);

      // the reference: one process, as on a workstation (it also fills the Mesa shader cache the shards reuse)
      let t0 = performance.now();
      const single = join(tmp, "single");
      await execFileAsync(process.execPath, ["--import", "tsx", "loaders/cli/sweep.ts", "--plan", PLAN, "--store", join(single, "store"), "--export", join(single, "tables")], { cwd: ROOT, env, maxBuffer: 1 << 26 });
      const singleSeconds = (performance.now() - t0) / 1000;

      t0 = performance.now();
      cluster = await startSlurmCluster(join(tmp, "cluster"), env);
      const c = cluster;
      const startSeconds = (performance.now() - t0) / 1000;

      // submitted as docs/sweep.md documents it, from the repository root; resources suit this one-node cluster
      t0 = performance.now();
      const results = join(tmp, "results");
      mkdirSync(join(results, "logs"), { recursive: true });
      const jobId = (out: string) => out.trim().split(";")[0]!;
      const arrayJob = jobId(c.command("sbatch", ["--parsable", `--array=0-${SHARDS - 1}`, `--output=${results}/logs/%x-%A_%a.log`, "scripts/slurm/sweep-array.sbatch", PLAN, results], { cwd: ROOT }));
      const mergeJob = jobId(c.command("sbatch", ["--parsable", `--dependency=afterok:${arrayJob}`, `--output=${results}/logs/%x-%j.log`, "scripts/slurm/merge.sbatch", results, join(tmp, "merged", "store"), join(tmp, "merged", "tables")], { cwd: ROOT }));
      const taskLog = (task: number) => join(results, "logs", `kick-sweep-${arrayJob}_${task}.log`);
      const mergeLog = join(results, "logs", `kick-merge-${mergeJob}.log`);
      const diagnostics = () =>
        [`scratch: ${tmp}`, c.command("squeue", ["-h"]), ...[...Array(SHARDS).keys()].map((t) => `--- task ${t}\n${read(taskLog(t)).split("\n").slice(-8).join("\n")}`), `--- merge\n${read(mergeLog)}`].join("\n");

      await until(`array task ${REQUEUED} to store its first run`, () => doneRuns(read(taskLog(REQUEUED))) >= 1, 600, diagnostics);
      c.command("scontrol", ["requeue", `${arrayJob}_${REQUEUED}`]);
      // Slurm must have stopped every process of the first attempt by the time the second starts (it waits
      // cred_expire, 10 s here, while KillWait is 5 s); a survivor would share the store with its own restart
      await until(`array task ${REQUEUED} to restart`, () => /restart 1$/m.test(read(taskLog(REQUEUED))), 600, diagnostics);
      const firstAttempt = processesWhere(
        (env) => env.includes(`SLURM_ARRAY_JOB_ID=${arrayJob}`) && env.includes(`SLURM_ARRAY_TASK_ID=${REQUEUED}`) && !env.includes("SLURM_RESTART_COUNT=1"),
      );
      expect(firstAttempt, "processes of the first attempt outlived its requeue").toEqual([]);
      await until("the merge job to end", () => TERMINAL.has(jobRecords(c, mergeJob)[0]?.JobState ?? ""), 600, diagnostics);
      const slurmSeconds = (performance.now() - t0) / 1000;

      const merge = jobRecords(c, mergeJob)[0]!;
      expect([merge.JobState, merge.ExitCode], diagnostics()).toEqual(["COMPLETED", "0:0"]);
      const tasks = jobRecords(c, arrayJob).sort((a, b) => Number(a.ArrayTaskId) - Number(b.ArrayTaskId));
      expect(tasks.map((t) => [t.ArrayTaskId, t.JobState, t.ExitCode, t.Restarts])).toEqual(
        [...Array(SHARDS).keys()].map((i) => [String(i), "COMPLETED", "0:0", i === REQUEUED ? "1" : "0"]),
      );

      // the requeued task was stopped mid-run, restarted, and resumed: it skipped what it had stored, ran the rest
      const attempts = read(taskLog(REQUEUED)).split(/^(?=\[sweep-array\] job )/m).filter((a) => a.startsWith("[sweep-array]"));
      expect(attempts.length, diagnostics()).toBe(2);
      const [beforeRequeue, afterRequeue = ""] = attempts[0]!.split(/^.*DUE TO JOB REQUEUE.*$/m);
      expect(attempts[0]).toMatch(/DUE TO JOB REQUEUE/);
      // at most the run that ended in the instant between Slurm's notice and its signal
      expect(doneRuns(afterRequeue), `the first attempt kept running after its requeue:\n${afterRequeue}`).toBeLessThanOrEqual(1);
      const first = doneRuns(beforeRequeue!);
      const resumed = attempts[1]!.match(/shard \d+\/\d+: (\d+); (\d+) already in /);
      const skipped = Number(resumed?.[2]);
      expect(first).toBeGreaterThanOrEqual(1);
      expect(skipped, "the restart found the first attempt's runs").toBeGreaterThanOrEqual(first);
      expect(skipped, "the requeue must land before the shard finished (make the plan's runs longer if not)").toBeLessThan(inShard[REQUEUED]!);
      expect(attempts[1]).toContain(`${inShard[REQUEUED]! - skipped} run(s) done, ${skipped} skipped, 0 failed`);
      for (let t = 0; t < SHARDS; t++) if (t !== REQUEUED) expect(read(taskLog(t))).toContain(`${inShard[t]} run(s) done, 0 skipped, 0 failed`);

      // merged = the plan's runs = the single-process tables, row for row
      const merged = await exportedTables(join(tmp, "merged", "tables"));
      const reference = await exportedTables(join(single, "tables"));
      const runIds = (rows: string[]) => rows.map((r) => (JSON.parse(r) as [string, unknown][]).find(([k]) => k === "run_id")![1]).sort();
      expect(runIds(merged.runs)).toEqual(plan.runs.map((r) => r.run_id).sort());
      expect(merged).toEqual(reference);
      expect(reference.results.length).toBeGreaterThan(plan.runs.length);
      for (let t = 0; t < SHARDS; t++) expect(readdirSync(join(results, `shard-${t}`, "runs")).filter((e) => e.startsWith(".tmp-"))).toEqual([]);

      // an array that does not number its tasks 0..n-1 cannot map them onto shards: refused before any work
      const misnumbered = jobId(c.command("sbatch", ["--parsable", "--array=1-2", `--output=${results}/logs/%x-%A_%a.log`, "scripts/slurm/sweep-array.sbatch", PLAN, join(tmp, "misnumbered")], { cwd: ROOT }));
      await until("the misnumbered array to end", () => jobRecords(c, misnumbered).every((t) => TERMINAL.has(t.JobState)), 300, diagnostics);
      expect(jobRecords(c, misnumbered).map((t) => [t.ArrayTaskId, t.JobState, t.ExitCode]).sort()).toEqual([["1", "FAILED", "2:0"], ["2", "FAILED", "2:0"]]);
      expect(read(join(results, "logs", `kick-sweep-${misnumbered}_1.log`))).toContain("submit as a job array --array=0-(N-1), one task per shard (got task 1, range 1-2 of 2)");
      expect(existsSync(join(tmp, "misnumbered"))).toBe(false);

      t0 = performance.now();
      const leftovers = await c.stop();
      cluster = null;
      expect(leftovers, "processes of the cluster still running after its daemons stopped").toEqual([]);
      console.log(
        `[slurm test] single-process sweep ${singleSeconds.toFixed(1)} s; cluster up in ${startSeconds.toFixed(1)} s; ` +
          `array (task ${REQUEUED} requeued after ${first} of ${inShard[REQUEUED]} runs) + merge ${slurmSeconds.toFixed(1)} s; ` +
          `cluster stopped in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      passed = true;
    } finally {
      await cluster?.stop();
      cluster = null;
      if (passed) rmSync(tmp, { recursive: true, force: true });
      else console.error(`[slurm test] failed: its files are kept in ${tmp}`);
    }
  }, 1_200_000);
});
