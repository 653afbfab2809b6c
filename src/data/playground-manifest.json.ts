// What the playground page needs besides the model files: the variants and their sizes, the tokenizer's config
// and special tokens, and the task-suite questions (CI items of factoid QA) whose prompts fit the model's context.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parameterCount } from "../../loaders/model/config.js";
import { openModel } from "../../loaders/model/load.js";
import { playgroundArtifacts } from "../../loaders/onnx/playground.js";
import { PLAYGROUND_CACHE, PLAYGROUND_MAX_NEW_TOKENS, PLAYGROUND_MODEL_DIR, PLAYGROUND_MODEL_LABEL, PLAYGROUND_RECIPE, PLAYGROUND_VARIANTS } from "./playground-model.js";

const { spec, tokenizer, weights } = await openModel(PLAYGROUND_MODEL_DIR);
await weights.close();
if (!tokenizer) throw new Error(`${PLAYGROUND_MODEL_DIR}: no tokenizer.json`);
const art = await playgroundArtifacts(PLAYGROUND_MODEL_DIR, PLAYGROUND_RECIPE, PLAYGROUND_CACHE, (m) => console.error(`[playground] ${m}`));
const variants = PLAYGROUND_VARIANTS.map((v) => ({ ...v, bytes: (v.bits === 4 ? art.q4 : art.dense).byteLength }));
const tasks = fileURLToPath(new URL("../../data/tasks/factoid_qa.jsonl", import.meta.url));
const questions = readFileSync(tasks, "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as { id: string; task: string; ci: boolean; question: string; prompt: string; answer: string })
  .filter((item) => item.ci)
  .map((item) => ({ id: item.id, task: item.task, question: item.question, prompt: item.prompt, answer: item.answer, promptTokens: tokenizer.encode(item.prompt).length }))
  .filter((item) => item.promptTokens + PLAYGROUND_MAX_NEW_TOKENS <= spec.maxPositions);
const manifest = {
  model: { label: PLAYGROUND_MODEL_LABEL, architecture: spec.architecture, parameters: parameterCount(spec), layers: spec.numLayers, hidden: spec.hiddenSize, vocab: spec.vocabSize },
  maxPositions: spec.maxPositions,
  maxNewTokens: PLAYGROUND_MAX_NEW_TOKENS,
  numLayers: spec.numLayers,
  numKvHeads: spec.numKvHeads,
  headDim: spec.headDim,
  eosTokenIds: tokenizer.eosTokenIds,
  tokenizerConfig: JSON.parse(readFileSync(join(PLAYGROUND_MODEL_DIR, "tokenizer_config.json"), "utf8")),
  promptTemplate: "Q: {question}\nA:",
  quantization: { ...art.q4Info, recipe: PLAYGROUND_RECIPE },
  variants,
  questions,
};
process.stdout.write(JSON.stringify(manifest, null, 1));
