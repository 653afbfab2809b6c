// KL(dense ‖ compressed) on the perplexity windows (issue 20) against a float64 reference: both models' logits
// from loaders/train/reference.ts's float64 forward (no evaluator code), the KL summed over the whole vocabulary.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EvalContext, MetricRow } from "../../loaders/evaluate/common.js";
import { evaluateTask } from "../../loaders/evaluate/index.js";
import { denseCachePath, windowSetHash } from "../../loaders/evaluate/dense-logprob-cache.js";
import { selectItems } from "../../loaders/evaluate/suite.js";
import { parseTaskSpec } from "../../loaders/evaluate/task-spec.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import { referenceForward } from "../../loaders/train/reference.js";
import { LLAMA_DIR } from "./oracle.js";

const SEQ = 24;
const find = (rows: MetricRow[], subset: string, metric: string): MetricRow => {
  const r = rows.find((x) => x.subset === subset && x.metric === metric);
  if (!r) throw new Error(`no row ${subset}/${metric}`);
  return r;
};

/** Magnitude pruning written out here: the half of each linear weight's entries with the smallest |w| set to 0. */
function pruneHalf(weights: Map<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, w] of weights) {
    if (!/\.(q|k|v|o|gate|up|down)\.weight$/.test(name)) {
      out.set(name, w);
      continue;
    }
    const cut = Float32Array.from(w, Math.abs).sort()[Math.floor(w.length / 2)];
    out.set(name, w.map((x) => (Math.abs(x) < cut ? 0 : x)));
  }
  return out;
}

/** Float64 log-softmax rows of a window (positions 0 … n−2, the ones that predict a token of the window). */
function logProbs64(spec: ReferenceModel["spec"], w: Map<string, Float32Array>, ids: number[]): Float64Array[] {
  const { logits } = referenceForward(spec, w, { B: 1, T: ids.length, ids, targets: ids.map(() => -100) });
  const V = spec.vocabSize;
  const rows: Float64Array[] = [];
  for (let t = 0; t + 1 < ids.length; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
    rows.push(row.map((x) => x - lse));
  }
  return rows;
}

