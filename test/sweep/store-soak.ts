// Fault-injection soak of a shared store: `processes` sweep processes on one store (process k runs shard
// k mod `shards`, so some shards run twice at once), killed with SIGKILL at random moments and restarted until each
// finishes. Used by store-soak.test.ts at a CI size and by `npm run test:soak:store` at a larger one.
import { seededRandom } from "../../loaders/evaluate/scoring.js";
import { computedRuns, sweepProcess } from "./sweep-process.js";

export interface SoakOptions {
  plan: string;
  store: string;
  shards: number;
  processes: number;
  /** How many starts get a kill armed (a process that finishes its shard first exits before its kill). */
  kills: number;
  seed: number;
  /** A kill lands up to this long after the process's first line on stderr. */
  maxDelayMs: number;
}

export interface SoakReport {
  starts: number;
  kills: number;
  /** Every run id a process reported computing ("done in … → id"), over all processes. */
  computed: string[];
}

export async function soak(o: SoakOptions): Promise<SoakReport> {
  const random = seededRandom(o.seed);
  const report: SoakReport = { starts: 0, kills: 0, computed: [] };
  let armed = 0;
  const slot = async (k: number) => {
    const shard = `${k % o.shards}/${o.shards}`;
    for (;;) {
      const kill = armed < o.kills; // every start is armed until the budget is spent, then all run to the end
      if (kill) armed += 1;
      const delay = Math.floor(random() * o.maxDelayMs);
      report.starts += 1;
      const r = await sweepProcess(["--plan", o.plan, "--store", o.store, "--shard", shard], kill ? { killAfterMs: delay, killWhen: (err) => err.includes("[sweep") } : {});
      report.computed.push(...computedRuns(r.stderr));
      if (r.signal === "SIGKILL") {
        report.kills += 1;
        continue;
      }
      if (r.code !== 0) throw new Error(`soak process ${k} (shard ${shard}) exited with ${r.code ?? r.signal}:\n${r.stderr}`);
      return;
    }
  };
  await Promise.all(Array.from({ length: o.processes }, (_, k) => slot(k)));
  return report;
}
