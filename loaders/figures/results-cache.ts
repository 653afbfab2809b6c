// The site's cached loader outputs that depend on the results store (Framework keeps loader outputs in
// src/.observablehq/cache/ and reruns a loader only when its source changes, not when KICK_RESULTS_DIR does).
// A build from another store (the browser tests' fixture, a `kick study` store) removes them before and after,
// so it reads its own store and a later plain `npm run build` reads data/results/ again.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const CACHE = resolve(fileURLToPath(new URL("../../src/.observablehq/cache", import.meta.url)));

/** Loader outputs (under the cache's data/) that read the results tables. */
const RESULTS_LOADER_OUTPUTS = ["results.parquet", "examples.parquet", "runs.parquet", "store.json", "flips.parquet"];

export function clearResultsCache(): void {
  for (const file of RESULTS_LOADER_OUTPUTS) rmSync(join(CACHE, "data", file), { force: true });
  rmSync(join(CACHE, "data", "first-view"), { recursive: true, force: true }); // each page's first view, answered from the store
  const figures = join(CACHE, "figures");
  if (existsSync(figures)) for (const file of readdirSync(figures)) if (file.startsWith("report-")) rmSync(join(figures, file), { force: true });
}
