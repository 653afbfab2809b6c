import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // GPU tests talk to dawn.node, which can crash a process: isolate each file in its own fork.
    pool: "forks",
    // Timeouts catch hangs, not slowness: a 2-core machine shared with other work runs a test several times
    // slower than alone (the screenshot test: 18 s alone, 239 s busy). So every test and hook gets 10 min and
    // none sets a tighter limit (docs/testing.md, § Timeouts); a hang still ends CI within its budget.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Tests slower than this are listed with their time by the default reporter; scripts/test-summary.mjs
    // prints the ten slowest.
    slowTestThreshold: 10_000,
    // The closing summary: what ran, what was skipped and why, how long the whole run took.
    reporters: ["default", "./test/run-summary-reporter.ts"],
    projects: [
      // test/slurm/ needs root and a Slurm install: it runs alone, with its own config (npm run test:slurm).
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: ["test/browser/**", "test/data/**", "test/slurm/**"] } },
      // Data tests need the rebuilt corpus and token shards: their global setup runs `npm run data`.
      { extends: true, test: { name: "data", include: ["test/data/**/*.test.ts"], globalSetup: ["test/data/global-setup.ts"] } },
      // Browser tests need the built site: their global setup runs `npm run build` first.
      { extends: true, test: { name: "browser", include: ["test/browser/**/*.test.ts"], globalSetup: ["test/browser/global-setup.ts"] } },
    ],
  },
});
