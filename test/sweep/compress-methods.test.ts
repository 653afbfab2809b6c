// The compression methods of the sweep registry (loaders/sweep/compression-methods.ts): a plan with
// magnitude, Wanda 2:4, SparseGPT, RTN, GPTQ and joint SparseGPT + 4-bit on the llama fixture runs end to
// end, and every stored value and per-example log-probability equals the independent path `kick compress`
// → `kick eval` of the written checkpoint; the results-table columns are filled per method; bad specs
// fail naming the field and value. (Per-example logprobs are the continuous signal: on a few ci items
// the accuracies of a 2-layer fixture rarely move.)
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { main as compressMain } from "../../loaders/cli/compress.js";
import { main as evalMain } from "../../loaders/cli/eval.js";
import { readParquet } from "../../loaders/store/parquet.js";
import { compressionMethod, parseCompression } from "../../loaders/sweep/compression.js";
import { expandPlan, type PlannedRun } from "../../loaders/sweep/plan.js";
import { runSweep } from "../../loaders/sweep/runner.js";
import { ResultsStore } from "../../loaders/sweep/store.js";

const LLAMA = fileURLToPath(new URL("../fixtures/models/llama", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "kick-sweep-compress-"));
const planFile = join(tmp, "plan.json"); // names errors only
const calib = join(tmp, "calib.txt");
writeFileSync(calib, Array.from({ length: 300 }, (_, i) => `Sentence ${i} about foxes, rivers and the weight of ${i % 7} stones.`).join(" "));
const calibration = { source: calib, samples: 4, seqLen: 16 };
const calibArgs = ["--calib", calib, "--samples", "4", "--seq-len", "16"];
const TASKS = [
  { task: "mcq", items: "ci", limit: 3, scoring: ["loglik"] },
  { task: "icr_qa", items: "ci", limit: 2, max_new_tokens: 3 },
];

/** Plan entry, the same compression through `kick compress`, and the columns the results table must hold. */
const CASES = [
  { entry: { method: "magnitude", sparsity: 0.5 }, cli: ["--method", "magnitude", "--sparsity", "0.5"],
    columns: { method: "magnitude", pattern: "unstructured", sparsity: 0.5, bits: null, group_size: null, calib_samples: null, calib_seed: null } },
  { entry: { method: "wanda", pattern: "2:4", calibration }, cli: ["--method", "wanda", "--pattern", "2:4", ...calibArgs],
    columns: { method: "wanda", pattern: "2:4", sparsity: 0.5, bits: null, group_size: null, calib_samples: 4, calib_seed: 0 } },
  { entry: { method: "sparsegpt", sparsity: 0.5, calibration }, cli: ["--method", "sparsegpt", "--sparsity", "0.5", ...calibArgs],
    columns: { method: "sparsegpt", pattern: "unstructured", sparsity: 0.5, bits: null, group_size: null, calib_samples: 4, calib_seed: 0 } },
  { entry: { method: "rtn", bits: 4, groupSize: 32 }, cli: ["--method", "rtn", "--bits", "4", "--group", "32"],
    columns: { method: "rtn", pattern: "dense", sparsity: 0, bits: 4, group_size: 32, calib_samples: null, calib_seed: null } },
  { entry: { method: "gptq", bits: 4, calibration }, cli: ["--method", "gptq", "--bits", "4", ...calibArgs],
    columns: { method: "gptq", pattern: "dense", sparsity: 0, bits: 4, group_size: -1, calib_samples: 4, calib_seed: 0 } },
  { entry: { method: "sparsegpt+gptq", sparsity: 0.5, bits: 4, calibration }, cli: ["--method", "sparsegpt", "--sparsity", "0.5", "--bits", "4", ...calibArgs],
    columns: { method: "sparsegpt+gptq", pattern: "unstructured", sparsity: 0.5, bits: 4, group_size: -1, calib_samples: 4, calib_seed: 0 } },
];

async function quiet<T>(run: () => Promise<T>): Promise<{ result: T; out: string }> {
  let out = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  const c = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    return { result: await run(), out };
  } finally {
    o.mockRestore(); e.mockRestore(); c.mockRestore();
  }
}

type Row = Record<string, unknown>;
const AGAINST_DENSE = new Set(["kl_dense", "kl_dense_tail_mass", "kl_top_k", "dense_answer_ppl"]);
const key = (r: Row) => `${r.task}/${r.subset}/${r.metric}`;

