// Fetch a pinned Debian package with `apt-get download` and unpack it with `dpkg-deb -x` into a
// gitignored cache. Nothing is installed; the .deb's sha256 must match its pin.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256, SourceError } from "../util.js";
import type { DebPin } from "./pins.js";

/** Gitignored cache of .deb files and their unpacked trees (KICK_DEB_CACHE overrides). */
export const cacheDir = (): string => process.env.KICK_DEB_CACHE ?? join(fileURLToPath(new URL("../../../", import.meta.url)), ".cache", "debs");

function findDeb(pin: DebPin): string | undefined {
  const CACHE = cacheDir();
  if (!existsSync(CACHE)) return undefined;
  const ver = pin.version.replace(/^\d+:/, ""); // apt drops the epoch (or writes it as %3a)
  return readdirSync(CACHE)
    .filter((f) => f.startsWith(`${pin.name}_`) && f.endsWith(".deb") && f.includes(ver))
    .map((f) => join(CACHE, f))[0];
}

/** Returns the root of the unpacked package (containing usr/...). */
export function debRoot(pin: DebPin): string {
  const CACHE = cacheDir();
  const root = join(CACHE, "x", `${pin.name}_${pin.version.replace(":", "_")}`);
  if (existsSync(join(root, ".ok"))) return root;
  mkdirSync(CACHE, { recursive: true });
  let deb = findDeb(pin);
  if (!deb) {
    try {
      execFileSync("apt-get", ["download", `${pin.name}=${pin.version}`], { cwd: CACHE, stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      const msg = (e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e);
      throw new SourceError(`${pin.name}=${pin.version}`, "apt-get download", `${msg} (run 'apt-get update' as root first; is this Debian bookworm?)`);
    }
    deb = findDeb(pin);
    if (!deb) throw new SourceError(`${pin.name}=${pin.version}`, CACHE, "apt-get download produced no .deb");
  }
  const got = sha256(readFileSync(deb));
  if (got !== pin.sha256) throw new SourceError(`${pin.name}=${pin.version}`, deb, `sha256 ${got}, expected ${pin.sha256} (package changed?)`);
  const tmp = `${root}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync("dpkg-deb", ["-x", deb, tmp]);
  execFileSync("touch", [join(tmp, ".ok")]);
  rmSync(root, { recursive: true, force: true });
  renameSync(tmp, root);
  return root;
}

export function debFile(pin: DebPin, rel: string): Buffer {
  const p = join(debRoot(pin), rel);
  if (!existsSync(p)) throw new SourceError(`${pin.name}=${pin.version}`, rel, "file missing from package");
  return readFileSync(p);
}
