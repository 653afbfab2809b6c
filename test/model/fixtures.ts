/** Paths and readers for the fixtures made by test/reference/make_model_fixtures.py (HF transformers, GPU host). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { SafetensorsFile } from "../../loaders/model/safetensors.js";

// KICK_MODEL_FIXTURES points the suite at a freshly generated set (e.g. to check the script before committing).
export const FIXTURES = process.env.KICK_MODEL_FIXTURES ?? fileURLToPath(new URL("../fixtures/models/", import.meta.url));
export const MODELS = ["llama", "llama3-rope", "mistral", "qwen2", "opt", "opt-postln", "gpt2", "qwen3", "llama32", "gemma2", "gemma3", "phi3"] as const;

export interface ReferenceJson {
  tokenizer: string;
  prompts: { text: string; ids: number[]; greedy: number[]; greedy_min_margin: number }[];
  batch: { ids: number[][]; attention_mask: number[][] };
  perplexity: {
    stream: number[];
    window: number;
    ppl: number;
    window_nlls: number[];
    stride: number;
    ppl_stride: number;
    window_nlls_stride: number[];
  };
}

export function modelDir(name: string): string {
  return join(FIXTURES, name);
}

export function readReference(name: string): ReferenceJson {
  return JSON.parse(readFileSync(join(modelDir(name), "reference.json"), "utf8"));
}

/** HF logits: prompt{i} [T, V] and batch [B, T, V], f32. */
export async function readReferenceLogits(name: string): Promise<Map<string, Float32Array>> {
  const f = await SafetensorsFile.open(join(modelDir(name), "reference.safetensors"));
  try {
    const out = new Map<string, Float32Array>();
    for (const k of f.tensors.keys()) out.set(k, await f.read(k));
    return out;
  } finally {
    await f.close();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