describe("sweep compression methods", () => {
  let runs: PlannedRun[];
  const stored = new Map<string, Row[]>(); // run_id → result rows
  const examples = new Map<string, Row[]>(); // run_id → example rows

  beforeAll(async () => {
    const plan = await expandPlan({ name: "compress", backend: "cpu", models: [{ name: "llama", path: LLAMA }], compression: ["dense", ...CASES.map((c) => c.entry)], tasks: TASKS }, planFile);
    runs = plan.runs;
    const store = await ResultsStore.open(join(tmp, "store"), { create: true });
    const { result: summary } = await quiet(() => runSweep(plan, store, { log: () => {} }));
    expect(summary.failed).toEqual([]);
    expect(summary.done).toBe(14);
    for (const r of runs) {
      stored.set(r.run_id, await readParquet(join(store.runsDir, r.run_id, "results.parquet")));
      examples.set(r.run_id, await readParquet(join(store.runsDir, r.run_id, "examples.parquet")));
    }
  });

  const rowsOf = (method: string) => runs.filter((r) => r.compression.method === method).flatMap((r) => stored.get(r.run_id)!);
  const logprobs = (rows: Row[]) => rows.map((e) => [e.example_id, e.logprob]).sort() as [string, number | null][];
  const examplesOf = (method: string, task: string) =>
    logprobs(runs.filter((r) => r.compression.method === method && r.task.task === task).flatMap((r) => examples.get(r.run_id)!));

  it.each(CASES.map((c) => [c.entry.method, c] as const))("%s: stored values equal kick compress → kick eval, columns filled", async (method, c) => {
    const out = join(tmp, `ckpt-${method}`);
    const { result: code } = await quiet(() => compressMain(["--model", LLAMA, "--out", out, ...c.cli, "--dtype", "float32"]));
    expect(code).toBe(0);
    const sweepRows = rowsOf(method);
    expect(sweepRows.length).toBeGreaterThan(2);
    for (const task of TASKS) {
      const cliStore = join(tmp, `cli-${method}-${task.task}`);
      const { result: evalCode, out: lines } = await quiet(() => evalMain(["--model", out, "--task", JSON.stringify(task), "--json", "--store", cliStore]));
      expect(evalCode).toBe(0);
      const s = await ResultsStore.open(cliStore);
      const [cliRun] = await s.finishedRunIds();
      expect(examplesOf(method, task.task)).toEqual(logprobs(await readParquet(join(s.runsDir, cliRun!, "examples.parquet"))));
      const cliRows = lines.trim().split("\n").map((l) => JSON.parse(l) as Row);
      // metrics against the dense model: the sweep knows the compressed run's dense model, kick eval of a
      // compressed checkpoint (compression.json) does not (docs/evaluate.md § Beyond accuracy)
      const mine = sweepRows.filter((r) => r.task === task.task && !AGAINST_DENSE.has(String(r.metric)));
      if (task.task === "icr_qa") expect(sweepRows.some((r) => r.metric === "dense_answer_ppl")).toBe(true);
      expect(mine.map(key).sort()).toEqual(cliRows.map(key).sort());
      for (const r of cliRows) {
        const s = mine.find((m) => key(m) === key(r))!;
        expect([s.value, s.n, s.ci_low, s.ci_high], key(r)).toEqual([r.value, r.n, r.ci_low, r.ci_high]);
      }
    }
    // the compression did something: every mcq logprob moved away from the dense model's
    const dense = new Map(examplesOf("dense", "mcq"));
    for (const [id, lp] of examplesOf(method, "mcq")) expect(lp, id).not.toBe(dense.get(id));
    for (const r of sweepRows) expect({ method: r.method, pattern: r.pattern, sparsity: r.sparsity, bits: r.bits, group_size: r.group_size, calib_samples: r.calib_samples, calib_seed: r.calib_seed }).toEqual(c.columns);
  });

  it("kick eval --compression compresses before evaluating (same values as the sweep)", async () => {
    const cliStore = join(tmp, "cli-eval-compression");
    const args = ["--model", LLAMA, "--task", JSON.stringify(TASKS[0]), "--compression", JSON.stringify(CASES[2]!.entry), "--json", "--store", cliStore];
    const { result: code, out } = await quiet(() => evalMain(args));
    expect(code).toBe(0);
    const got = out.trim().split("\n").map((l) => JSON.parse(l) as Row);
    const want = rowsOf("sparsegpt").filter((r) => r.task === "mcq");
    expect(got.map((r) => [key(r), r.value, r.method, r.sparsity])).toEqual(want.map((r) => [key(r), r.value, "sparsegpt", 0.5]));
    const s = await ResultsStore.open(cliStore);
    const [id] = await s.finishedRunIds();
    expect(logprobs(await readParquet(join(s.runsDir, id!, "examples.parquet")))).toEqual(examplesOf("sparsegpt", "mcq"));
  });

  it("the GPU backend compresses through the GPU forward: mcq logprobs within 1e-3 of the CPU backend", async () => {
    const plan = await expandPlan({ backend: "gpu", models: [{ name: "llama", path: LLAMA }], compression: [CASES[2]!.entry], tasks: [TASKS[0]] }, planFile);
    const store = await ResultsStore.open(join(tmp, "store-gpu"), { create: true });
    const { result: summary } = await quiet(() => runSweep(plan, store, { log: () => {} }));
    expect(summary.failed).toEqual([]);
    const run = plan.runs[0]!.run_id;
    const gpu = logprobs(await readParquet(join(store.runsDir, run, "examples.parquet")));
    const cpu = examplesOf("sparsegpt", "mcq");
    expect(gpu.map(([id]) => id)).toEqual(cpu.map(([id]) => id));
    for (const [i, [id, lp]] of gpu.entries()) expect(Math.abs(lp! - cpu[i]![1]!), id).toBeLessThan(1e-3 * Math.abs(cpu[i]![1]!));
    expect((await readParquet(join(store.runsDir, run, "results.parquet")))[0]!.device).not.toBe("cpu-reference");
  });
});

