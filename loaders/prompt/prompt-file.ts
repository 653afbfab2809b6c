/**
 * Soft prompts on disk: `<promptsDir>/<id>/prompt.safetensors` (one F32 tensor "soft_prompt" [P, hidden]) and
 * `<promptsDir>/<id>/card.json` (what it was trained on: model and tokenizer hashes, compression spec, data,
 * steps, validation curve). Loading validates everything and checks that the prompt fits a model: same
 * width, same tokenizer (hash of tokenizer.json) and vocabulary, and room left in the context.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { ModelSpec } from "../model/config.js";
import { SafetensorsFile, writeSafetensors } from "../model/safetensors.js";

/** Paper B's hard-prompt baseline (case_study.py), used as `hard:<text>` by the evaluators. */
export const PAPER_B_HARD_PROMPT =
  "The weight matrix inside the language model contains errors. Make any necessary adjustments to ensure optimal performance.\n";
/** The TaskSpec prompt string of that baseline. */
export const PAPER_B_HARD_PROMPT_SPEC = `hard:${PAPER_B_HARD_PROMPT}`;

export const PROMPT_TENSOR = "soft_prompt";
export const PROMPT_ID = /^[A-Za-z0-9._-]+$/;

export class SoftPromptError extends Error {}

const curvePoint = z.object({ step: z.number().int().nonnegative(), ppl: z.number(), loss: z.number() }).strict();

/** Card fields naming the frozen model a soft prompt or LoRA adapter was trained on. */
export const cardModelShape = {
  /** sha256 of config.json and the weight files of the model it was trained on */
  modelHash: z.string(),
  /** sha256 of that model's tokenizer.json (null: none) */
  tokenizerHash: z.string().nullable(),
  modelDir: z.string(),
  /** compression.json next to the checkpoint, when present (kick compress output) */
  compression: z.unknown().nullable(),
};

/** Card fields of the training run (loop.ts's runRecord fills them). */
export const cardRunShape = {
  data: z.object({ train: z.string(), valid: z.string(), trainTokens: z.number().int(), validTokens: z.number().int(), sha256: z.string() }).strict(),
  optim: z.record(z.string(), z.union([z.number(), z.string()])),
  steps: z.number().int().nonnegative(),
  tokensSeen: z.number().int().nonnegative(),
  bestStep: z.number().int().nonnegative(),
  bestValidPpl: z.number(),
  /** validation perplexity without any prompt or adapter, same windows */
  baselineValidPpl: z.number(),
};

export const SoftPromptCardSchema = z
  .object({
    format: z.literal("kick-soft-prompt"),
    version: z.literal(1),
    id: z.string().regex(PROMPT_ID),
    length: z.number().int().positive(),
    hidden: z.number().int().positive(),
    vocabSize: z.number().int().positive(),
    ...cardModelShape,
    init: z.string(),
    ...cardRunShape,
    validation: z.array(curvePoint),
    tokensPerS: z.number(),
    trainableParameters: z.number().int().positive(),
    created: z.string(),
  })
  .strict();
export type SoftPromptCard = z.infer<typeof SoftPromptCardSchema>;

export interface SoftPrompt {
  /** [length, hidden] row-major */
  embeds: Float32Array;
  length: number;
  hidden: number;
  card: SoftPromptCard;
  dir: string;
}

const sha256File = (path: string): Promise<string> =>
  new Promise((res, rej) => {
    const h = createHash("sha256");
    createReadStream(path).on("data", (d) => h.update(d)).on("error", rej).on("end", () => res(h.digest("hex")));
  });

/** sha256 over config.json and every *.safetensors file of a checkpoint (names and contents, sorted). */
export async function modelHash(dir: string): Promise<string> {
  const files = ["config.json", ...readdirSync(dir).filter((f) => f.endsWith(".safetensors")).sort()];
  const h = createHash("sha256");
  for (const f of files) {
    if (!existsSync(join(dir, f))) continue;
    h.update(`${f}\0${await sha256File(join(dir, f))}\0`);
  }
  return h.digest("hex");
}

/** sha256 of the checkpoint's tokenizer.json, or null. */
export function tokenizerHash(dir: string): string | null {
  const p = join(dir, "tokenizer.json");
  return existsSync(p) ? createHash("sha256").update(readFileSync(p)).digest("hex") : null;
}

/** compression.json next to the checkpoint (kick compress), parsed, or null. */
export function readCompression(dir: string): unknown {
  const p = join(dir, "compression.json");
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, "utf8"));
  } catch (e) {
    throw new SoftPromptError(`${p}: not valid JSON (${(e as Error).message})`);
  }
}

/** The card's model fields for a checkpoint whose modelHash is already known. */
export function modelFields(dir: string, hash: string) {
  return { modelHash: hash, tokenizerHash: tokenizerHash(dir), modelDir: dir, compression: readCompression(dir) ?? null };
}

export function promptDir(promptsDir: string, id: string): string {
  if (!PROMPT_ID.test(id)) throw new SoftPromptError(`soft prompt id "${id}": use letters, digits, ".", "_" and "-" only`);
  return join(promptsDir, id);
}

