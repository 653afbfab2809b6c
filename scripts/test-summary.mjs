// Prints vitest's JSON report as one closing line: "N passed, N failed, N skipped".
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? ".ci-results/vitest.json";
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.error(`test-summary: cannot read vitest report ${file}: ${error.message}`);
  process.exit(1);
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A file that fails before its tests run (an import error, a crash) counts as one failure.
let brokenFiles = 0;
for (const suite of report.testResults ?? []) {
  if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) {
    brokenFiles += 1;
    console.log(`test file failed to run: ${suite.name}: ${(suite.message ?? "").split("\n")[0]}`);
  }
}
console.log(`${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles} failed, ${skipped} skipped`);
