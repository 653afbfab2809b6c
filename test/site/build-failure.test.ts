// A data loader that fails must fail `observable build` with the loader's own message.
import { spawnSync } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("observable build with a failing loader", () => {
  it("exits non-zero and shows the loader's message", async () => {
    const root = await mkdtemp(join(tmpdir(), "kick-build-fail-"));
    try {
      await mkdir(join(root, "src", "data"), { recursive: true });
      await writeFile(join(root, "observablehq.config.js"), `export default {root: "src", globalStylesheets: []};\n`);
      await writeFile(join(root, "src", "index.md"), "# t\n\n```js\nFileAttachment(\"data/broken.txt\").href\n```\n");
      await writeFile(
        join(root, "src", "data", "broken.txt.js"),
        `console.error("kick-loader: results store data/results/runs.parquet is missing column 'value'");\nprocess.exit(3);\n`,
      );
      const observable = join(process.cwd(), "node_modules", ".bin", "observable");
      const result = spawnSync(observable, ["build", "--config", join(root, "observablehq.config.js")], {
        cwd: root,
        encoding: "utf8",
        timeout: 120_000,
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr + result.stdout).toContain("results store data/results/runs.parquet is missing column 'value'");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
