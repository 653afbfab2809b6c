// The data version a figure cites: a content hash of the results table (changes whenever the numbers
// do, whatever the commit) and the commit the site was built from (null outside a git checkout).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";

export function dataVersion(resultsFile: string, cwd: string): { data: string | null; commit: string | null } {
  const data = existsSync(resultsFile) ? createHash("sha256").update(readFileSync(resultsFile)).digest("hex").slice(0, 12) : null;
  let commit: string | null = null;
  try {
    commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || null;
  } catch {
    commit = null; // not a git checkout (a source tarball): the data hash still identifies the numbers
  }
  return { data, commit };
}
