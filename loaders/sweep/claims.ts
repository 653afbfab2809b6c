// Claims (leases) on runs, so that shards and duplicate sweeps sharing one store never compute a run twice.
// A claim is the file <store>/claims/<run_id>.json, made by hard-linking a complete temporary to that name:
// link() fails with EEXIST when the name exists, atomically, also over NFS (unlike flock or O_EXCL on old NFS
// clients), and the claim is never seen half-written. Its holder refreshes the file's mtime (the heartbeat)
// while it computes; a claim is stale when its holder is provably dead (same host, pid gone) or its heartbeat
// is older than the TTL (another host's holder: clocks are assumed to agree to well within the TTL).
// A stale claim is taken over by renaming it aside (only one process's rename succeeds); see docs/sweep.md.
import { link, mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Owner, ownerDead, SELF, tempName } from "./owner.js";

/** The default lease: 10 minutes without a heartbeat (they come every TTL/4). KICK_CLAIM_TTL_S overrides it. */
export function claimTtlMs(): number {
  const text = process.env.KICK_CLAIM_TTL_S;
  if (text === undefined || text === "") return 600_000;
  const s = Number(text);
  if (!Number.isFinite(s) || s <= 0) throw new Error(`KICK_CLAIM_TTL_S must be a positive number of seconds, got "${text}"`);
  return s * 1000;
}

interface ClaimFile extends Owner {
  run_id: string;
  claimed_at: string;
}

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

export class Claim {
  private last = Date.now();
  /** Set once a heartbeat found the claim taken over (this process stalled past the TTL). */
  lost = false;

  constructor(private readonly file: string, private readonly token: string) {}

  /** Refreshes the lease in the background if `everyMs` passed since the last time: cheap to call often. */
  beatIfDue(everyMs: number): void {
    if (Date.now() - this.last < everyMs) return;
    this.last = Date.now();
    void this.heartbeat().then((ok) => {
      if (!ok) this.lost = true;
    });
  }

  /** Whether the claim file still names this process (a stalled holder can lose its claim as stale). */
  private async mine(): Promise<boolean> {
    try {
      return (JSON.parse(await readFile(this.file, "utf8")) as ClaimFile).token === this.token;
    } catch {
      return false;
    }
  }

  /** Refreshes the lease; false when it was lost (taken over as stale). */
  async heartbeat(): Promise<boolean> {
    if (!(await this.mine())) return false;
    const now = new Date();
    await utimes(this.file, now, now).catch(() => {});
    return true;
  }

  /** Gives the claim up (only if it is still this process's). */
  async release(): Promise<void> {
    if (await this.mine()) await rm(this.file, { force: true });
  }
}

export class RunClaims {
  /** `owner`: who claims (this process; tests stand in for another one). */
  constructor(readonly dir: string, readonly ttlMs: number = claimTtlMs(), private readonly owner: Owner = SELF) {}

  private file(runId: string): string {
    return join(this.dir, `${runId}.json`);
  }

  /** The holder of a claim file and whether the claim is stale; null when there is none (any more). */
  private async inspect(file: string): Promise<{ holder: Partial<ClaimFile>; stale: boolean } | null> {
    try {
      const [text, info] = await Promise.all([readFile(file, "utf8"), stat(file)]);
      let holder: Partial<ClaimFile> = {};
      try {
        holder = JSON.parse(text) as ClaimFile;
      } catch {
        // unreadable: judged by its age alone
      }
      const dead = typeof holder.host === "string" && typeof holder.pid === "number" && ownerDead({ host: holder.host, pid: holder.pid });
      return { holder, stale: dead || Date.now() - info.mtimeMs > this.ttlMs };
    } catch (error) {
      if (errno(error) === "ENOENT") return null;
      throw error;
    }
  }

  /**
   * Takes over a stale claim: renames it aside (of several processes, one succeeds) and checks that what it moved
   * is the stale claim it saw, not a fresh one made meanwhile (which it puts back). True when the name is free.
   */
  private async reap(file: string, staleToken: string | undefined): Promise<boolean> {
    const aside = join(this.dir, tempName(`reap-${Date.now()}`, this.owner));
    try {
      await rename(file, aside);
    } catch (error) {
      if (errno(error) === "ENOENT") return true; // someone else reaped it or its holder released it
      throw error;
    }
    try {
      const moved = await readFile(aside, "utf8").then((t) => (JSON.parse(t) as ClaimFile).token, () => undefined);
      if (moved !== staleToken) {
        await link(aside, file).catch(() => {}); // a fresh claim: give it back
        return false;
      }
      return true;
    } finally {
      await rm(aside, { force: true });
    }
  }

  /** Claims a run for this process; null when another live process holds it. */
  async acquire(runId: string): Promise<Claim | null> {
    await mkdir(this.dir, { recursive: true });
    const file = this.file(runId);
    const body: ClaimFile = { run_id: runId, ...this.owner, claimed_at: new Date().toISOString() };
    const tmp = join(this.dir, tempName(`${runId}.json`, this.owner));
    await writeFile(tmp, `${JSON.stringify(body)}\n`);
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await link(tmp, file);
          return new Claim(file, this.owner.token);
        } catch (error) {
          if (errno(error) !== "EEXIST") throw error;
        }
        const seen = await this.inspect(file);
        if (seen && !seen.stale) return null;
        if (seen && !(await this.reap(file, seen.holder.token))) return null;
      }
      return null; // contended throughout: leave it to the others
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Removes the claims of runs that are stored (a holder killed between storing a run and releasing its claim). */
  async removeFinished(isStored: (runId: string) => boolean): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.endsWith(".json") && !name.startsWith(".") && isStored(name.slice(0, -".json".length))) await rm(join(this.dir, name), { force: true });
    }
  }
}
