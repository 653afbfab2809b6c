// A vitest reporter that ends `npm test` with what it ran and what it skipped, and why: per project its
// files and tests, what its global setup did (each setup records that with `recordSetup`), every skipped
// test with its reason, and how long the whole run took (the vitest process, global setups included).
import type { Reporter, TestCase, TestModule, TestProject, Vitest } from "vitest/node";

declare module "vitest" {
  interface ProvidedContext {
    /** What a project's global setup did, e.g. "built the site (npm run build) in 3 min 2 s". */
    kickSetup?: string;
  }
}

/** For a project's global setup: records what it did, for the run summary. */
export function recordSetup(project: TestProject, what: string): void {
  project.provide("kickSetup", what);
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(s < 10 ? 1 : 0)} s`;
  return s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Listed one by one up to this many; beyond, skips without a reason are counted per file. */
const LIST_SKIPPED = 20;

function skipReason(test: TestCase): string {
  const result = test.result();
  if (result.state === "skipped" && result.note) return result.note;
  if (test.options.mode === "todo") return "todo";
  return "no reason recorded (.skip/.skipIf in the test file, or left out by a -t filter)";
}

interface ProjectTally {
  files: number;
  passed: number;
  failed: number;
  skipped: number;
  fileTime: number;
  setup?: string;
}

export function summarize(modules: readonly TestModule[], wallMs: number, cwd = process.cwd()): string[] {
  const projects = new Map<string, ProjectTally>();
  const skipped: { file: string; name: string; reason: string }[] = [];
  for (const module of modules) {
    const name = module.project.name || "default";
    const tally = projects.get(name) ?? { files: 0, passed: 0, failed: 0, skipped: 0, fileTime: 0, setup: module.project.getProvidedContext().kickSetup };
    projects.set(name, tally);
    tally.files += 1;
    tally.fileTime += module.diagnostic().duration;
    const file = module.moduleId.startsWith(cwd + "/") ? module.moduleId.slice(cwd.length + 1) : module.moduleId;
    // A file that fails before any test runs (an import error, a crash) counts as one failure.
    if (module.state() === "failed" && [...module.children.allTests()].length === 0) tally.failed += 1;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") tally.passed += 1;
      else if (state === "failed") tally.failed += 1;
      else {
        tally.skipped += 1;
        skipped.push({ file, name: test.fullName, reason: skipReason(test) });
      }
    }
  }
  const lines = ["", "kick test run:"];
  for (const [name, t] of projects) {
    const counts = `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
    lines.push(`  ${name}: ${t.files} files, ${counts}; ${formatDuration(t.fileTime)} of test files (summed over parallel workers)${t.setup ? `; setup: ${t.setup}` : ""}`);
  }
  if (skipped.length === 0) lines.push("  skipped: none");
  else if (skipped.length <= LIST_SKIPPED) for (const s of skipped) lines.push(`  skipped: ${s.file} > ${s.name}: ${s.reason}`);
  else {
    const byReason = new Map<string, Map<string, number>>();
    for (const s of skipped) {
      const files = byReason.get(s.reason) ?? new Map<string, number>();
      byReason.set(s.reason, files.set(s.file, (files.get(s.file) ?? 0) + 1));
    }
    for (const [reason, files] of byReason) {
      const total = [...files.values()].reduce((a, b) => a + b, 0);
      lines.push(`  skipped: ${total} tests in ${files.size} files: ${reason}`);
    }
  }
  lines.push(`  whole run: ${formatDuration(wallMs)} (vitest's process, global setups included)`);
  return lines;
}

export default class RunSummaryReporter implements Reporter {
  private vitest?: Vitest;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: readonly TestModule[]): void {
    const log = (line: string) => (this.vitest ? this.vitest.logger.log(line) : console.log(line));
    // process.uptime(): the whole `vitest run`, from before config load to now.
    for (const line of summarize(modules, process.uptime() * 1000)) log(line);
  }
}
