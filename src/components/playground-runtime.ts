// onnxruntime-web in the page, self-hosted: the wasm binary is resolved from node_modules with import.meta.resolve,
// so `observable build` copies it into dist/_node/ (no CDN). The WebGPU execution provider is used when the
// browser offers a WebGPU adapter, the wasm one (single-threaded: static hosts are not cross-origin isolated)
// otherwise. Model files are fetched lazily (on first use), kept per URL for the page's life and left to the
// browser's HTTP cache across visits (Framework gives them content-hashed, immutable URLs).
import * as ort from "onnxruntime-web/webgpu";

ort.env.wasm.wasmPaths = { wasm: import.meta.resolve("onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm") };
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
// ORT prints its warnings (e.g. "some nodes were not assigned to the preferred execution provider": shape ops
// on the CPU, by design) through console.error; errors still surface as exceptions.
ort.env.logLevel = "error";

export type Backend = "webgpu" | "wasm";

export interface BackendChoice {
  backend: Backend;
  /** why: shown on the page */
  reason: string;
}

/** WebGPU when `navigator.gpu` gives an adapter (and the caller allows it), else wasm, with the reason. */
export async function chooseBackend(allowWebGpu = true): Promise<BackendChoice> {
  if (!allowWebGpu) return { backend: "wasm", reason: "WebGPU switched off on this page: running on WebAssembly (CPU)" };
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { backend: "wasm", reason: "this browser has no WebGPU (navigator.gpu is missing): running on WebAssembly (CPU) instead" };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { backend: "wasm", reason: "WebGPU gave no adapter: running on WebAssembly (CPU) instead" };
  } catch (error) {
    return { backend: "wasm", reason: `WebGPU failed (${(error as Error).message}): running on WebAssembly (CPU) instead` };
  }
  return { backend: "webgpu", reason: "running on WebGPU (onnxruntime-web's WebGPU execution provider)" };
}

export interface DecoderShape {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
}

export interface TokenStep {
  id: number;
  /** softmax probability of the chosen token */
  prob: number;
}

export interface GenerationResult {
  steps: TokenStep[];
  stoppedBy: "eos" | "length";
  /** wall time of the whole generation (prompt + steps), ms */
  ms: number;
  /** new tokens per second, prompt processing included */
  tokensPerSecond: number;
  /** time of the prompt's forward pass, ms */
  promptMs: number;
}

const sessions = new Map<string, Promise<{ session: ort.InferenceSession; bytes: number; loadMs: number }>>();

async function fetchModel(url: string): Promise<Uint8Array> {
  const response = await fetch(url, { cache: "force-cache" });
  if (!response.ok) throw new Error(`model file ${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** One session per (URL, backend), created on first use. */
export function loadSession(url: string, backend: Backend): Promise<{ session: ort.InferenceSession; bytes: number; loadMs: number }> {
  const key = `${backend} ${url}`;
  let s = sessions.get(key);
  if (!s) {
    s = (async () => {
      const t0 = performance.now();
      const bytes = await fetchModel(url);
      const session = await ort.InferenceSession.create(bytes, { executionProviders: [backend], graphOptimizationLevel: "all", logSeverityLevel: 3 });
      return { session, bytes: bytes.byteLength, loadMs: performance.now() - t0 };
    })();
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
  }
  return s;
}

const i64 = (values: number[], dims: number[]) => new ort.Tensor("int64", BigInt64Array.from(values.map((v) => BigInt(v))), dims);

/** Index of the largest value (ties: the lowest index, as torch.argmax and kick's generate) and its probability. */
export function pickGreedy(logits: Float32Array, offset: number, vocab: number): TokenStep {
  let best = 0;
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) {
    if (logits[offset + v] > max) {
      max = logits[offset + v];
      best = v;
    }
  }
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] - max);
  return { id: best, prob: 1 / sum };
}

/** Greedy decoding with the KV cache: the prompt in one run, then one token per run (present.* → past_key_values.*). */
export async function greedyGenerate(
  session: ort.InferenceSession,
  shape: DecoderShape,
  prompt: number[],
  opts: { maxNewTokens: number; eosTokenIds: number[]; onToken?: (step: TokenStep) => void },
): Promise<GenerationResult> {
  const t0 = performance.now();
  let past: Record<string, ort.Tensor> = {};
  for (let l = 0; l < shape.numLayers; l++) {
    for (const kind of ["key", "value"]) past[`past_key_values.${l}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [1, shape.numKvHeads, 0, shape.headDim]);
  }
  const steps: TokenStep[] = [];
  let feed = prompt;
  let length = 0;
  let promptMs = 0;
  let stoppedBy: GenerationResult["stoppedBy"] = "length";
  while (steps.length < opts.maxNewTokens) {
    const positions = feed.map((_, i) => length + i);
    length += feed.length;
    const out = await session.run({
      input_ids: i64(feed, [1, feed.length]),
      attention_mask: i64(new Array(length).fill(1), [1, length]),
      position_ids: i64(positions, [1, feed.length]),
      ...past,
    });
    if (steps.length === 0) promptMs = performance.now() - t0;
    const logits = (await out.logits.getData()) as Float32Array;
    const vocab = out.logits.dims[2];
    const step = pickGreedy(logits, (feed.length - 1) * vocab, vocab);
    for (const t of Object.values(past)) t.dispose();
    past = {};
    for (let l = 0; l < shape.numLayers; l++) {
      for (const kind of ["key", "value"]) past[`past_key_values.${l}.${kind}`] = out[`present.${l}.${kind}`];
    }
    out.logits.dispose();
    steps.push(step);
    opts.onToken?.(step);
    if (opts.eosTokenIds.includes(step.id)) {
      stoppedBy = "eos";
      break;
    }
    feed = [step.id];
  }
  for (const t of Object.values(past)) t.dispose();
  const ms = performance.now() - t0;
  return { steps, stoppedBy, ms, promptMs, tokensPerSecond: (steps.length / ms) * 1000 };
}
