// The models table: a run stored by the runner records its model's card (README.md, config.json) once per
// weights hash; exportTables writes models.parquet; importExport and kick merge carry it, and an export from
// before the table (no models.parquet) still imports.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main as mergeMain } from "../../loaders/cli/merge.js";
import { readParquet } from "../../loaders/store/parquet.js";
import { modelWeightsHash } from "../../loaders/sweep/models.js";
import { expandPlan } from "../../loaders/sweep/plan.js";
import { runSweep } from "../../loaders/sweep/runner.js";
import { MODELS_SCHEMA, type ModelRow } from "../../loaders/sweep/schema.js";
import { ResultsStore } from "../../loaders/sweep/store.js";
import { captureCli } from "./capture-cli.js";

const LLAMA = fileURLToPath(new URL("../fixtures/models/llama", import.meta.url));
const CARD = "# llama-fixture\n\nA tiny test model. Recipe: none. Measured quality: none.\n";
const quiet = () => {};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kick-model-cards-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A store with one run of the tiny fixture model (CPU, two MCQ items), whose folder has a model card. */
async function storeWithRun(name: string): Promise<{ store: ResultsStore; hash: string }> {
  const model = join(dir, "model");
  if (!existsSync(model)) {
    cpSync(LLAMA, model, { recursive: true });
    writeFileSync(join(model, "README.md"), CARD);
  }
  const plan = await expandPlan(
    { name: "cards", backend: "cpu", models: [{ name: "llama-fixture", path: model }], compression: ["dense"], tasks: [{ task: "mcq", items: "ci", limit: 2 }], seeds: [0] },
    join(dir, "plan.json"),
  );
  const store = await ResultsStore.open(join(dir, name), { create: true });
  const summary = await runSweep(plan, store, { log: quiet });
  expect([summary.done, summary.failed]).toEqual([1, []]);
  return { store, hash: await modelWeightsHash(model) };
}

const models = (exportDir: string) => readParquet(join(exportDir, "models.parquet")) as Promise<ModelRow[]>;

describe("model cards (models table)", () => {
  it("records the card of a stored run's model once per hash, and exports it as models.parquet", async () => {
    const { store, hash } = await storeWithRun("store");
    expect(readdirSync(store.modelsDir)).toEqual([`${hash}-llama-fixture.json`]);
    expect(await store.recordModel({ ...(await store.modelRows())[0], card: "another card" })).toBe(false); // the first is kept
    const counts = await store.exportTables(join(dir, "export"));
    expect(counts).toEqual({ results: expect.any(Number), examples: expect.any(Number), runs: 1, models: 1 });
    const rows = await models(join(dir, "export"));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: "llama-fixture", model_hash: hash, family: "llama", card: CARD });
    expect(Object.keys(rows[0])).toEqual(Object.keys(MODELS_SCHEMA));
    expect(JSON.parse(rows[0].config)).toEqual(JSON.parse(readFileSync(join(LLAMA, "config.json"), "utf8")));
    const results = await readParquet(join(dir, "export", "results.parquet"));
    expect(rows[0].model_params).toBe(results[0].model_params);
    const runs = await readParquet(join(dir, "export", "runs.parquet"));
    expect(runs.map((r) => r.model_hash)).toEqual([hash]);

    // an empty store exports a models table with the columns and no rows
    const empty = await ResultsStore.open(join(dir, "empty"), { create: true });
    expect(await empty.exportTables(join(dir, "empty-export"))).toEqual({ results: 0, examples: 0, runs: 0 });
    expect(await models(join(dir, "empty-export"))).toEqual([]);
  });

  it("imports an export with models.parquet (cards carried) and one without it (an older export)", async () => {
    const { store, hash } = await storeWithRun("store");
    await store.exportTables(join(dir, "export"));

    const seeded = await ResultsStore.open(join(dir, "seeded"), { create: true });
    expect(await seeded.importExport(join(dir, "export"))).toEqual({ added: 1, skipped: 0 });
    expect(seeded.hasModel("llama-fixture", hash)).toBe(true);
    await seeded.exportTables(join(dir, "again"));
    for (const t of ["results", "examples", "runs", "models"])
      expect(await readParquet(join(dir, "again", `${t}.parquet`)), t).toEqual(await readParquet(join(dir, "export", `${t}.parquet`)));

    rmSync(join(dir, "export", "models.parquet"));
    const old = await ResultsStore.open(join(dir, "old"), { create: true });
    expect(await old.importExport(join(dir, "export"))).toEqual({ added: 1, skipped: 0 });
    expect(await old.modelRows()).toEqual([]);
    expect(await old.exportTables(join(dir, "old-export"))).toEqual({ results: expect.any(Number), examples: expect.any(Number), runs: 1 });
    expect(await models(join(dir, "old-export"))).toEqual([]);
    // exported over an export that has the card (e.g. backfilled into the committed one), a store without it keeps it
    expect(await old.exportTables(join(dir, "again"))).toMatchObject({ runs: 1, models: 1 });
    expect((await models(join(dir, "again"))).map((m) => [m.model_hash, m.card])).toEqual([[hash, CARD]]);

    writeFileSync(join(dir, "export", "models.parquet"), "not parquet");
    const bad = await ResultsStore.open(join(dir, "bad"), { create: true });
    await expect(bad.importExport(join(dir, "export"))).rejects.toThrow(/models\.parquet is corrupt or lacks columns [\s\S]*nothing was imported/);
    expect(await bad.finishedRunIds()).toEqual([]);
  });

  it("kick merge carries the model rows of source stores and exports", async () => {
    const { hash } = await storeWithRun("shard");
    let r = await captureCli(() => mergeMain(["--out", join(dir, "merged"), "--export", join(dir, "merged-export"), join(dir, "shard")]));
    expect([r.code, r.err]).toEqual([0, expect.stringMatching(/runs: 1 rows, models: 1 rows/)]);
    const rows = await models(join(dir, "merged-export"));
    expect(rows.map((m) => [m.model, m.model_hash, m.card])).toEqual([["llama-fixture", hash, CARD]]);

    // from an export (the committed data/results/ kind of source)
    r = await captureCli(() => mergeMain(["--out", join(dir, "from-export"), "--export", join(dir, "from-export-tables"), join(dir, "merged-export")]));
    expect(r.code, r.err).toBe(0);
    expect(await models(join(dir, "from-export-tables"))).toEqual(rows);
  });
});
