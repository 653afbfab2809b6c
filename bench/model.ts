// Perplexity throughput of the WebGPU transformer: `tsx bench/model.ts MODEL_DIR TOKENS.u32 [--window 2048]
// [--windows N] [--out FILE]`. The first window warms up (pipeline compilation) and is not timed; the rest
// are, end to end (forward, cross-entropy on the GPU, reading back the losses). Companion: model_torch.py.
import { readFileSync, writeFileSync } from "node:fs";
import { perplexity } from "../loaders/model/generate.js";
import { GpuCausalLM } from "../loaders/model/gpu-forward.js";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const [dir, tokFile] = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"));
if (!dir || !tokFile) {
  console.error("usage: bench/model.ts MODEL_DIR TOKENS.u32 [--window 2048] [--windows 4] [--out FILE]");
  process.exit(2);
}
const window = Number(arg("window", "2048"));
const windows = Number(arg("windows", "4"));
const raw = readFileSync(tokFile);
const stream = Array.from(new Uint32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4));
if (stream.length < (windows + 1) * window) throw new Error(`${tokFile}: ${stream.length} tokens, need ${(windows + 1) * window}`);

let t0 = performance.now();
const model = await GpuCausalLM.open(dir, { maxTokens: window });
const loadS = (performance.now() - t0) / 1000;
console.error(`[kick] ${model.ctx.adapterDescription}: loaded ${dir} in ${loadS.toFixed(1)} s`);
const warm = await perplexity(model, stream.slice(0, window), { window });
t0 = performance.now();
const res = await perplexity(model, stream.slice(window, (windows + 1) * window), {
  window,
  onProgress: (d, n) => console.error(`[kick] window ${d}/${n}`),
});
const s = (performance.now() - t0) / 1000;
const out = {
  impl: "kick-webgpu",
  device: model.ctx.adapterDescription,
  window,
  windows,
  seconds: s,
  tokens_per_s: (windows * window) / s,
  ppl: res.perplexity,
  window_nlls: res.windowNlls,
  warmup_nll: warm.windowNlls[0],
  load_s: loadS,
};
console.log(`kick (WebGPU f32): ${out.tokens_per_s.toFixed(0)} tokens/s over ${windows} windows of ${window} (ppl ${res.perplexity.toFixed(4)})`);
if (arg("out", "")) writeFileSync(arg("out", ""), JSON.stringify(out, null, 1));
await model.dispose();
