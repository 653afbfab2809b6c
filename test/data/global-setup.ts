// The data tests read the corpus and token shards, which are rebuilt rather than committed.
// Build them first (in CI always, which also proves the build is deterministic: --check fails
// if any output hash differs from data/manifest.json); locally only when they are missing.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { formatDuration, recordSetup } from "../run-summary-reporter.js";

export default function setup(project: TestProject): void {
  if (!process.env.CI && existsSync("data/tokens") && existsSync("data/corpus")) {
    recordSetup(project, "reused data/corpus and data/tokens (present; CI=1 rebuilds and checks them)");
    return;
  }
  const start = Date.now();
  execFileSync("npm", ["run", "data", "--silent", "--", "--check"], { stdio: ["ignore", "inherit", "inherit"] });
  recordSetup(project, `rebuilt data/ and checked it against data/manifest.json (npm run data -- --check) in ${formatDuration(Date.now() - start)}`);
}
