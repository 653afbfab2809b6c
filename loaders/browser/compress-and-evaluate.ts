// "Compress it yourself" (src/compress-yourself.md): one compression spec applied to a checkpoint and evaluated,
// with the modules the loaders use — the spec parser and columns of the sweep registry, the calibration sampler,
// the compression driver on the WebGPU forward, the evaluators — and every file read through FileStores (in a
// page: files fetched from the site). Bundled for the browser by ./bundle.ts; runs in Node as well (the test
// compares both with the sweep's own path).
import { createContext, deviceProvenance, type GpuContext } from "../../kernels/index.js";
import { checkModelForSpec, type LayerReport } from "../compress/driver.js";
import { calibrationChars, textCalibrationTokens } from "../compress/calibration.js";
import { calibrationWindows, compressGpuModel } from "../compress/loaded-model.js";
import type { CompressionSpec } from "../compress/spec.js";
import { evaluateTask, parseTaskSpec, type TaskSpec } from "../evaluate/index.js";
import type { ExampleOut } from "../evaluate/common.js";
import { loadSuites } from "../evaluate/suite.js";
import { GpuCausalLM } from "../model/gpu-forward.js";
import { openModelStore } from "../model/load.js";
import { compressionMethod, parseCompression, type CompressionColumns, type CompressionSpecObject } from "../sweep/compression.js";
import { toCompressionSpec } from "../sweep/compression-methods.js";
import { codeVersion } from "../sweep/provenance.js";
import type { PlannedRun } from "../sweep/plan.js";
import { finishedRun } from "../sweep/finished-run.js";
import type { ResultRow } from "../sweep/schema.js";
import type { FileStore } from "../util/file-store.js";

/** The folder name the page's task suites are registered under (loadSuites): not a folder on disk. */
export const SITE_TASKS = "site:tasks";
/** The calibration text the page ships: the start of kick's corpus (data/corpus/train-000.txt). */
export const CALIBRATION_FILE = "calibration.txt";

export interface EvaluationSettings {
  /** perplexity: the first `limit` held-out test items, in windows of `seqLen` tokens */
  perplexity: { limit: number; seqLen: number };
  /** factoid QA: the first `limit` test items */
  factoid: { limit: number };
}

/** The two task specs of a run (the stored sweep's tasks, on the first items). */
export function taskSpecs(e: EvaluationSettings): TaskSpec[] {
  return [
    parseTaskSpec({ task: "perplexity", seq_len: e.perplexity.seqLen, limit: e.perplexity.limit }),
    parseTaskSpec({ task: "factoid_qa", limit: e.factoid.limit }),
  ];
}

export interface ParsedRun {
  /** the sweep's normalised compression entry (the runs table's compression column) */
  entry: CompressionSpecObject;
  cspec: CompressionSpec;
}

/** The results table's compression columns of a normalised entry (parseRun's). */
export const compressionColumns = (entry: CompressionSpecObject): CompressionColumns => compressionMethod(entry).columns(entry);

export { fetchFileStore } from "../util/file-store.js";

/** Validates a compression entry as a sweep plan does: a bad one throws the spec parser's message. */
export function parseRun(entry: unknown, where = "compression"): ParsedRun {
  const normalised = parseCompression(entry, where);
  return { entry: normalised, cspec: toCompressionSpec(normalised, where) };
}

export type Phase = "load" | "compress" | "perplexity" | "factoid_qa";

export interface Progress {
  phase: Phase;
  done: number;
  total: number;
}

export interface RunOptions {
  /** the checkpoint's files */
  model: FileStore;
  /** perplexity.jsonl, factoid_qa.jsonl and calibration.txt */
  site: FileStore;
  /** the `model` column */
  modelName: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** a context to run on (default: a new one, destroyed at the end) */
  ctx?: GpuContext;
}

