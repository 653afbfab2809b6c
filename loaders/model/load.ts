/**
 * Opening a Hugging Face checkpoint directory: config, weights and tokenizer all validated up front (before
 * any GPU work), weights left on disk until asked for.
 */
import { parseModelConfig } from "./config.js";
import { ModelFormatError } from "./errors.js";
import type { ModelSpec } from "./config.js";
import { ReferenceModel } from "./reference-forward.js";
import { ModelTokenizer, readTokenizerSources } from "./tokenizer.js";
import { CheckpointWeights } from "./weights.js";
import type { FileStore } from "../util/file-store.js";
import { nodeFileStore } from "../util/node-file-store.js";

export interface OpenedModel {
  dir: string;
  spec: ModelSpec;
  weights: CheckpointWeights;
  /** null when the directory has no tokenizer.json */
  tokenizer: ModelTokenizer | null;
}

export async function openModel(dir: string): Promise<OpenedModel> {
  return { dir, ...(await openModelStore(nodeFileStore(dir))) };
}

/** As openModel, the checkpoint's files read through `store` (a folder on disk, or files fetched by a page). */
export async function openModelStore(store: FileStore): Promise<Omit<OpenedModel, "dir">> {
  let configText: string;
  try {
    configText = await store.readText("config.json");
  } catch (e) {
    throw new ModelFormatError(store.where("config.json"), `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message ?? e})`);
  }
  const spec = parseModelConfig(configText, store.where("config.json"));
  const tokenizer = (await store.has("tokenizer.json")) ? ModelTokenizer.fromSources(await readTokenizerSources(store)) : null;
  // an id past the embedding would otherwise fail deep inside an evaluation, naming neither file
  if (tokenizer && tokenizer.idLimit > spec.vocabSize)
    throw new ModelFormatError(
      store.where("tokenizer.json"),
      `token ids go up to ${tokenizer.idLimit - 1} (${tokenizer.idLimit} ids), more than the ${spec.vocabSize} of vocab_size in ${store.where("config.json")}: the tokenizer does not belong to these weights (or its added tokens were never given embedding rows)`,
    );
  const weights = await CheckpointWeights.openStore(store, spec);
  return { spec, weights, tokenizer };
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
