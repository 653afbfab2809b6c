// A private single-node Slurm cluster for tests, as Debian's slurm-wlm and munge run it as root without systemd:
// munged with a generated key, slurmctld and slurmd in the foreground as children of this process,
// proctrack/linuxproc and task/none (no cgroups needed), every file (key, sockets, state, spool, logs) under one
// directory, on free ports, so it touches no system-wide Slurm or MUNGE. `stop()` cancels every job, stops the
// daemons and kills any process still carrying this cluster's SLURM_CONF (a job step that outlived them).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, hostname } from "node:os";
import { join } from "node:path";

export interface SlurmCluster {
  dir: string;
  /** the environment for client commands (sbatch, squeue, scontrol) and so for the jobs they submit */
  env: NodeJS.ProcessEnv;
  /** runs a Slurm client command against this cluster; returns its stdout (throws with stderr on failure) */
  command(cmd: string, args: string[], opts?: { cwd?: string }): string;
  /** cancels every job and stops the daemons; returns the processes that had to be killed afterwards */
  stop(): Promise<string[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const tail = (file: string, lines = 15) => (existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "(no log)");

/** Processes (other than this one) whose environment ("NAME=value" entries) matches. */
export function processesWhere(match: (env: string[]) => boolean): { pid: number; cmd: string }[] {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!match(readFileSync(`/proc/${pid}/environ`, "latin1").split("\0"))) continue;
      found.push({ pid, cmd: readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ").trim() });
    } catch {
      // gone meanwhile, or a zombie
    }
  }
  return found;
}

function slurmConf(dir: string, ports: { ctld: number; slurmd: number }, node: string): string {
  return `# written by test/slurm/cluster.ts: a private single-node cluster under ${dir}
ClusterName=kicktest
SlurmctldHost=${node}(127.0.0.1)
SlurmctldPort=${ports.ctld}
SlurmdPort=${ports.slurmd}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also delays a requeued job's restart (default 120 s)
AuthInfo=socket=${dir}/run/munge.socket,cred_expire=10
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/run/slurmctld.pid
SlurmdPidFile=${dir}/run/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
# finished jobs stay visible to scontrol for the whole test; a job whose dependency fails is cancelled
MinJobAge=3600
DependencyParameters=kill_invalid_depend
KillWait=5
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${availableParallelism()} State=UNKNOWN
PartitionName=kick Nodes=${node} Default=YES MaxTime=INFINITE State=UP
`;
}

/**
 * Starts munged, slurmctld and slurmd with everything under `dir` (created; munged insists that every folder above
 * its socket is executable by all); resolves once the node is idle.
 */
export async function startSlurmCluster(dir: string, baseEnv: NodeJS.ProcessEnv = process.env): Promise<SlurmCluster> {
  if (process.getuid?.() !== 0) throw new Error("the Slurm test cluster runs slurmd, which needs root");
  for (const sub of ["munge", "run", "state", "spool", "log"]) mkdirSync(join(dir, sub), { recursive: true });
  // munged refuses a key others can read and a socket directory others cannot enter
  chmodSync(join(dir, "munge"), 0o700);
  chmodSync(join(dir, "run"), 0o755);
  writeFileSync(join(dir, "munge", "munge.key"), randomBytes(1024), { mode: 0o600 });
  const node = hostname().split(".")[0]!;
  const conf = join(dir, "slurm.conf");
  writeFileSync(conf, slurmConf(dir, { ctld: await freePort(), slurmd: await freePort() }, node));
  const env = { ...baseEnv, SLURM_CONF: conf };
  const marker = `SLURM_CONF=${conf}`; // in the environment of every daemon, job step and job process

  const daemons: { name: string; child: ChildProcess; log: string }[] = [];
  const launch = (name: string, cmd: string, args: string[]) => {
    const log = join(dir, "log", `${name}.out`);
    const fd = openSync(log, "a");
    const child = spawn(cmd, args, { env, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    child.on("error", () => {}); // reported through the readiness check (exitCode/log)
    daemons.push({ name, child, log });
  };
  // SIGKILL whatever is left if this process exits without stop() (a crashed test run)
  const killAll = () => {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill("SIGKILL");
    for (const p of processesWhere((env) => env.includes(marker))) process.kill(p.pid, "SIGKILL");
  };
  process.once("exit", killAll);

  const command = (cmd: string, args: string[], opts: { cwd?: string } = {}) => {
    try {
      return execFileSync(cmd, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], cwd: opts.cwd });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`${cmd} ${args.join(" ")}: ${err.stderr?.trim() || err.message}`);
    }
  };
  const waitFor = async (what: string, ready: () => boolean, seconds = 60) => {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const dead = daemons.find((d) => d.child.exitCode !== null || d.child.signalCode !== null);
      if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting for ${what}:\n${tail(dead.log)}`);
      try {
        if (ready()) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}:\n${daemons.map((d) => `--- ${d.name}\n${tail(d.log)}`).join("\n")}`);
      await sleep(200);
    }
  };

  const stop = async (): Promise<string[]> => {
    try {
      const jobs = command("squeue", ["-h", "-o", "%A"]).split("\n").filter(Boolean);
      if (jobs.length) command("scancel", jobs);
      await waitFor("every job to end", () => command("squeue", ["-h"]).trim() === "", 60);
    } catch {
      // the controller is down or jobs linger: the daemons stop below, leftovers are killed
    }
    for (const d of [...daemons].reverse()) {
      if (d.child.exitCode !== null || d.child.signalCode !== null) continue;
      const exited = new Promise((r) => d.child.once("exit", r));
      d.child.kill("SIGTERM");
      if ((await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)])) === false) {
        d.child.kill("SIGKILL");
        await exited;
      }
    }
    const leftovers = processesWhere((env) => env.includes(marker));
    for (const p of leftovers) process.kill(p.pid, "SIGKILL");
    process.removeListener("exit", killAll);
    return leftovers.map((p) => `${p.pid} ${p.cmd}`);
  };

  try {
    const socket = join(dir, "run", "munge.socket");
    launch("munged", "munged", ["--foreground", `--socket=${socket}`, `--key-file=${join(dir, "munge", "munge.key")}`, `--seed-file=${join(dir, "munge", "munged.seed")}`, `--pid-file=${join(dir, "run", "munged.pid")}`, `--log-file=${join(dir, "log", "munged.log")}`]);
    await waitFor("munged's socket", () => existsSync(socket));
    launch("slurmctld", "slurmctld", ["-D", "-i"]);
    await waitFor("slurmctld", () => /UP/.test(command("scontrol", ["ping"])));
    launch("slurmd", "slurmd", ["-D"]);
    await waitFor(`node ${node} to be idle`, () => command("sinfo", ["-h", "-n", node, "-o", "%T"]).trim() === "idle");
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, env, command, stop };
}