export interface RunOutcome {
  entry: CompressionSpecObject;
  /** the results table's rows of both tasks */
  results: ResultRow[];
  /** per task, the evaluators' scored examples (window NLLs, answers) */
  examples: { task: string; examples: ExampleOut[] }[];
  layers: LayerReport[];
  /** seconds per phase */
  seconds: Record<Phase, number>;
  device: string;
}

export class RunCancelled extends Error {
  constructor() {
    super("cancelled");
    this.name = "RunCancelled";
  }
}

/** Compresses the model per `entry` on the GPU, then evaluates perplexity and factoid QA. */
export async function compressAndEvaluate(entry: unknown, evaluation: EvaluationSettings, o: RunOptions): Promise<RunOutcome> {
  const { entry: normalised, cspec } = parseRun(entry);
  const tasks = taskSpecs(evaluation);
  const seconds: Record<Phase, number> = { load: 0, compress: 0, perplexity: 0, factoid_qa: 0 };
  const check = () => {
    if (o.signal?.aborted) throw new RunCancelled();
  };
  const progress = (phase: Phase, done: number, total: number) => {
    check();
    o.onProgress?.({ phase, done, total });
  };
  let t = performance.now();
  const lap = (phase: Phase) => {
    const now = performance.now();
    seconds[phase] = (now - t) / 1000;
    t = now;
  };

  progress("load", 0, 1);
  const opened = await openModelStore(o.model);
  const { spec } = opened;
  if (!opened.tokenizer) throw new Error(`${o.model.where("tokenizer.json")}: missing (the evaluations need the model's tokenizer)`);
  const tokenizer = opened.tokenizer;
  checkModelForSpec(spec, cspec);
  const calibrationText = cspec.method === "magnitude" || cspec.method === "rtn" ? "" : await o.site.readText(CALIBRATION_FILE);
  const samples = calibrationWindows(cspec, spec, o.modelName, () => ({
    tokens: textCalibrationTokens(calibrationText, tokenizer, calibrationChars(cspec.calibration)),
    what: o.site.where(CALIBRATION_FILE),
  }));
  await loadSuites(o.site, SITE_TASKS, ["perplexity", "factoid_qa"]);
  const ctx = o.ctx ?? (await createContext());
  let model: GpuCausalLM | null = null;
  try {
    // WebGPU does not report a GPU's memory: allocation failures are caught instead (GpuMemoryError)
    model = await GpuCausalLM.create(spec, opened.weights, { ctx, memoryBytes: Number.POSITIVE_INFINITY, maxTokens: Math.min(spec.maxPositions, 4096) });
    progress("load", 1, 1);
    lap("load");

    const compressed = await compressGpuModel(model, o.model, spec, cspec, samples, { onLayer: (_r, done, total) => progress("compress", done, total) });
    lap("compress");

    const results: ResultRow[] = [];
    const examples: RunOutcome["examples"] = [];
    const device = deviceProvenance(ctx);
    for (const task of tasks) {
      const phase = task.task as Phase;
      const startedAt = new Date().toISOString();
      const r = await evaluateTask(task, { model, tokenizer, seed: 0, tasksDir: SITE_TASKS, onProgress: (done, total) => progress(phase, done, total) });
      lap(phase);
      // the store's rows, as a sweep makes them; not a stored run: no run key (its hash) and no weights hash
      const run: PlannedRun = {
        run_id: `browser-${task.task.replace(/_/g, "-")}-${startedAt}`,
        model: { name: o.modelName, dir: o.model.where("."), hash: "" },
        compression: normalised,
        task,
        seed: 0,
        backend: "gpu",
        code_version: codeVersion(),
      };
      results.push(...finishedRun(run, { spec, device }, r, { seconds: seconds.compress + seconds[phase], startedAt }).results);
      examples.push({ task: task.task, examples: r.examples });
    }
    return { entry: normalised, results, examples, layers: compressed.report, seconds, device };
  } finally {
    await model?.dispose();
    await opened.weights.close();
    if (!o.ctx) await ctx.destroy();
  }
}
