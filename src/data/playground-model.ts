// Shared by the playground's data loaders: which checkpoint the site ships and how its compressed variant is made.
// kick-s, the smallest member of kick's trained family (Llama, hidden 128, 6 layers, vocab 8192, tied embeddings):
// dense f32, and 4-bit GPTQ group 128 by kick's own quantizer (loaders/compress, on WebGPU) for every linear, with
// the tied embedding / LM head table 4-bit RTN group 32 (kick's quantizer leaves embeddings alone; kept f32 the
// 4-bit file would be ~0.6× the f32 one). Both files are built once and shared through PLAYGROUND_CACHE.
import { fileURLToPath } from "node:url";
import type { QuantRecipe } from "../../loaders/onnx/playground.js";

export const PLAYGROUND_MODEL_DIR = fileURLToPath(new URL("../../data/models/kick-s/", import.meta.url));
export const PLAYGROUND_MODEL_LABEL = "kick-s (kick's smallest trained model)";
export const PLAYGROUND_MAX_NEW_TOKENS = 12;
/** Where the quantized exports are kept between loaders (removed by `npm run clean` with the loader cache). */
export const PLAYGROUND_CACHE = fileURLToPath(new URL("../.observablehq/cache/kick-playground/", import.meta.url));

export const PLAYGROUND_RECIPE: QuantRecipe = { method: "gptq", bits: 4, groupSize: 128, samples: 32, seqLen: 256, seed: 0, embeddingGroupSize: 32 };

export const PLAYGROUND_VARIANTS: { id: string; file: string; label: string; bits: number; groupSize: number | null }[] = [
  { id: "dense", file: "playground-dense.onnx", label: "dense (f32)", bits: 32, groupSize: null },
  { id: "gptq4", file: "playground-gptq4.onnx", label: "4-bit GPTQ, group 128 (MatMulNBits); embedding 4-bit RTN, group 32", bits: 4, groupSize: 128 },
];
