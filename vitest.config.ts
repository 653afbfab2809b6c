import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // GPU tests talk to dawn.node, which can crash a process: isolate each file in its own fork.
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
