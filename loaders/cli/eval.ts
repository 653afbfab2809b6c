// kick eval --model DIR --task TASK [options]: one evaluation, printed as a table (or JSON), optionally
// stored as a run. Standalone meanwhile: npx tsx loaders/cli/eval.ts --model DIR --task mcq
import { basename, resolve } from "node:path";
import { hardPromptPrefix, parseTaskSpec, TASK_NAMES, taskSpecId } from "../evaluate/task-spec.js";
import { parseCompression } from "../sweep/compression.js";
import { BACKENDS, type Backend, checkModelDir, loadModel, modelWeightsHash } from "../sweep/models.js";
import { runIdFor } from "../sweep/plan.js";
import { PRECISIONS } from "../model/half-weights.js";
import { checkStoreDir } from "../sweep/store-dir.js";
import { checkSoftPrompt, expandPromptAlias, isSoft, minTextTokens } from "../prompt/resolve.js";
import { codeVersion } from "../sweep/provenance.js";
import { DenseModels } from "../sweep/dense-reference.js";
import { executeRun } from "../sweep/runner.js";
import { bindTasksDir, checkTasksDir } from "../evaluate/tasks-dir.js";
import { parseCommand } from "./args.js";
import { isMain } from "../util/is-main.js";

export const summary = "evaluate one model on one task (LLM-KICK scoring), print the metrics, optionally store the run";

