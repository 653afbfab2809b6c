// Builds the report site on a study's exported tables: `npm run build` (scripts/build.sh) with KICK_RESULTS_DIR
// naming the tables (the build then computes nothing, it only reads them) and KICK_SITE_DIR the output folder
// (observablehq.config.ts; a temporary folder beside --out, renamed into place when the build succeeded), between
// two clearings of the results loaders' cache (loaders/figures/results-cache.ts).
// One build at a time per checkout: the loader cache under src/ is shared.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { clearResultsCache } from "../figures/results-cache.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The command that builds the site from `tablesDir` into `outDir`, as run by `buildSite`. */
export function siteBuildCommand(tablesDir: string, outDir: string): { command: string; args: string[]; cwd: string; env: Record<string, string> } {
  return { command: "bash", args: [join(ROOT, "scripts/build.sh")], cwd: ROOT, env: { KICK_RESULTS_DIR: resolve(tablesDir), KICK_SITE_DIR: resolve(outDir) } };
}

/**
 * `--out` must be a new or empty folder, or a site built before (it has index.html): the build replaces what is
 * there, so any other folder is refused before any work.
 */
export function checkSiteDir(outDir: string, flag: string): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) throw new Error(`${flag} ${outDir}: is a file, not a folder`);
  const entries = readdirSync(outDir);
  if (entries.length && !entries.includes("index.html"))
    throw new Error(`${flag} ${outDir}: not empty and not a built site (no index.html); the build replaces the folder's contents, so give a new folder`);
}

/**
 * Runs the build, its output on stderr, into a temporary folder beside `outDir` that replaces it only once the build
 * succeeded: a failed or killed build leaves the site that was there. Rejects naming the exit code.
 */
export async function buildSite(tablesDir: string, outDir: string): Promise<void> {
  const out = resolve(outDir);
  const tmp = `${out}.tmp-${process.pid}`;
  const { command, args, cwd, env } = siteBuildCommand(tablesDir, tmp);
  rmSync(tmp, { recursive: true, force: true });
  clearResultsCache();
  try {
    const code = await new Promise<number | null>((done, fail) => {
      const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", process.stderr, process.stderr] });
      child.on("error", fail);
      child.on("close", done);
    });
    if (code !== 0) throw new Error(`the site build (KICK_RESULTS_DIR=${env.KICK_RESULTS_DIR} KICK_SITE_DIR=${env.KICK_SITE_DIR} bash scripts/build.sh) exited with ${code}; its output is above`);
    rmSync(out, { recursive: true, force: true }); // checkSiteDir allowed only an empty folder or a site here
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    clearResultsCache();
  }
}