describe("sweep compression specs", () => {
  const plan = (compression: unknown[], ablations = {}) => expandPlan({ models: [{ name: "m", path: LLAMA }], compression, tasks: ["mcq"], ablations }, planFile);

  it.each([
    [{ method: "zip" }, /compression\[0\]: unknown compression method "zip"; known: .*magnitude/],
    [{ method: "sparsegpt", sparsity: 1.2 }, /compression\[0\]: invalid compression spec: sparsity: sparsity must be in \[0, 1\) \(got 1\.2\)/],
    [{ method: "wanda", pattern: "4:4" }, /compression\[0\]: invalid compression spec: pattern: pattern 4:4: N:M needs 1 ≤ N < M \(got N=4, M=4\)/],
    [{ method: "rtn", bits: 5 }, /compression\[0\]: invalid compression spec: bits: bits must be one of 2, 3, 4, 8 \(got 5\)/],
    [{ method: "gptq", bits: 4, groupSize: 48 }, /groupSize: groupSize must be one of -1, 32, 64, 128 \(got 48\)/],
    [{ method: "magnitude" }, /sparsity: method magnitude needs a sparsity in \[0, 1\)/],
    [{ method: "sparsegpt", sparsity: 0.5, bits: 4 }, /field "bits": method "sparsegpt" does not quantize in a plan; joint sparse \+ quantized is method "sparsegpt\+gptq"/],
    [{ method: "sparsegpt+gptq", sparsity: 0.5 }, /field "bits": method "sparsegpt\+gptq" needs bits/],
    [{ method: "wanda", sparsity: 0.5, calibration: { samples: 0 } }, /calibration\.samples: .*\(got 0\)/],
    [{ method: "awq", bits: 5 }, /bits/],
  ])("%o fails naming the field and value", async (entry, msg) => {
    await expect(plan([entry])).rejects.toThrow(msg);
  });

  it("normalises: one run for a spec spelled two ways; only the fields the method uses are kept", async () => {
    const a = parseCompression({ method: "magnitude", sparsity: 0.5, damping: 0.1 }, "x");
    expect(a).toEqual({ method: "magnitude", pattern: "unstructured", sparsity: 0.5 });
    expect(parseCompression({ method: "wanda", pattern: "2:4" }, "x")).toMatchObject({ sparsity: 0.5, calibration: { samples: 128, seqLen: 2048, source: "corpus", seed: 0 } });
    const rtn = parseCompression({ method: "rtn", bits: 4 }, "x");
    expect(rtn).toEqual({ method: "rtn", bits: 4, groupSize: -1, sym: false });
    expect(compressionMethod(rtn).columns(rtn)).toEqual({ method: "rtn", pattern: "dense", sparsity: 0, bits: 4, group_size: -1, calib_samples: null, calib_seed: null });
    const p1 = await plan([{ method: "rtn", bits: 4 }]), p2 = await plan([{ method: "rtn", bits: 4, groupSize: -1, sym: false }]);
    expect(p1.runs.map((r) => r.run_id)).toEqual(p2.runs.map((r) => r.run_id));
  });

  it("names the options without a column of their own in the method column (OWL, act-order, true-sequential, sym)", () => {
    const cols = (entry: Record<string, unknown>) => {
      const c = parseCompression({ calibration: { samples: 8, seqLen: 16 }, ...entry } as never, "x");
      return compressionMethod(c).columns(c).method;
    };
    expect(cols({ method: "sparsegpt", sparsity: 0.5 })).toBe("sparsegpt");
    expect(cols({ method: "sparsegpt", sparsity: 0.5, owl: { lambda: 0.08, m: 5 } })).toBe("sparsegpt+owl");
    expect(cols({ method: "wanda", sparsity: 0.7, owl: {}, trueSequential: true })).toBe("wanda+owl+true-seq");
    expect(cols({ method: "gptq", bits: 3, groupSize: 128, actOrder: true })).toBe("gptq+act-order");
    expect(cols({ method: "gptq", bits: 4, actOrder: true, trueSequential: true, sym: true })).toBe("gptq+act-order+true-seq+sym");
    expect(cols({ method: "sparsegpt+gptq", sparsity: 0.5, bits: 4 })).toBe("sparsegpt+gptq");
    expect(cols({ method: "rtn", bits: 4, sym: false, calibration: undefined })).toBe("rtn");
  });

  it("the calib_samples ablation repeats calibrated methods only", async () => {
    const p = await plan([{ method: "magnitude", sparsity: 0.5 }, { method: "gptq", bits: 4 }, { method: "rtn", bits: 4 }], { calib_samples: [16, 64] });
    const got = p.runs.map((r) => `${r.compression.method}:${compressionMethod(r.compression).columns(r.compression).calib_samples}`).sort();
    expect(got).toEqual(["gptq:16", "gptq:64", "magnitude:null", "rtn:null"]);
  });
});