const HELP = `Usage: kick eval --model DIR --task TASK [options]

Tasks: ${TASK_NAMES.join(", ")} (suites in data/tasks, built by npm run data).

Options:
  --model DIR            Hugging Face checkpoint directory (config.json, *.safetensors, tokenizer.json)
  --task TASK            task name, or a full task spec as JSON ('{"task":"mcq","k_shot":5}')
  --items all|ci         all items (default) or the 40 ci items
  --limit N              the first N items
  --k-shot K             mcq: K solved dev examples of the same subject (0–5)
  --scoring LIST         mcq: any of generate,loglik,cloze (default generate,loglik); cloze scores each option's text, no letters
  --max-new-tokens N     generation budget (default per task)
  --seq-len N            perplexity window (default: the model's context, at most 2048)
  --temperature T        0 = greedy (default); > 0 seeded sampling
  --prompt P             none | hard:<text> | paper-b (Paper B's hard prompt, "The weight matrix inside
                         the language model contains errors. ...") | soft:<id> (needs --prompts-dir)
  --prompts-dir DIR      folder of soft prompts (kick prompt --out): soft:<id> is DIR/<id>/; checked to
                         exist, be sound and fit the model (width, tokenizer, context) before loading it
  --tasks-dir DIR        the task suites to read (default data/tasks): a folder of kick tasks import; its
                         content hash goes into the task spec, so the run is keyed and recorded apart
  --seed N               sampling and bootstrap seed (default 0)
  --compression JSON     compression spec (default {"method":"dense"})
  --backend cpu|gpu      cpu: the f64 reference forward (small models); gpu: WebGPU (default cpu)
  --precision f32|f16    gpu: the matmuls' operands (f16: f16 weights and inputs, f32 accumulation,
                         f32 residual stream; needs shader-f16); keyed and recorded (default f32)
  --batch-size N         sequences generated or scored together (default: by the model's memory needs);
                         results do not depend on it
  --store DIR            also write the run to this results store
  --json                 print the result rows as JSON lines
  -h, --help             this help`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand("eval", argv, {
    model: { type: "string" },
    task: { type: "string" },
    items: { type: "string" },
    limit: { type: "string" },
    "k-shot": { type: "string" },
    scoring: { type: "string" },
    "max-new-tokens": { type: "string" },
    "seq-len": { type: "string" },
    temperature: { type: "string" },
    prompt: { type: "string" },
    "prompts-dir": { type: "string" },
    "tasks-dir": { type: "string" },
    precision: { type: "string" },
    seed: { type: "string" },
    compression: { type: "string" },
    backend: { type: "string" },
    "batch-size": { type: "string" },
    store: { type: "string" },
    json: { type: "boolean" },
  }, HELP, { positionals: false });
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const num = (k: string, integer: boolean) => {
    const s = str(k);
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new Error(`--${k} must be ${integer ? "an integer" : "a number"}, got "${s}"`);
    return n;
  };
  let run;
  let backend: Backend;
  let batchSize: number;
  try {
    const modelDir = str("model");
    if (!modelDir) throw new Error("--model DIR is required");
    checkModelDir(modelDir, "--model");
    const taskArg = str("task");
    if (!taskArg) throw new Error(`--task is required (one of ${TASK_NAMES.join(", ")})`);
    const base = taskArg.trim().startsWith("{") ? (JSON.parse(taskArg) as Record<string, unknown>) : { task: taskArg };
    const overrides: Record<string, unknown> = {
      items: str("items"),
      limit: num("limit", true),
      k_shot: num("k-shot", true),
      scoring: str("scoring")?.split(","),
      max_new_tokens: num("max-new-tokens", true),
      seq_len: num("seq-len", true),
      temperature: num("temperature", false),
      prompt: str("prompt") === undefined ? undefined : expandPromptAlias(str("prompt")!),
    };
    if (typeof base.prompt === "string") base.prompt = expandPromptAlias(base.prompt);
    for (const [k, x] of Object.entries(overrides)) if (x !== undefined) base[k] = x;
    const tasksDir = str("tasks-dir") === undefined ? undefined : checkTasksDir(str("tasks-dir")!, "--tasks-dir");
    const task = bindTasksDir(parseTaskSpec(base, "--task"), tasksDir, "--task");
    const promptsDir = str("prompts-dir");
    let promptSha: string | undefined;
    if (isSoft(task.prompt) && promptsDir) promptSha = (await checkSoftPrompt(promptsDir, task.prompt, modelDir, "--prompt", minTextTokens(task))).sha256; // before the model is loaded
    else {
      try {
        hardPromptPrefix(task);
      } catch (e) {
        throw new Error(`${(e as Error).message}; kick eval: pass --prompts-dir DIR (the folder of kick prompt --out)`);
      }
    }
    const compression = parseCompression(str("compression") ? JSON.parse(str("compression")!) : { method: "dense" }, "--compression");
    const b = str("backend") ?? "cpu";
    if (!(BACKENDS as readonly string[]).includes(b)) throw new Error(`--backend must be one of ${BACKENDS.join(", ")}, got "${b}"`);
    backend = b as Backend;
    const pr = str("precision") ?? "f32";
    if (!(PRECISIONS as readonly string[]).includes(pr)) throw new Error(`--precision must be one of ${PRECISIONS.join(", ")}, got "${pr}"`);
    if (pr === "f16" && backend !== "gpu") throw new Error("--precision f16 needs --backend gpu (the cpu backend is the float64 reference)");
    batchSize = num("batch-size", true) ?? 0; // 0: the evaluators choose (loaders/model/generate.ts defaultBatchRows)
    if (batchSize < 0 || (str("batch-size") !== undefined && batchSize < 1)) throw new Error(`--batch-size must be ≥ 1, got ${batchSize}`);
    const seed = num("seed", true) ?? 0;
    const storeDir = str("store");
    if (storeDir) {
      checkStoreDir(storeDir, "--store");
      // opened (created, its version checked) before the evaluation, not after it; DuckDB is loaded only when
      // needed, as the bare GPU host's bundle leaves that native module out
      const { ResultsStore } = await import("../sweep/store.js");
      await ResultsStore.open(storeDir, { create: true });
    }
    const model = { name: basename(resolve(modelDir)), dir: modelDir, hash: await modelWeightsHash(modelDir) };
    const planned = { model, compression, task, seed, backend, code_version: codeVersion(), ...(promptSha ? { prompt_sha256: promptSha } : {}), ...(pr === "f16" ? { precision: "f16" as const } : {}) };
    run = { run_id: runIdFor(planned), ...planned, ...(tasksDir?.sha256 ? { tasks_dir: tasksDir.dir } : {}) };
  } catch (e) {
    process.stderr.write(`kick eval: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    const loaded = await loadModel(run.model.dir, backend, run.precision ?? "f32");
    const denseModels = new DenseModels(); // the same metrics against the dense model as a sweep's run
    try {
      process.stderr.write(`[eval] ${run.model.name} on ${loaded.device}: ${taskSpecId(run.task)} (run ${run.run_id})\n`);
      let last = 0;
      const t0 = performance.now();
      const finished = await executeRun(run, loaded, {
        batchSize,
        denseModels,
        promptsDir: str("prompts-dir"),
        onProgress: (done, total) => {
          const now = performance.now();
          if (now - last < 1000 && done < total) return;
          last = now;
          const s = (now - t0) / 1000;
          process.stderr.write(`[eval] ${done}/${total} · ${s.toFixed(1)} s${done < total && done > 0 ? ` · ETA ${(((total - done) * s) / done).toFixed(1)} s` : ""}\n`);
        },
      });
      if (v.json) {
        for (const r of finished.results) process.stdout.write(`${JSON.stringify(r)}\n`);
      } else {
        const ci = (x: number | null) => (x === null ? "" : x.toFixed(4));
        process.stdout.write(`subset\tmetric\tvalue\tn\tci_low\tci_high\n`);
        for (const r of finished.results) process.stdout.write(`${r.subset}\t${r.metric}\t${r.value.toFixed(4)}\t${r.n}\t${ci(r.ci_low)}\t${ci(r.ci_high)}\n`);
      }
      process.stderr.write(`[eval] ${finished.run.seconds.toFixed(2)} s, ${finished.tokens} tokens, ${(finished.tokens / Math.max(finished.run.seconds, 1e-9)).toFixed(0)} tokens/s\n`);
      const storeDir = str("store");
      if (storeDir) {
        const { ResultsStore } = await import("../sweep/store.js");
        const store = await ResultsStore.open(storeDir, { create: true });
        const { tokens: _tokens, ...rows } = finished;
        const written = await store.writeRun(rows);
        process.stderr.write(`[eval] ${written ? "stored" : "already stored"}: ${storeDir}/runs/${run.run_id}\n`);
      }
      return 0;
    } finally {
      await loaded.dispose();
      await denseModels.dispose();
    }
  } catch (e) {
    process.stderr.write(`kick eval: ${(e as Error).message}\n`);
    return 1;
  }
}

if (isMain(import.meta.url, "loaders/cli/eval.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
