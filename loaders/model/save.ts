/**
 * Writing a (modified) model back as a Hugging Face directory that transformers loads unchanged: config.json
 * (dtype updated), safetensors in the names save_pretrained uses (sharded with an index when large), and the
 * tokenizer / generation files copied from the source. All checks run before anything is written, and the
 * directory appears atomically (built under a temporary name, then renamed).
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { ModelSpec } from "./config.js";
import { ModelFormatError } from "./errors.js";
import { writeCheckpointTensors } from "./safetensors.js";
import type { FloatDtype, TensorSource } from "./safetensors.js";
import { transpose, weightSources } from "./weights.js";

/** Files copied verbatim from the source checkpoint when present. */
export const COPIED_FILES = [
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "chat_template.jinja",
  "tokenizer.model",
  "vocab.json",
  "merges.txt",
  "added_tokens.json",
];

export type SaveDtype = "float32" | "float16" | "bfloat16";
const TO_SAFETENSORS: Record<SaveDtype, FloatDtype> = { float32: "F32", float16: "F16", bfloat16: "BF16" };

export interface SaveOptions {
  /** the source checkpoint: its config.json is the base of the new one, its tokenizer files are copied */
  sourceDir: string;
  spec: ModelSpec;
  /** canonical weights (see weights.ts), in memory or fetched one at a time (streaming) */
  weights: Map<string, Float32Array> | ((canonical: string) => Promise<Float32Array> | Float32Array);
  /** storage dtype; "keep" = the source's (config.json's dtype, else float32). Default float32. */
  dtype?: SaveDtype | "keep";
  /** shard above this many bytes (default 5 GiB, as save_pretrained) */
  maxShardBytes?: number;
  /** replace an existing directory (default: refuse) */
  overwrite?: boolean;
  /** extra safetensors metadata */
  metadata?: Record<string, string>;
}

export async function saveModel(outDir: string, opts: SaveOptions): Promise<string[]> {
  const { spec } = opts;
  const dtype: SaveDtype = opts.dtype === "keep" ? (spec.dtype ?? "float32") : (opts.dtype ?? "float32");
  if (existsSync(outDir) && !opts.overwrite) throw new ModelFormatError(outDir, "already exists (pass overwrite to replace it)");
  const configPath = join(opts.sourceDir, "config.json");
  let configText: string;
  try {
    configText = await readFile(configPath, "utf8");
    JSON.parse(configText);
  } catch (e) {
    throw new ModelFormatError(configPath, `cannot read source config (${(e as Error).message})`);
  }
  configText = configWithDtype(configText, dtype);

  const get = async (name: string): Promise<Float32Array> => {
    const w = opts.weights;
    const data = w instanceof Map ? w.get(name) : await w(name);
    if (!data) throw new ModelFormatError(outDir, `weight "${name}" missing from the model to save`);
    return data;
  };
  const tensors = hfTensors(spec, get);
  // Check every weight's size before writing anything (in-memory weights only: streamed ones are checked as written).
  if (opts.weights instanceof Map) {
    for (const s of weightSources(spec)) {
      const d = opts.weights.get(s.canonical);
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (!d) throw new ModelFormatError(outDir, `weight "${s.canonical}" missing from the model to save`);
      if (d.length !== n) throw new ModelFormatError(outDir, `weight "${s.canonical}" has ${d.length} values; the spec implies [${s.shape.join(", ")}]`);
    }
  }

  const tmp = join(dirname(outDir), `.${basename(outDir)}.tmp-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    const written = await writeCheckpointTensors(tmp, tensors, {
      dtype: TO_SAFETENSORS[dtype],
      maxShardBytes: opts.maxShardBytes,
      metadata: opts.metadata,
    });
    await writeFile(join(tmp, "config.json"), configText);
    written.push("config.json");
    for (const f of COPIED_FILES) {
      if (existsSync(join(opts.sourceDir, f))) {
        await copyFile(join(opts.sourceDir, f), join(tmp, f));
        written.push(f);
      }
    }
    if (existsSync(outDir)) await rm(outDir, { recursive: true });
    await rename(tmp, outDir);
    return written.sort();
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The source config.json text with its dtype set: `dtype` (added when neither spelling is there) and
 * `torch_dtype` where present. Edited as text, not re-serialised: JSON.stringify writes 30.0 as 30, and
 * transformers 5's strict configs refuse an int in a float field (Gemma's final_logit_softcapping).
 */
export function configWithDtype(text: string, dtype: SaveDtype): string {
  const config = JSON.parse(text) as Record<string, unknown>;
  let out = text;
  for (const key of ["dtype", "torch_dtype"]) {
    if (!(key in config)) continue;
    // every occurrence: a nested config of the same checkpoint stores the same weights
    const re = new RegExp(`("${key}"\\s*:\\s*)(null|"[^"]*")`, "g");
    out = out.replace(re, (_m, head: string) => `${head}"${dtype}"`);
  }
  if (!("dtype" in config) && !("torch_dtype" in config)) out = out.replace(/^\s*\{/, (m) => `${m}\n  "dtype": "${dtype}",`);
  const check = JSON.parse(out) as Record<string, unknown>;
  if (("dtype" in check && check.dtype !== dtype) || ("torch_dtype" in check && check.torch_dtype !== dtype)) {
    throw new Error(`config.json: could not set dtype ${dtype}`);
  }
  return out;
}

/** Canonical weights → the tensors save_pretrained would write (GPT-2: fused, transposed Conv1D; Phi-3: fused). */
export function hfTensors(spec: ModelSpec, get: (canonical: string) => Promise<Float32Array>): TensorSource[] {
  const out: TensorSource[] = [];
  const seen = new Set<string>();
  for (const s of weightSources(spec)) {
    if (seen.has(s.hf)) continue;
    seen.add(s.hf);
    if (s.split) {
      // the canonical parts (q, k, v; gate, up) that make up this fused tensor, in order
      const parts = weightSources(spec).filter((x) => x.hf === s.hf).map((x) => x.canonical);
      const fused = s.split.fusedShape;
      out.push({
        name: s.hf,
        shape: fused,
        data: async () => {
          const datas = await Promise.all(parts.map(get));
          const cat = new Float32Array(datas.reduce((a, d) => a + d.length, 0));
          let o = 0;
          for (const d of datas) {
            cat.set(d, o);
            o += d.length;
          }
          // GPT-2 weights: [3h, h] canonical rows → Conv1D [h, 3h]; biases and Phi-3's parts are just stacked
          return s.transpose ? transpose(cat, fused[1], fused[0]) : cat;
        },
      });
    } else if (s.transpose) {
      out.push({ name: s.hf, shape: [s.shape[1], s.shape[0]], data: async () => transpose(await get(s.canonical), s.shape[0], s.shape[1]) });
    } else {
      out.push({ name: s.hf, shape: s.shape, data: () => get(s.canonical) });
    }
  }
  return out;
}
