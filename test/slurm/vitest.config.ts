// npm run test:slurm: the Slurm scale-out test, outside `npm test` (it needs root, slurm-wlm and munge,
// which scripts/setup-slurm.sh installs first).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/slurm/**/*.test.ts"],
    pool: "forks",
    testTimeout: 1_200_000,
  },
});
