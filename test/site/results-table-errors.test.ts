// The site's results-table loaders: a missing table is the friendly "no results yet" path (an empty table, the
// pages explain); a table that is there but unreadable fails the loader, and so the build, naming the file.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { storeStatus } from "../../loaders/figures/results-store.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs a Framework data loader as the build does (its own process), on the tables in `dir`. */
function loader(file: string, dir: string) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, file)], { cwd: ROOT, env: { ...process.env, KICK_RESULTS_DIR: dir }, encoding: "buffer" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

afterEach(() => vi.unstubAllEnvs());

describe("results-table loaders", () => {
  it("a missing table gives an empty table; a corrupt one fails the loader naming the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-tables-"));
    let r = loader("src/data/results.parquet.ts", dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/results\.parquet not found: writing an empty results table/);
    expect(r.stdout.subarray(0, 4).toString()).toBe("PAR1");

    const file = join(dir, "results.parquet");
    writeFileSync(file, "PAR1 then nothing a Parquet reader accepts");
    r = loader("src/data/results.parquet.ts", dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`results table ${file} exists but cannot be read`);
    expect(r.stdout.length).toBe(0);

    vi.stubEnv("KICK_RESULTS_DIR", dir);
    await expect(storeStatus()).rejects.toThrow(`results table ${file} exists but cannot be read`); // store.json and the report figures too
  }, 120_000);
});