/** Writes prompt.safetensors + card.json into <promptsDir>/<id>/ (a temporary folder renamed into place). */
export async function saveSoftPrompt(promptsDir: string, embeds: Float32Array, card: SoftPromptCard): Promise<string> {
  const parsed = SoftPromptCardSchema.parse(card);
  if (embeds.length !== parsed.length * parsed.hidden) throw new SoftPromptError(`soft prompt: ${embeds.length} values, card says [${parsed.length}, ${parsed.hidden}]`);
  return writeCardDir(promptDir(promptsDir, parsed.id), parsed, (tmp) =>
    writeSafetensors(join(tmp, "prompt.safetensors"), [{ name: PROMPT_TENSOR, shape: [parsed.length, parsed.hidden], data: embeds }], {
      metadata: { kick: "soft-prompt", id: parsed.id, model_hash: parsed.modelHash },
    }),
  );
}

/**
 * Fills a temporary folder (`write`, then card.json) and renames it to `dir`, so a reader never sees a
 * half-written prompt or adapter. Returns `dir`.
 */
export async function writeCardDir(dir: string, card: object, write: (tmp: string) => Promise<void>): Promise<string> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await write(tmp);
  await writeFile(join(tmp, "card.json"), JSON.stringify(card, null, 1) + "\n");
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return dir;
}

/** Reads and validates <promptsDir>/<id>/ (file, tensor, shape, finite values, card); errors name the file. */
export async function loadSoftPrompt(promptsDir: string, id: string): Promise<SoftPrompt> {
  const dir = promptDir(promptsDir, id);
  const cardPath = join(dir, "card.json"), stPath = join(dir, "prompt.safetensors");
  if (!existsSync(dir)) throw new SoftPromptError(`soft prompt "${id}": ${dir} does not exist (train one with kick prompt --out ${promptsDir} --id ${id})`);
  if (!existsSync(cardPath)) throw new SoftPromptError(`${cardPath}: missing (corrupt soft prompt "${id}")`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(cardPath, "utf8"));
  } catch (e) {
    throw new SoftPromptError(`${cardPath}: not valid JSON (${(e as Error).message})`);
  }
  const r = SoftPromptCardSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new SoftPromptError(`${cardPath}: field "${i.path.join(".")}": ${i.message}`);
  }
  const card = r.data;
  if (card.id !== id) throw new SoftPromptError(`${cardPath}: field "id": "${card.id}", but the folder is "${id}"`);
  if (!existsSync(stPath)) throw new SoftPromptError(`${stPath}: missing (corrupt soft prompt "${id}")`);
  const f = await SafetensorsFile.open(stPath).catch((e: Error) => {
    throw new SoftPromptError(`soft prompt "${id}": ${e.message}`);
  });
  try {
    const info = f.tensors.get(PROMPT_TENSOR);
    if (!info) throw new SoftPromptError(`${stPath}: no tensor "${PROMPT_TENSOR}" (has: ${[...f.tensors.keys()].join(", ") || "none"})`);
    if (info.shape.length !== 2 || info.shape[0] !== card.length || info.shape[1] !== card.hidden)
      throw new SoftPromptError(`${stPath}: tensor "${PROMPT_TENSOR}" has shape [${info.shape.join(", ")}], card.json says [${card.length}, ${card.hidden}]`);
    // the safetensors reader refuses non-finite values, naming the tensor, row and column
    const embeds = await f.read(PROMPT_TENSOR).catch((e: Error) => {
      throw new SoftPromptError(`soft prompt "${id}": ${e.message}`);
    });
    return { embeds, length: card.length, hidden: card.hidden, card, dir };
  } finally {
    await f.close();
  }
}

/**
 * Refuses a prompt that does not fit the model: another width, another vocabulary size or tokenizer
 * (when both hashes are known), or no room left in the context for at least `minTokens` tokens.
 */
export function checkPromptFits(p: { length: number; hidden: number; card: Pick<SoftPromptCard, "id" | "vocabSize" | "tokenizerHash"> }, spec: ModelSpec, modelTokenizerHash: string | null, minTokens = 2): void {
  const id = p.card.id;
  if (p.hidden !== spec.hiddenSize)
    throw new SoftPromptError(`soft prompt "${id}" has width ${p.hidden}, but the model's hidden size is ${spec.hiddenSize}: it was trained for another model`);
  if (p.card.vocabSize !== spec.vocabSize)
    throw new SoftPromptError(`soft prompt "${id}" was trained on a model with vocabulary ${p.card.vocabSize}, this model has ${spec.vocabSize}: another tokenizer`);
  if (p.card.tokenizerHash && modelTokenizerHash && p.card.tokenizerHash !== modelTokenizerHash)
    throw new SoftPromptError(`soft prompt "${id}" was trained with another tokenizer (tokenizer.json sha256 ${p.card.tokenizerHash.slice(0, 12)}…, this model's ${modelTokenizerHash.slice(0, 12)}…)`);
  if (p.length + minTokens > spec.maxPositions)
    throw new SoftPromptError(`soft prompt "${id}" has ${p.length} tokens, which leaves fewer than ${minTokens} of the model's ${spec.maxPositions} positions for text: the prompt is longer than the context`);
}
