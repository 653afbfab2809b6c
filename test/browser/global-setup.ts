// Builds the site once before the browser tests (KICK_SKIP_BUILD=1 reuses an existing dist/).
// The report pages are built from the synthetic fixture store (test/fixtures/results, made by its
// make-fixture.ts) so the tests know what to expect: the results loaders' cached outputs are removed
// before and after, so a later plain `npm run build` reads data/results/ again.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { formatDuration, recordSetup } from "../run-summary-reporter.js";

export const FIXTURE_STORE = "test/fixtures/results";
const CACHE = "src/.observablehq/cache";

/** Loader outputs that depend on the results store. */
export function clearResultsCache(): void {
  for (const file of ["results.parquet", "examples.parquet", "runs.parquet", "store.json", "flips.parquet"]) rmSync(join(CACHE, "data", file), { force: true });
  rmSync(join(CACHE, "data", "first-view"), { recursive: true, force: true }); // each page's first view, answered from the store
  const figures = join(CACHE, "figures");
  if (existsSync(figures)) for (const file of readdirSync(figures)) if (file.startsWith("report-")) rmSync(join(figures, file), { force: true });
}

export default function setup(project: TestProject): (() => void) | void {
  if (process.env.KICK_SKIP_BUILD === "1" && existsSync("dist/index.html")) {
    recordSetup(project, "reused dist/ as it is (KICK_SKIP_BUILD=1), no build");
    return;
  }
  clearResultsCache();
  const start = Date.now();
  const store = process.env.KICK_RESULTS_DIR ?? FIXTURE_STORE;
  execFileSync("npm", ["run", "build", "--silent"], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, KICK_RESULTS_DIR: store } });
  recordSetup(project, `built the site from ${store} (npm run build) in ${formatDuration(Date.now() - start)}`);
  return clearResultsCache;
}
