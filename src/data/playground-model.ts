// Shared by the playground's data loaders: which checkpoint the site ships and how it is exported. Until kick's own
// trained models exist (issue 6), the playground ships the tiny random Llama test fixture: its answers are noise,
// but it exercises the whole path (export → static asset → onnxruntime-web → greedy generation) at ~250 KB.
import { fileURLToPath } from "node:url";
import type { ExportOptions } from "../../loaders/onnx/export.js";

export const PLAYGROUND_MODEL_DIR = fileURLToPath(new URL("../../test/fixtures/models/llama/", import.meta.url));
export const PLAYGROUND_MODEL_LABEL = "tiny random Llama (test fixture; stands in until kick's trained models exist)";
export const PLAYGROUND_MAX_NEW_TOKENS = 12;

export const PLAYGROUND_VARIANTS: { id: string; file: string; label: string; options: ExportOptions }[] = [
  { id: "dense", file: "playground-dense.onnx", label: "dense (f32)", options: { bits: 32 } },
  { id: "q4g32", file: "playground-q4g32.onnx", label: "4-bit RTN, group 32 (MatMulNBits)", options: { bits: 4, groupSize: 32 } },
];
