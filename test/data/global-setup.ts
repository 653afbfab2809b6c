// The data tests read the corpus and token shards, which are rebuilt rather than committed.
// Build them first (in CI always, which also proves the build is deterministic: --check fails
// if any output hash differs from data/manifest.json); locally only when they are missing.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export default function setup(): void {
  if (!process.env.CI && existsSync("data/tokens") && existsSync("data/corpus")) return;
  execFileSync("npm", ["run", "data", "--silent", "--", "--check"], { stdio: ["ignore", "inherit", "inherit"] });
}
