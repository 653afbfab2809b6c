// A sweep's runs against their dense model (issue 20): a compressed run's perplexity stores KL(dense ‖ compressed)
// and its QA runs the dense model's perplexity of their answers; the dense run scores its own answers and has no
// KL; a `kick compress` checkpoint used as a plan model (compression.json) gets neither, as its dense model is
// unknown; the dense log-probs are cached under KICK_DENSE_CACHE, and a second sweep into another store reads them.
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readParquet } from "../../loaders/store/parquet.js";
import { modelWeightsHash } from "../../loaders/sweep/models.js";
import { expandPlan } from "../../loaders/sweep/plan.js";
import { runSweep } from "../../loaders/sweep/runner.js";
import type { ResultRow } from "../../loaders/sweep/schema.js";
import { ResultsStore } from "../../loaders/sweep/store.js";

const LLAMA = fileURLToPath(new URL("../fixtures/models/llama", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "kick-dense-ref-"));
const cacheBefore = process.env.KICK_DENSE_CACHE;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (cacheBefore === undefined) delete process.env.KICK_DENSE_CACHE;
  else process.env.KICK_DENSE_CACHE = cacheBefore;
});

async function sweep(name: string, models: { name: string; path: string }[]): Promise<ResultRow[]> {
  const plan = await expandPlan(
    {
      name, backend: "cpu", models, compression: ["dense", { method: "magnitude", sparsity: 0.5 }], seeds: [0],
      tasks: [{ task: "perplexity", items: "ci", limit: 1, seq_len: 32, bootstrap: 100 }, { task: "factoid_qa", items: "ci", limit: 3, max_new_tokens: 6, bootstrap: 100 }],
    },
    join(dir, "plan.json"),
  );
  const store = await ResultsStore.open(join(dir, name), { create: true });
  const summary = await runSweep(plan, store, { log: () => {} });
  expect(summary.failed).toEqual([]);
  await store.exportTables(join(dir, `${name}-export`));
  return (await readParquet(join(dir, `${name}-export`, "results.parquet"))) as ResultRow[];
}

const metricsOf = (rows: ResultRow[], method: string, task: string) => new Set(rows.filter((r) => r.method === method && r.task === task).map((r) => r.metric));

describe("sweep runs against their dense model", () => {
  it("stores KL and the dense perplexity of answers for compressed runs, caching the dense log-probs", async () => {
    process.env.KICK_DENSE_CACHE = join(dir, "cache"); // restored in afterAll
    const rows = await sweep("a", [{ name: "llama-fixture", path: LLAMA }]);
    expect(metricsOf(rows, "magnitude", "perplexity")).toContain("kl_dense");
    expect(metricsOf(rows, "dense", "perplexity").has("kl_dense")).toBe(false);
    for (const m of ["magnitude", "dense"]) for (const metric of ["alias_hit", "distinct_1", "repetition", "dense_answer_ppl"]) expect(metricsOf(rows, m, "factoid_qa")).toContain(metric);
    const kl = rows.find((r) => r.method === "magnitude" && r.metric === "kl_dense" && r.subset === "all")!;
    expect(kl.value).toBeGreaterThan(0);
    const hash = await modelWeightsHash(LLAMA);
    expect(readdirSync(join(dir, "cache", hash))).toHaveLength(1);
    // another store, same weights and windows: the same KL (from the cache file, which is not rewritten)
    const again = await sweep("b", [{ name: "llama-fixture", path: LLAMA }]);
    expect(again.find((r) => r.method === "magnitude" && r.metric === "kl_dense" && r.subset === "all")!.value).toBe(kl.value);
  });

  it("computes no dense metric for a compressed checkpoint entered as a model", async () => {
    const ckpt = join(dir, "llama-compressed");
    cpSync(LLAMA, ckpt, { recursive: true });
    writeFileSync(join(ckpt, "compression.json"), JSON.stringify({ method: "magnitude", sparsity: 0.5 }));
    const rows = await sweep("c", [{ name: "llama-compressed", path: ckpt }]);
    expect(rows.some((r) => r.metric === "kl_dense" || r.metric === "dense_answer_ppl")).toBe(false);
    expect(metricsOf(rows, "dense", "factoid_qa")).toContain("distinct_1");
    expect(existsSync(join(dir, "cache"))).toBe(true);
  });
});
