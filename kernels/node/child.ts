// Runs a GPU job in a child process (Node only). dawn.node can take the whole process down
// (glibc pthread assertions, futex errors, SIGSEGV); in a child such a crash is reported with
// its signal and stderr, and retried, instead of killing the caller.
import { spawn } from "node:child_process";

export interface GpuJobOptions {
  /** Crashes (signal / abort) are retried this many times; ordinary failures never. Default 1. */
  retries?: number;
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Throw GpuJobError when the job fails after its retries (default true). */
  throwOnFailure?: boolean;
  /** Forward the child's stderr to ours as it arrives. */
  echoStderr?: boolean;
}

export interface GpuJobResult {
  ok: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  crashed: boolean;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  attempts: number;
  ms: number;
}

export class GpuJobError extends Error {
  constructor(readonly result: GpuJobResult, script: string) {
    const what = result.timedOut
      ? "timed out"
      : result.signal
        ? `crashed with ${result.signal}`
        : result.crashed
          ? `crashed (exit ${result.code})`
          : `failed (exit ${result.code})`;
    const tail = result.stderr.trim().split("\n").slice(-12).join("\n");
    super(`GPU job ${script} ${what} after ${result.attempts} attempt(s). Last stderr:\n${tail}`);
    this.name = "GpuJobError";
  }
}

// Signs of a native crash in dawn.node / the Vulkan driver rather than a JS error.
const CRASH_STDERR = /Assertion .* failed|futex facility returned an unexpected error|Segmentation fault|double free|corrupted|terminate called/i;

/** `node [--import tsx] script args…`; .ts scripts run through tsx. */
export async function runGpuJob(script: string, args: string[] = [], opts: GpuJobOptions = {}): Promise<GpuJobResult> {
  const retries = opts.retries ?? 1;
  let last: GpuJobResult | undefined;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    last = { ...(await once(script, args, opts)), attempts: attempt };
    if (last.ok || !last.crashed) break;
    process.stderr.write(`[gpu-job] ${script} crashed (${last.signal ?? `exit ${last.code}`}), attempt ${attempt}/${retries + 1}\n`);
  }
  if (!last!.ok && (opts.throwOnFailure ?? true)) throw new GpuJobError(last!, script);
  return last!;
}

function once(script: string, args: string[], opts: GpuJobOptions): Promise<Omit<GpuJobResult, "attempts">> {
  const nodeArgs = /\.[cm]?ts$/.test(script) ? ["--import", "tsx", script, ...args] : [script, ...args];
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs, {
      cwd: opts.cwd,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "", timedOut = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      if (opts.echoStderr) process.stderr.write(d);
    });
    const timer = opts.timeoutMs ? setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, opts.timeoutMs) : undefined;
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const crashed = !timedOut && (signal !== null || (code !== null && code >= 128) || (code !== 0 && CRASH_STDERR.test(stderr)));
      resolve({ ok: code === 0 && !timedOut, code, signal: timedOut ? "SIGKILL" : signal, crashed, timedOut, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}
