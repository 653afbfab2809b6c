// Prints vitest's JSON report(s) as a line naming the ten slowest tests, then one closing line:
// "N passed, N failed, N skipped" (CI's last line).
import { readFileSync } from "node:fs";
import { relative } from "node:path";

// Several reports (npm test's, then test:slurm's) add up to one closing line.
const files = process.argv.length > 2 ? process.argv.slice(2) : [".ci-results/vitest.json"];
let passed = 0, failed = 0, skipped = 0;
const timed = [];
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    console.error(`test-summary: cannot read vitest report ${file}: ${error.message}`);
    process.exit(1);
  }
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    // A file that fails before its tests run (an import error, a crash) counts as one failure.
    if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) {
      failed += 1;
      console.log(`test file failed to run: ${suite.name}: ${(suite.message ?? "").split("\n")[0]}`);
    }
    for (const test of suite.assertionResults ?? []) {
      if (typeof test.duration === "number") timed.push({ ms: test.duration, name: `${relative(process.cwd(), suite.name)} > ${test.fullName}` });
    }
  }
}
const slowest = timed.sort((a, b) => b.ms - a.ms).slice(0, 10);
console.log(`ten slowest tests: ${slowest.map((t) => `${(t.ms / 1000).toFixed(1)} s ${t.name}`).join("; ") || "none timed"}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
