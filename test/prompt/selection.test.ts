// The soft prompt reported per checkpoint is chosen on validation items (loaders/prompt/selection.ts): lowest
// validation perplexity relative to no prompt on the held-out validation documents; prompts validated on other
// text are not candidates; ties go to the lower id; a bad card fails naming its file and field.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { choosePrompts, readPromptCards, VALIDATION_SPLIT } from "../../loaders/prompt/selection.js";
import type { SoftPromptCard } from "../../loaders/prompt/prompt-file.js";

const card = (id: string, modelDir: string, valid: string, best: number, baseline: number, compression: unknown = null): SoftPromptCard => ({
  format: "kick-soft-prompt", version: 1, id, length: 4, hidden: 8, vocabSize: 16, modelHash: "h", tokenizerHash: null, modelDir, compression,
  init: "vocab", data: { train: "t", valid, trainTokens: 1, validTokens: 1, sha256: "s" }, optim: {}, steps: 1, tokensSeen: 1, bestStep: 1,
  bestValidPpl: best, baselineValidPpl: baseline, validation: [], tokensPerS: 1, trainableParameters: 32, created: "now",
});
const LEVEL = { source: "data/models/kick-x", spec: { method: "sparsegpt", sparsity: 0.5, bits: 4 } };

describe("prompt choice on validation items", () => {
  it("takes the lowest validation/no-prompt ratio among prompts validated on the held-out documents", () => {
    const cards = [
      // 64 windows: 70 of 77 (0.909); 16 windows: 57 of 60 (0.95) — lower raw perplexity, smaller gain
      card("b-64", "data/models/kick-x-4b50", "/tmp/ctp-src-all.jsonl", 70, 77, LEVEL),
      card("a-16", "data/models/kick-x-4b50", "/tmp/ctp-src-all.jsonl", 57, 60, LEVEL),
      // validated on its own training text (last 10%): not a candidate, however low its ratio
      card("c-facts", "data/models/kick-x-4b50", "/tmp/ctp-src-facts.jsonl (last 10% of tokens)", 2, 3, LEVEL),
      card("z-tie", "data/models/kick-x", "/tmp/ctp-src-all.jsonl", 50, 100),
      card("y-tie", "data/models/kick-x", "/tmp/ctp-src-all.jsonl", 25, 50),
      card("only-other", "data/models/kick-x-gptq4", "/tmp/ctp-src-brown.jsonl (last 10% of tokens)", 1, 2),
    ];
    expect(choosePrompts(cards)).toEqual([
      { checkpoint: "kick-x", model: "kick-x", sparsity: 0, bits: null, prompt: "soft:y-tie", chosen_on: "validation", split: VALIDATION_SPLIT, valid_ppl: 25, baseline_valid_ppl: 50, ratio: 0.5, candidates: 2, excluded: 0 },
      { checkpoint: "kick-x-4b50", model: "kick-x", sparsity: 0.5, bits: 4, prompt: "soft:b-64", chosen_on: "validation", split: VALIDATION_SPLIT, valid_ppl: 70, baseline_valid_ppl: 77, ratio: 70 / 77, candidates: 2, excluded: 1 },
    ]);
  });

  it("reads the committed cards: kick-l 4b50 reports the prose prompt with the best validation perplexity", () => {
    const choice = choosePrompts(readPromptCards("data/prompts")).find((c) => c.checkpoint === "kick-l-4b50")!;
    expect(choice).toMatchObject({ prompt: "soft:kick-l-4b50-lr1e-2-b32-prose", model: "kick-l", sparsity: 0.5, bits: 4, chosen_on: "validation" });
  });

  it("names the file and field of a bad card", () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-choice-"));
    mkdirSync(join(dir, "p"));
    writeFileSync(join(dir, "p", "card.json"), JSON.stringify({ ...card("p", "m", "v", 1, 1), bestValidPpl: "low" }));
    expect(() => readPromptCards(dir)).toThrow(/p\/card\.json: field "bestValidPpl": /);
    writeFileSync(join(dir, "p", "card.json"), "{");
    expect(() => readPromptCards(dir)).toThrow(/p\/card\.json: not JSON/);
  });
});
