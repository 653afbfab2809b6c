// Which soft prompt is reported for each compressed checkpoint, chosen on validation items only (issue 20).
//
// The task suites have no validation split (data/tasks: test only, and MCQ's dev split holds the k-shot
// examples), so the choice is made once per checkpoint, on the validation split every prompt card already
// records: held-out corpus documents that the perplexity task does not score (scripts/gpu-host/ctp.sh
// `source_docs all`: data/corpus/heldout.jsonl less the doc_ids of data/tasks/perplexity.jsonl, written as
// ctp-src-all.jsonl), disjoint from every test item. The same prompt is then reported on every task: none sees
// a test item before it is chosen.
//
// Rule: among the checkpoint's prompts validated on that split, the lowest validation perplexity relative to the
// no-prompt perplexity of the same windows (bestValidPpl / baselineValidPpl: prompts were validated on 16 or 64
// windows of different lengths, so raw perplexities are not comparable); ties to the lower id. Prompts validated
// on other text (the dataset-transfer prompts, on the last 10% of their own training text) are not candidates.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type SoftPromptCard, SoftPromptCardSchema } from "./prompt-file.js";

/** The validation text's file name in a card's data.valid (scripts/gpu-host/ctp.sh). */
export const VALIDATION_FILE = "ctp-src-all.jsonl";
export const VALIDATION_SPLIT = "validation: held-out corpus documents outside the perplexity task's (ctp-src-all)";

export interface PromptChoice {
  /** the checkpoint the prompt was trained on (its folder name: kick-l-4b50) */
  checkpoint: string;
  /** the results table's cell it stands for: the model compressed (kick-l), the level's sparsity and bits */
  model: string;
  sparsity: number;
  bits: number | null;
  prompt: string; // soft:<id>
  chosen_on: "validation";
  split: string;
  valid_ppl: number;
  baseline_valid_ppl: number;
  ratio: number;
  /** prompts of the checkpoint compared, and those left out for another validation text */
  candidates: number;
  excluded: number;
}

export const PROMPT_CHOICE_SCHEMA = {
  checkpoint: "VARCHAR",
  model: "VARCHAR",
  sparsity: "DOUBLE",
  bits: "INTEGER",
  prompt: "VARCHAR",
  chosen_on: "VARCHAR",
  split: "VARCHAR",
  valid_ppl: "DOUBLE",
  baseline_valid_ppl: "DOUBLE",
  ratio: "DOUBLE",
  candidates: "INTEGER",
  excluded: "INTEGER",
} as const;

/** Every card.json under a prompts folder, validated; a bad one fails naming its file and field. */
export function readPromptCards(promptsDir: string): SoftPromptCard[] {
  if (!existsSync(promptsDir)) return [];
  return readdirSync(promptsDir)
    .sort()
    .filter((id) => existsSync(join(promptsDir, id, "card.json")))
    .map((id) => {
      const file = join(promptsDir, id, "card.json");
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, "utf8"));
      } catch (e) {
        throw new Error(`${file}: not JSON (${(e as Error).message})`);
      }
      const parsed = SoftPromptCardSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${file}: field "${issue.path.join(".")}": ${issue.message}`);
      }
      return parsed.data;
    });
}

/** The model a checkpoint was compressed from (compression.json's source) and its level; a dense one is itself. */
function cellOf(c: SoftPromptCard): { model: string; sparsity: number; bits: number | null } {
  const comp = c.compression as { source?: string; spec?: { sparsity?: number; bits?: number } } | null;
  if (!comp) return { model: basename(c.modelDir), sparsity: 0, bits: null };
  return { model: basename(comp.source ?? c.modelDir), sparsity: comp.spec?.sparsity ?? 0, bits: comp.spec?.bits ?? null };
}

const onValidationSplit = (c: SoftPromptCard) => basename(c.data.valid) === VALIDATION_FILE;

/** One choice per checkpoint that has a prompt validated on the validation split, in checkpoint order. */
export function choosePrompts(cards: readonly SoftPromptCard[]): PromptChoice[] {
  const byCheckpoint = new Map<string, SoftPromptCard[]>();
  for (const c of cards) {
    const k = basename(c.modelDir);
    byCheckpoint.set(k, [...(byCheckpoint.get(k) ?? []), c]);
  }
  const out: PromptChoice[] = [];
  for (const [checkpoint, list] of [...byCheckpoint].sort(([a], [b]) => a.localeCompare(b))) {
    const candidates = list.filter(onValidationSplit).filter((c) => c.baselineValidPpl > 0 && Number.isFinite(c.bestValidPpl));
    if (!candidates.length) continue;
    const ratio = (c: SoftPromptCard) => c.bestValidPpl / c.baselineValidPpl;
    const best = candidates.reduce((a, c) => (ratio(c) < ratio(a) || (ratio(c) === ratio(a) && c.id < a.id) ? c : a));
    out.push({
      checkpoint, ...cellOf(best), prompt: `soft:${best.id}`, chosen_on: "validation", split: VALIDATION_SPLIT,
      valid_ppl: best.bestValidPpl, baseline_valid_ppl: best.baselineValidPpl, ratio: ratio(best),
      candidates: candidates.length, excluded: list.length - candidates.length,
    });
  }
  return out;
}
