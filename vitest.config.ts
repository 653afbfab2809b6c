import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // GPU tests talk to dawn.node, which can crash a process: isolate each file in its own fork.
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 300_000,
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
