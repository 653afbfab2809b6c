// Provenance of a run: the code version in the run key, and the git commit recorded alongside.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
// a JSON import, so bundles (the GPU host's) carry the version with them
import pkg from "../../package.json" with { type: "json" };

/**
 * Bumped whenever evaluation changes what a number means (prompts, scoring, generation rules), so that runs
 * of the old code are not taken for finished runs of the new one. Not bumped for refactors.
 */
export const EVAL_CODE_VERSION = 1;

/** e.g. "kick-0.1.0/eval-1". */
export function codeVersion(): string {
  return `kick-${pkg.version}/eval-${EVAL_CODE_VERSION}`;
}

let commit: string | null = null;

/** The checkout's commit (with "+dirty" when the work tree has changes), or "" outside git. Recorded, not keyed. */
export function gitCommit(): string {
  if (commit !== null) return commit;
  try {
    const cwd = fileURLToPath(new URL("../..", import.meta.url));
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    commit = dirty ? `${head}+dirty` : head;
  } catch {
    commit = "";
  }
  return commit;
}
