// Evaluation throughput of the WebGPU model: `tsx bench/eval.ts MODEL_DIR [--tasks factoid_qa,mcq,…]
// [--batch-size N] [--tasks-dir DIR] [--limit N] [--out FILE]`. Runs every task family (default specs, all
// items) once after a small warm-up (pipeline compilation), and prints seconds, tokens and tokens/s per task
// and in total. Issue #9's target: the 23M default model, all families, under a minute on an H200.
import { writeFileSync } from "node:fs";
import { evaluateTask, parseTaskSpec, TASK_NAMES } from "../loaders/evaluate/index.js";
import { GpuCausalLM } from "../loaders/model/gpu-forward.js";
import { ModelTokenizer } from "../loaders/model/tokenizer.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const dir = process.argv[2];
if (!dir || dir.startsWith("--")) {
  console.error("usage: bench/eval.ts MODEL_DIR [--tasks LIST] [--batch-size N] [--tasks-dir DIR] [--limit N] [--out FILE]");
  process.exit(2);
}
const tasks = (arg("tasks") ?? TASK_NAMES.join(",")).split(",");
const batchSize = arg("batch-size") ? Number(arg("batch-size")) : undefined;
const limit = arg("limit") ? Number(arg("limit")) : undefined;
const tasksDir = arg("tasks-dir");

let t0 = performance.now();
const model = await GpuCausalLM.open(dir, { maxTokens: 4096 });
const tokenizer = ModelTokenizer.load(dir);
console.error(`[bench-eval] ${model.ctx.adapterDescription}: loaded ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const ctxOf = () => ({ model, tokenizer, seed: 0, batchSize, tasksDir });
// warm-up: compiles the pipelines of prefill, decode and scoring shapes
for (const task of ["factoid_qa", "mcq"]) await evaluateTask(parseTaskSpec({ task, limit: 2 }), ctxOf());

const rows: { task: string; seconds: number; tokens: number; tokens_per_s: number; examples: number }[] = [];
for (const task of tasks) {
  const spec = parseTaskSpec({ task, ...(limit ? { limit } : {}) });
  t0 = performance.now();
  const r = await evaluateTask(spec, ctxOf());
  const seconds = (performance.now() - t0) / 1000;
  rows.push({ task, seconds, tokens: r.tokens, tokens_per_s: r.tokens / seconds, examples: r.examples.length });
  console.error(`[bench-eval] ${task}: ${seconds.toFixed(2)} s, ${r.tokens} tokens, ${(r.tokens / seconds).toFixed(0)} tokens/s`);
}
const total = { seconds: rows.reduce((a, r) => a + r.seconds, 0), tokens: rows.reduce((a, r) => a + r.tokens, 0) };
console.log("task\tseconds\ttokens\ttokens/s");
for (const r of rows) console.log(`${r.task}\t${r.seconds.toFixed(2)}\t${r.tokens}\t${r.tokens_per_s.toFixed(0)}`);
console.log(`total\t${total.seconds.toFixed(2)}\t${total.tokens}\t${(total.tokens / total.seconds).toFixed(0)}`);
console.log(`device: ${model.ctx.adapterDescription} | batch size ${batchSize ?? "auto"}`);
const out = arg("out");
if (out) writeFileSync(out, JSON.stringify({ device: model.ctx.adapterDescription, model: dir, batchSize: batchSize ?? "auto", rows, total }, null, 2));
await model.dispose();