describe("KL divergence against the dense model on the perplexity windows", async () => {
  const { model: dense, opened } = await loadReferenceModel(LLAMA_DIR);
  const tok = opened.tokenizer!;
  const spec = opened.spec;
  const denseW = dense.weights as Map<string, Float32Array>;
  const prunedW = pruneHalf(denseW);
  const compressed = new ReferenceModel(spec, prunedW);
  // two short documents of two sources (the first of each in data/tasks), as a tasks folder of their own
  const tasksDir = mkdtempSync(join(tmpdir(), "kick-kl-tasks-"));
  const docs = readFileSync(new URL("../../data/tasks/perplexity.jsonl", import.meta.url), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { source: string; text: string });
  const firsts = ["austen", "brown"].map((s) => ({ ...docs.find((d) => d.source === s)!, text: docs.find((d) => d.source === s)!.text.slice(0, 500) }));
  writeFileSync(join(tasksDir, "perplexity.jsonl"), firsts.map((d) => JSON.stringify(d)).join("\n") + "\n");
  const task = parseTaskSpec({ task: "perplexity", seq_len: SEQ, bootstrap: 200 });
  const items = selectItems({ ...task, task: "perplexity" }, tasksDir);
  const sources = [...new Set(items.map((x) => x.source))].map((source) => {
    const stream = tok.encode(items.filter((x) => x.source === source).map((x) => x.text).join("\n\n"));
    return { source, windows: Array.from({ length: Math.floor(stream.length / SEQ) }, (_, i) => stream.slice(i * SEQ, (i + 1) * SEQ)) };
  });
  // the float64 reference: exact KL per token over the full vocabulary, and the dense mass outside its top 8
  // and the KL of the coarsened distributions: the dense top 8 ids kept, every other id merged into one outcome
  const expected = new Map<string, { kl: number; tail8: number; coarse8: number }>();
  const all = { kl: [] as number[], tail8: [] as number[] };
  for (const { source, windows } of sources) {
    const kls: number[] = [], tails: number[] = [], coarse: number[] = [];
    for (const w of windows) {
      const p = logProbs64(spec, denseW, w), q = logProbs64(spec, prunedW, w);
      let kl = 0, tail = 0, c = 0;
      p.forEach((lp, t) => {
        lp.forEach((l, v) => (kl += Math.exp(l) * (l - q[t][v])));
        const top = Array.from(lp.keys()).sort((a, b) => lp[b] - lp[a]).slice(0, 8);
        const rp = 1 - top.reduce((a, v) => a + Math.exp(lp[v]), 0), rq = 1 - top.reduce((a, v) => a + Math.exp(q[t][v]), 0);
        c += top.reduce((a, v) => a + Math.exp(lp[v]) * (lp[v] - q[t][v]), 0) + rp * Math.log(rp / rq);
        tail += rp;
      });
      kls.push(kl / p.length);
      tails.push(tail / p.length);
      coarse.push(c / p.length);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    if (kls.length) expected.set(source, { kl: mean(kls), tail8: mean(tails), coarse8: mean(coarse) });
    all.kl.push(...kls);
    all.tail8.push(...tails);
  }
  const cacheDir = mkdtempSync(join(tmpdir(), "kick-kl-"));
  let denseLoads = 0;
  const ctx = (topK: number, dir: string | null = cacheDir): EvalContext => ({
    model: compressed, tokenizer: tok, seed: 0, batchSize: 4, tasksDir,
    dense: { modelHash: "fixture-dense", self: false, cacheDir: dir, topK, model: async () => (denseLoads++, dense) },
  });

  it("equals the float64 full-vocabulary KL per source and overall when k covers the vocabulary", async () => {
    expect(expected.size).toBe(2); // austen and brown
    const r = await evaluateTask(task, ctx(spec.vocabSize));
    for (const [source, e] of [...expected, ["all", { kl: all.kl.reduce((a, b) => a + b, 0) / all.kl.length }] as const]) {
      const row = find(r.results, source, "kl_dense");
      console.log(`KL ${source}: evaluator ${row.value.toExponential(6)}, float64 reference ${e.kl.toExponential(6)}`);
      expect(e.kl).toBeGreaterThan(1e-3); // pruning half the weights moves the distribution measurably
      expect(Math.abs(row.value / e.kl - 1)).toBeLessThan(1e-4);
      expect(row.ci_low!).toBeLessThanOrEqual(row.value);
      expect(find(r.results, source, "kl_dense_tail_mass").value).toBeLessThan(1e-6);
    }
    expect(find(r.results, "all", "kl_top_k").value).toBe(spec.vocabSize);
  });

  it("with the dense top 8 only, gives a lower bound and reports the merged tail mass", async () => {
    const r = await evaluateTask(task, ctx(8));
    for (const [source, e] of expected) {
      const row = find(r.results, source, "kl_dense");
      const tail = find(r.results, source, "kl_dense_tail_mass").value;
      console.log(`KL ${source} at k = 8: ${row.value.toExponential(6)} (float64 coarsened ${e.coarse8.toExponential(6)}) ≤ exact ${e.kl.toExponential(4)}; tail mass ${tail.toFixed(4)}`);
      expect(Math.abs(row.value / e.coarse8 - 1)).toBeLessThan(1e-4);
      expect(row.value).toBeLessThanOrEqual(e.kl * (1 + 1e-4));
      expect(row.value).toBeGreaterThan(0);
      expect(Math.abs(tail - e.tail8)).toBeLessThan(1e-5);
    }
  });

  it("reads the dense log-probs from the cache instead of the dense model, and names a damaged cache file", async () => {
    const N = sources.reduce((a, s) => a + s.windows.length, 0);
    const seen: [number, number][] = [];
    const first = await evaluateTask(task, { ...ctx(16), onProgress: (done, total) => seen.push([done, total]) });
    expect(seen.at(-1)).toEqual([2 * N, 2 * N]); // the dense pass, then the evaluated model's
    const loads = denseLoads;
    seen.length = 0;
    const again = await evaluateTask(task, { ...ctx(16), onProgress: (done, total) => seen.push([done, total]) });
    expect(denseLoads).toBe(loads); // served from <cacheDir>/<hash>/<windows>-k16.bin
    expect(seen.at(-1)).toEqual([N, N]);
    expect(find(again.results, "all", "kl_dense").value).toBe(find(first.results, "all", "kl_dense").value);
    const path = denseCachePath(cacheDir, "fixture-dense", windowSetHash(sources.flatMap((s) => s.windows)), 16);
    writeFileSync(path, `${JSON.stringify({ format: "kick-dense-logprobs", version: 1, modelHash: "fixture-dense", windowsHash: windowSetHash(sources.flatMap((s) => s.windows)), k: 16, vocab: spec.vocabSize, positions: 5 })}\nxx`);
    await expect(evaluateTask(task, ctx(16))).rejects.toThrow(/k16\.bin: 2 bytes after the header, expected .*truncated or damaged; delete it to recompute/);
  });

  it("is not computed for the dense model itself, nor without a dense reference", async () => {
    const self = await evaluateTask(task, { ...ctx(8), model: dense, dense: { ...ctx(8).dense!, self: true } });
    const none = await evaluateTask(task, { model: compressed, tokenizer: tok, seed: 0, tasksDir });
    for (const r of [self, none]) expect(r.results.some((x) => x.metric === "kl_dense")).toBe(false);
  });
});
