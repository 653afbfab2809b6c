// How a test run ends: the run-summary reporter (what `npm test` ran and skipped, and why, and how long it
// took) on a real vitest run of a small suite; scripts/test-summary.mjs (CI's last lines) on a JSON report.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kick-summary-"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("run-summary reporter", () => {
  it("ends the run with the counts, each skipped test and its reason, and the run's duration", async () => {
    // Globals, so the suite needs no vitest import (it lives outside the repository's node_modules).
    await writeFile(
      join(dir, "sample.test.ts"),
      [
        `test("passes", () => {});`,
        `test("fails", () => { throw new Error("on purpose"); });`,
        `test("skips with a reason", (ctx) => ctx.skip("no GPU on this machine"));`,
        `test.skip("skips without one", () => {});`,
      ].join("\n"),
    );
    const vitest = resolve("node_modules/.bin/vitest");
    const args = ["run", "--root", dir, "--globals", "--reporter", resolve("test/run-summary-reporter.ts")];
    const result = await run(vitest, args, { cwd: dir }).then(
      () => ({ code: 0, stdout: "" }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(result.code).toBe(1); // the failing test
    const lines = result.stdout.trimEnd().split("\n");
    const start = lines.indexOf("kick test run:");
    expect(start, result.stdout).toBeGreaterThanOrEqual(0);
    expect(lines.slice(start + 1)).toEqual([
      expect.stringMatching(/^ {2}default: 1 files, 1 passed, 1 failed, 2 skipped; [\d.]+ s of test files/),
      "  skipped: sample.test.ts > skips with a reason: no GPU on this machine",
      expect.stringMatching(/^ {2}skipped: sample.test.ts > skips without one: no reason recorded/),
      expect.stringMatching(/^ {2}whole run: [\d.]+ s \(vitest's process, global setups included\)$/),
    ]);
  });
});

describe("scripts/test-summary.mjs", () => {
  it("lists the ten slowest tests, slowest first, then closes with the totals", async () => {
    const tests = Array.from({ length: 12 }, (_, i) => ({ fullName: `t${i}`, status: "passed", duration: (i + 1) * 1000 }));
    const report = {
      numPassedTests: 12,
      numFailedTests: 0,
      numPendingTests: 1,
      numTodoTests: 0,
      testResults: [
        { name: resolve("test/a.test.ts"), status: "passed", assertionResults: tests },
        { name: resolve("test/broken.test.ts"), status: "failed", message: "Cannot find module x\nstack", assertionResults: [] },
      ],
    };
    const file = join(dir, "vitest.json");
    await writeFile(file, JSON.stringify(report));
    const { stdout } = await run(process.execPath, ["scripts/test-summary.mjs", file]);
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      `test file failed to run: ${resolve("test/broken.test.ts")}: Cannot find module x`,
      `ten slowest tests: ${[12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((s) => `${s}.0 s test/a.test.ts > t${s - 1}`).join("; ")}`,
      "12 passed, 1 failed, 1 skipped",
    ]);
  });
});
