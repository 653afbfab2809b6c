// package-lock.json must be one `npm ci` accepts on every platform the dependencies ship binaries for
// (scripts/setup.sh installs with `npm ci`): a lock written by `npm install` on one machine can hold only
// that machine's optional binaries, and `npm ci` then refuses it everywhere ("Missing: … from lock file").
// npm's own check decides, in a dry run from a scratch copy, offline and with an empty cache: the lock
// alone must describe the install.
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

/** Platforms and the native packages npm must pick from the lock for each. */
const PLATFORMS = [
  { os: "linux", cpu: "x64", libc: "glibc", binaries: ["@duckdb/node-bindings-linux-x64", "@rollup/rollup-linux-x64-gnu"] },
  { os: "linux", cpu: "x64", libc: "musl", binaries: ["@duckdb/node-bindings-linux-x64-musl", "@rollup/rollup-linux-x64-musl"] },
  { os: "linux", cpu: "arm64", libc: "glibc", binaries: ["@duckdb/node-bindings-linux-arm64", "@rollup/rollup-linux-arm64-gnu"] },
  { os: "linux", cpu: "arm64", libc: "musl", binaries: ["@duckdb/node-bindings-linux-arm64-musl", "@rollup/rollup-linux-arm64-musl"] },
  { os: "darwin", cpu: "arm64", libc: "glibc", binaries: ["@duckdb/node-bindings-darwin-arm64", "@rollup/rollup-darwin-arm64"] },
  { os: "darwin", cpu: "x64", libc: "glibc", binaries: ["@duckdb/node-bindings-darwin-x64", "@rollup/rollup-darwin-x64"] },
  { os: "win32", cpu: "x64", libc: "glibc", binaries: ["@duckdb/node-bindings-win32-x64", "@rollup/rollup-win32-x64-msvc"] },
  { os: "win32", cpu: "arm64", libc: "glibc", binaries: ["@duckdb/node-bindings-win32-arm64", "@rollup/rollup-win32-arm64-msvc"] },
];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kick-lock-"));
  for (const file of ["package.json", "package-lock.json"]) await copyFile(file, join(dir, file));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("package-lock.json", () => {
  it.each(PLATFORMS)("npm ci accepts it on $os $cpu $libc and installs that platform's binaries", async ({ os, cpu, libc, binaries }) => {
    const args = ["ci", "--dry-run", "--ignore-scripts", "--offline", "--no-audit", "--no-fund", `--cache=${join(dir, "cache")}`, `--os=${os}`, `--cpu=${cpu}`, `--libc=${libc}`];
    const result = await run("npm", args, { cwd: dir }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`npm ${args.join(" ")} refused the lock (run \`npm install --package-lock-only\`):\n${error.stderr ?? error.message}`);
    });
    for (const name of binaries) expect(result.stdout).toContain(`add ${name} `);
  });
});
