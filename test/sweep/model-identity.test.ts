// Which weights a result measured (issue 25): new weights under an old model name must not be averaged with the
// old runs. Every results row carries its run's model_hash; the report's cells keep the two weights apart (not
// two "seeds" of one cell) and label them with the hash prefix; the site's store status lists the weights; and
// results written before the column existed (old run folders, old exports) read with their run's hash.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { storeStatus } from "../../loaders/figures/results-store.js";
import { readParquet, sqlString, withDuckDB } from "../../loaders/store/parquet.js";
import { modelWeightsHash } from "../../loaders/sweep/models.js";
import { loadPlan } from "../../loaders/sweep/plan.js";
import { runSweep } from "../../loaders/sweep/runner.js";
import { ResultsStore } from "../../loaders/sweep/store.js";
import { REPORT_VIEWS } from "../../src/components/report-sql.js";
import { editedCheckpoint } from "./edit-checkpoint.js";

const LLAMA = fileURLToPath(new URL("../fixtures/models/llama", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "kick-model-identity-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const resultsDir = process.env.KICK_RESULTS_DIR;
afterEach(() => {
  if (resultsDir === undefined) delete process.env.KICK_RESULTS_DIR;
  else process.env.KICK_RESULTS_DIR = resultsDir;
});

const PERPLEXITY = { task: "perplexity", items: "ci", limit: 1, seq_len: 64 };

/** Sweeps the checkpoint in `modelDir` as "llama-fixture" (dense perplexity) into `store`. */
async function sweepAs(modelDir: string, store: ResultsStore, file: string): Promise<void> {
  writeFileSync(file, JSON.stringify({ name: "identity", backend: "cpu", compression: ["dense"], seeds: [0], models: [{ name: "llama-fixture", path: modelDir }], tasks: [PERPLEXITY] }));
  const summary = await runSweep(await loadPlan(file), store, { log: () => {} });
  expect(summary.failed).toEqual([]);
  expect(summary.done).toBe(1);
}

describe("model identity in the results", () => {
  it("weights swapped under one model name: two cells, each labelled with its weights, and the status lists both", async () => {
    const store = await ResultsStore.open(join(tmp, "swapped"), { create: true });
    await sweepAs(LLAMA, store, join(tmp, "old.json"));
    // "retrained": other weights, same name, same plan
    const retrained = editedCheckpoint(LLAMA, join(tmp, "retrained"), { "model.layers.0.mlp.down_proj.weight": (w) => w.forEach((x, i) => (w[i] = x * 0.5)) });
    await sweepAs(retrained, store, join(tmp, "new.json"));
    const [oldHash, newHash] = [await modelWeightsHash(LLAMA), await modelWeightsHash(retrained)];
    const out = join(tmp, "swapped-export");
    await store.exportTables(out);

    const results = await readParquet(join(out, "results.parquet"));
    const runs = new Map((await readParquet(join(out, "runs.parquet"))).map((r) => [r.run_id, r.model_hash]));
    expect(results.every((r) => r.model === "llama-fixture" && r.model_hash === runs.get(r.run_id))).toBe(true);
    expect(new Set(results.map((r) => r.model_hash))).toEqual(new Set([oldHash, newHash]));

    const cells = await withDuckDB(async (run) => {
      await run(`CREATE TABLE results AS SELECT * FROM read_parquet(${sqlString(join(out, "results.parquet"))})`);
      for (const statement of REPORT_VIEWS) await run(statement);
      return run(`SELECT DISTINCT model, model_hash, seeds FROM cells WHERE metric = 'perplexity' ORDER BY model`);
    });
    expect(cells).toEqual(
      [oldHash, newHash].sort().map((h) => ({ model: `llama-fixture @${h.slice(0, 8)}`, model_hash: h, seeds: 1 })),
    );

    process.env.KICK_RESULTS_DIR = out;
    expect((await storeStatus()).weights).toEqual([oldHash, newHash].sort().map((h) => ({ model: "llama-fixture", model_hash: h, runs: 1 })));
  });

  it("results written before the model_hash column (run folders and exports) read with their run's hash", async () => {
    const store = await ResultsStore.open(join(tmp, "old-format"), { create: true });
    await sweepAs(LLAMA, store, join(tmp, "old-format.json"));
    const current = join(tmp, "current-export");
    await store.exportTables(current);
    const [runId] = await store.finishedRunIds();
    // drop the column from the run folder and from a copy of the export, as an older kick wrote them
    const legacy = join(tmp, "legacy-export");
    await withDuckDB(async (run) => {
      for (const [from, to] of [
        [join(store.runsDir, runId, "results.parquet"), join(tmp, "run-results.parquet")],
        [join(current, "results.parquet"), join(tmp, "export-results.parquet")],
      ])
        await run(`COPY (SELECT * EXCLUDE (model_hash) FROM read_parquet(${sqlString(from)})) TO ${sqlString(to)} (FORMAT parquet)`);
    });
    writeFileSync(join(store.runsDir, runId, "results.parquet"), readFileSync(join(tmp, "run-results.parquet")));
    rmSync(legacy, { recursive: true, force: true });
    await store.exportTables(legacy);
    writeFileSync(join(legacy, "results.parquet"), readFileSync(join(tmp, "export-results.parquet")));
    expect((await readParquet(join(legacy, "results.parquet")))[0]).not.toHaveProperty("model_hash");

    // the old run folder exports as a new one would, byte for byte
    const again = join(tmp, "again");
    await store.exportTables(again);
    expect(readFileSync(join(again, "results.parquet")).equals(readFileSync(join(current, "results.parquet")))).toBe(true);
    // an old export seeds a store whose export carries the hash
    const seeded = await ResultsStore.open(join(tmp, "seeded"), { create: true });
    expect(await seeded.importExport(legacy)).toEqual({ added: 1, skipped: 0 });
    const reexport = join(tmp, "reexport");
    await seeded.exportTables(reexport);
    expect(readFileSync(join(reexport, "results.parquet")).equals(readFileSync(join(current, "results.parquet")))).toBe(true);
    // and merges with the same run written with the column: identical runs, not a conflict
    const fresh = await ResultsStore.open(join(tmp, "fresh"), { create: true });
    await sweepAs(LLAMA, fresh, join(tmp, "fresh.json"));
    expect(await fresh.mergeFrom([store])).toEqual({ added: 0, skipped: 1 });
  });
});
