/**
 * Opening a Hugging Face checkpoint directory: config, weights and tokenizer all validated up front (before
 * any GPU work), weights left on disk until asked for.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readModelSpec } from "./config.js";
import { ModelFormatError } from "./errors.js";
import type { ModelSpec } from "./config.js";
import { ReferenceModel } from "./reference-forward.js";
import { ModelTokenizer } from "./tokenizer.js";
import { CheckpointWeights } from "./weights.js";

export interface OpenedModel {
  dir: string;
  spec: ModelSpec;
  weights: CheckpointWeights;
  /** null when the directory has no tokenizer.json */
  tokenizer: ModelTokenizer | null;
}

export async function openModel(dir: string): Promise<OpenedModel> {
  const spec = readModelSpec(dir);
  const tokenizer = existsSync(join(dir, "tokenizer.json")) ? ModelTokenizer.load(dir) : null;
  // an id past the embedding would otherwise fail deep inside an evaluation, naming neither file
  if (tokenizer && tokenizer.idLimit > spec.vocabSize)
    throw new ModelFormatError(
      join(dir, "tokenizer.json"),
      `token ids go up to ${tokenizer.idLimit - 1} (${tokenizer.idLimit} ids), more than the ${spec.vocabSize} of vocab_size in ${join(dir, "config.json")}: the tokenizer does not belong to these weights (or its added tokens were never given embedding rows)`,
    );
  const weights = await CheckpointWeights.open(dir, spec);
  return { dir, spec, weights, tokenizer };
}

/** The CPU reference model with all weights in memory (small models: tests, oracles). */
export async function loadReferenceModel(dir: string): Promise<{ model: ReferenceModel; opened: OpenedModel }> {
  const opened = await openModel(dir);
  try {
    return { model: new ReferenceModel(opened.spec, await opened.weights.loadAll()), opened };
  } finally {
    await opened.weights.close();
  }
}
