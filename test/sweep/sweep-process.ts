// Helpers for the tests that run `kick sweep` as child processes on one store: start one (optionally SIGKILLed a
// while after its first run starts), and the store's exported tables without the timing columns.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ResultsStore } from "../../loaders/sweep/store.js";
import { exportedTables } from "./exported-tables.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "loaders/cli/sweep.ts");

export interface SweepExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs `kick sweep ARGS` in a child process. With `killAfterMs`, it is SIGKILLed that long after its first run starts
 * (or `killWhen` returns true for its stderr so far, if given); the promise resolves when it exits.
 */
export function sweepProcess(
  args: readonly string[],
  { killAfterMs = null, killWhen = (err: string) => /\[sweep \d+\/\d+\]/.test(err), env = {} }: { killAfterMs?: number | null; killWhen?: (stderr: string) => boolean; env?: Record<string, string> } = {},
): Promise<SweepExit> & { pid: number } {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  const exit = new Promise<SweepExit>((resolve, reject) => {
    let stderr = "";
    let armed = false;
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (killAfterMs !== null && !armed && killWhen(stderr)) {
        armed = true;
        setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
  return Object.assign(exit, { pid: child.pid! });
}

/** The run ids a sweep's stderr says it computed and stored ("done in … → <run_id>"). */
export const computedRuns = (stderr: string): string[] => [...stderr.matchAll(/: done in .* → ([a-z0-9-]+)/g)].map((m) => m[1]!);

/** The three exported tables without timing columns, rows sorted. */
export async function untimedTables(store: ResultsStore, out: string): Promise<Record<string, string[]>> {
  await store.exportTables(out, { allowShrink: true });
  return exportedTables(out);
}
