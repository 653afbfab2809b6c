// What precision f16 does to a model's numbers (issue 26): the same checkpoint evaluated at f32 and at f16 on
// the same adapter — logits on windows of held-out text (max and mean |f16 − f32|), perplexity (the perplexity task,
// all sources), and the greedy factoid answers (factoid_qa: the share of items answered identically).
//   npx tsx bench/f16-accuracy.ts [--model data/models/kick-s] [--windows 8] [--items all|ci]
// Runs wherever the adapter has shader-f16 (lavapipe included: there the f16 matmul is the tiled kernel,
// on NVIDIA the subgroup-matrix one). Prints one line per measurement.
import { fileURLToPath } from "node:url";
import { basename } from "node:path";
import { expandPlan, type PlannedRun } from "../loaders/sweep/plan.js";
import { loadModel } from "../loaders/sweep/models.js";
import { executeRun } from "../loaders/sweep/runner.js";
import { selectItems } from "../loaders/evaluate/suite.js";
import { parseTaskSpec } from "../loaders/evaluate/task-spec.js";
import type { Precision } from "../loaders/model/half-weights.js";

const args = process.argv.slice(2);
const opt = (n: string) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const modelDir = opt("--model") ?? fileURLToPath(new URL("../data/models/kick-s", import.meta.url));
const nWindows = Number(opt("--windows") ?? 8);
const items = opt("--items") ?? "all";

async function evaluate(precision: Precision) {
  const plan = await expandPlan({ backend: "gpu", precision, models: [{ name: basename(modelDir), path: modelDir }], tasks: [{ task: "perplexity", items }, { task: "factoid_qa", items }] }, "f16-accuracy.json");
  const loaded = await loadModel(modelDir, "gpu", precision);
  try {
    const out = new Map<string, Awaited<ReturnType<typeof executeRun>>>();
    for (const run of plan.runs as PlannedRun[]) {
      const t0 = performance.now();
      out.set(run.task.task, await executeRun(run, loaded));
      console.error(`[f16-accuracy] ${precision} ${run.task.task}: ${((performance.now() - t0) / 1000).toFixed(1)} s on ${loaded.device}`);
    }
    // logits over windows of the perplexity task's held-out text (its test items, joined as the task does)
    const L = Math.min(loaded.spec.maxPositions, 512);
    const docs = selectItems({ ...parseTaskSpec("perplexity", "f16-accuracy"), task: "perplexity" }).map((x) => x.text);
    const stream = loaded.tokenizer.encode(docs.slice(0, 20).join("\n\n"));
    const logits: Float32Array[] = [];
    for (let w = 0; w < nWindows && (w + 1) * L <= stream.length; w++) logits.push((await loaded.model.forward({ ids: [stream.slice(w * L, (w + 1) * L)] })).data);
    return { out, logits, L, device: loaded.device };
  } finally {
    await loaded.dispose();
  }
}

async function main() {
  const a = await evaluate("f32"), b = await evaluate("f16");
  console.log(`model ${modelDir}`);
  console.log(`f32 device: ${a.device}`);
  console.log(`f16 device: ${b.device}`);
  let worst = 0, sum = 0, n = 0, scale = 0;
  a.logits.forEach((x, w) => x.forEach((v, i) => { const d = Math.abs(v - b.logits[w][i]); worst = Math.max(worst, d); sum += d; n++; scale = Math.max(scale, Math.abs(v)); }));
  console.log(`logits (${a.logits.length} held-out windows of ${a.L} tokens): max |f16 - f32| ${worst.toExponential(3)}, mean ${(sum / n).toExponential(3)}, max |logit| ${scale.toFixed(3)}`);
  const ppl = (r: typeof a) => r.out.get("perplexity")!.results.find((x) => x.subset === "all" && x.metric === "perplexity")!.value;
  const p32 = ppl(a), p16 = ppl(b);
  console.log(`perplexity (all sources): f32 ${p32.toFixed(4)}, f16 ${p16.toFixed(4)}, relative difference ${(((p16 - p32) / p32) * 100).toFixed(4)}%`);
  const ans = (r: typeof a) => new Map(r.out.get("factoid_qa")!.examples.map((e) => [e.example_id, e.prediction]));
  const x32 = ans(a), x16 = ans(b);
  let same = 0;
  for (const [id, p] of x32) if (x16.get(id) === p) same++;
  console.log(`factoid_qa greedy answers identical: ${same} of ${x32.size} (${((same / x32.size) * 100).toFixed(2)}%)`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
