// Who wrote a temporary or holds a claim in a results store that several processes write at once (shards,
// duplicate sweeps, Slurm requeues; possibly on several hosts over a network file system), and whether that
// owner is provably gone. A pid means something only on its own host, so another host's leftovers are judged
// by age alone.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

export interface Owner {
  host: string;
  pid: number;
  /** Unique per process: tells this process's files from those of an earlier process that had its pid. */
  token: string;
}

/** The host as it appears in file names: letters, digits, `_` and `-` only (no dots, our field separator). */
const safeHost = (host: string) => host.replace(/[^A-Za-z0-9-]/g, "_") || "host";

export const SELF: Owner = { host: safeHost(hostname()), pid: process.pid, token: randomBytes(6).toString("hex") };

/** Whether a process with this pid exists on this host (EPERM: it exists but belongs to another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Provably gone: it ran on this host and its pid no longer exists. */
export const ownerDead = (owner: Pick<Owner, "host" | "pid">): boolean => owner.host === SELF.host && !pidAlive(owner.pid);

const TEMP = /^\.tmp-([A-Za-z0-9_-]+)\.(\d+)\.([0-9a-f]+)\./;

/** A temporary's name: `.tmp-<host>.<pid>.<token>.<label>`, so that its owner can be read back from it. */
export const tempName = (label: string, owner: Owner = SELF): string => `.tmp-${owner.host}.${owner.pid}.${owner.token}.${label}`;

/** The owner written into a temporary's name; null for a name of another form (e.g. from an older kick). */
export function tempOwner(name: string): Owner | null {
  const m = TEMP.exec(name);
  return m ? { host: m[1]!, pid: Number(m[2]), token: m[3]! } : null;
}
