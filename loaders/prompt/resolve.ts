/**
 * Prompts for `kick eval` and `kick sweep`: short names (`paper-b`: Paper B's hard prompt), checks that a
 * `soft:<id>` exists in the prompts folder (else the error lists what is there), is not corrupt, and fits
 * the model (width, vocabulary, tokenizer, context) — before any model is loaded — and the prompt's content
 * hash (sha256 of prompt.safetensors) that keys the run, since the id alone is not content. Sweep plans may
 * also name prompts by pattern: `soft:*-c4` (every prompt of the folder matching the glob that fits the model:
 * a transfer matrix) and `soft:{model}-c4` (the plan's model name substituted: each model's own prompt).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readModelSpec } from "../model/config.js";
import { checkPromptFits, loadSoftPrompt, PAPER_B_HARD_PROMPT_SPEC, SoftPromptCardSchema, SoftPromptError, tokenizerHash } from "./prompt-file.js";

/** Short names usable wherever a prompt is given (plan `prompts`, kick eval --prompt). */
export const PROMPT_ALIASES: Record<string, string> = { "paper-b": PAPER_B_HARD_PROMPT_SPEC, "hard:paper-b": PAPER_B_HARD_PROMPT_SPEC };

export const expandPromptAlias = (p: string): string => PROMPT_ALIASES[p] ?? p;

export const isSoft = (p: string): boolean => p.startsWith("soft:");

/** Ids of the prompts in a folder (subfolders with card.json and prompt.safetensors), sorted. */
export function listPromptIds(promptsDir: string): string[] {
  if (!existsSync(promptsDir) || !statSync(promptsDir).isDirectory()) return [];
  return readdirSync(promptsDir)
    .filter((d) => !d.includes(".tmp-") && existsSync(join(promptsDir, d, "card.json")) && existsSync(join(promptsDir, d, "prompt.safetensors")))
    .sort();
}

const sha256File = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

/**
 * Validates `soft:<id>` against a model directory: the folder exists, the id is there (the error lists the
 * ids that are), the files are sound (loadSoftPrompt), the prompt fits the model. Returns the sha256 of
 * prompt.safetensors. `where` names the option or plan entry in errors.
 */
export async function checkSoftPrompt(promptsDir: string | undefined, prompt: string, modelDir: string, where: string, minTokens = 2): Promise<{ id: string; sha256: string }> {
  const id = prompt.slice("soft:".length);
  if (!promptsDir) throw new SoftPromptError(`${where}: prompt "${prompt}" needs a prompts folder (kick eval/sweep --prompts-dir DIR, or the plan's "prompts_dir")`);
  if (!existsSync(promptsDir) || !statSync(promptsDir).isDirectory()) throw new SoftPromptError(`${where}: prompts folder ${promptsDir} does not exist`);
  if (!existsSync(join(promptsDir, id))) {
    const have = listPromptIds(promptsDir);
    throw new SoftPromptError(`${where}: unknown soft prompt "${id}" in ${promptsDir} (it has: ${have.length ? have.join(", ") : "no prompts"})`);
  }
  let p;
  try {
    p = await loadSoftPrompt(promptsDir, id);
  } catch (e) {
    throw new SoftPromptError(`${where}: ${(e as Error).message}`);
  }
  try {
    checkPromptFits(p, readModelSpec(modelDir), tokenizerHash(modelDir), minTokens);
  } catch (e) {
    throw new SoftPromptError(`${where}: ${(e as Error).message} (model ${modelDir})`);
  }
  return { id, sha256: sha256File(join(p.dir, "prompt.safetensors")) };
}

/** Text tokens a task needs beside the prompt: a perplexity window's seq_len when given, else 2. */
export const minTextTokens = (task: { task: string; seq_len?: number }): number => (task.task === "perplexity" && task.seq_len ? task.seq_len : 2);

/** sha256 of a prompt's prompt.safetensors now (the runner compares it with the planned one). */
export const softPromptSha256 = (promptsDir: string, id: string): string => sha256File(join(promptsDir, id, "prompt.safetensors"));

const globToRegExp = (g: string): RegExp => new RegExp(`^${g.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

/**
 * One entry of a plan's `prompts` axis for one model: aliases expanded, `{model}` substituted, and a glob
 * (`soft:…*…`) expanded to the folder's prompts that fit the model (same width, vocabulary and tokenizer;
 * others are skipped). Explicit ids are returned as given (checkSoftPrompt refuses misfits loudly).
 */
export function expandPromptEntry(entry: string, modelName: string, modelDir: string, promptsDir: string | undefined, where: string): string[] {
  const p = expandPromptAlias(entry).replaceAll("{model}", modelName);
  if (!isSoft(p) || !p.includes("*")) return [p];
  if (!promptsDir) throw new SoftPromptError(`${where}: prompt pattern "${entry}" needs the plan's "prompts_dir" (or --prompts-dir)`);
  const re = globToRegExp(p.slice("soft:".length));
  const spec = readModelSpec(modelDir), tok = tokenizerHash(modelDir);
  const out: string[] = [];
  for (const id of listPromptIds(promptsDir).filter((x) => re.test(x))) {
    let card;
    try {
      card = SoftPromptCardSchema.parse(JSON.parse(readFileSync(join(promptsDir, id, "card.json"), "utf8")));
    } catch (e) {
      throw new SoftPromptError(`${where}: ${join(promptsDir, id, "card.json")} (matched by "${entry}") is corrupt: ${(e as Error).message.split("\n")[0]}`);
    }
    try {
      checkPromptFits({ length: card.length, hidden: card.hidden, card }, spec, tok);
      out.push(`soft:${id}`);
    } catch {
      /* a prompt of another model of the family: not part of this model's matrix */
    }
  }
  return out;
}
