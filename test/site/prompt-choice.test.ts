// The ledger's soft-prompt recovery claim on a hand-made results table: it reports the prompt chosen on validation
// items (prompt_choice), not the one best on the test items; a choice made on test items is refused with the
// reason; with no recorded choice and several prompts it is not measured.
import { describe, expect, it } from "vitest";
import { ledgerRows } from "../../src/components/ledger.js";
import { promptChoiceTableSql } from "../../src/components/prompt-choice.js";
import { CHOSEN_PROMPT_SQL, chosenPromptClaim } from "../../src/components/soft-prompt-choice.js";
import { type Query, withHandMadeStore } from "./hand-made-store.js";

// run, method, sparsity, bits, prompt, perplexity (ci ± 1)
const RUNS: [string, string, number, number | null, string, number][] = [
  ["dense", "dense", 0, null, "none", 50],
  ["dense-own-prompt", "dense", 0, null, "soft:d", 49], // the control
  ["none", "sparsegpt+gptq", 0.5, 4, "none", 60],
  ["best-on-test", "sparsegpt+gptq", 0.5, 4, "soft:a", 51], // would close 90% of the gap
  ["chosen", "sparsegpt+gptq", 0.5, 4, "soft:b", 57], // closes 30%: partly
];
const rows = RUNS.flatMap(([run, method, sparsity, bits, prompt, ppl]) =>
  [["perplexity", ppl, ppl - 1, ppl + 1], ["seq_len", 412, null, null]].map(
    ([metric, v, lo, hi]) =>
      `('${run}', 'kick-x', 'h1', 1e8, '${method}', '${method === "dense" ? "dense" : "unstructured"}', ${sparsity}, ${bits ?? "NULL::INTEGER"}, ${bits ? -1 : "NULL::INTEGER"}, ${method === "dense" ? "NULL::INTEGER" : 128}, '${prompt}', 0, 'perplexity', 'all', '${metric}', ${v}, 200, ${lo ?? "NULL"}, ${hi ?? "NULL"})`,
  ),
);
const choice = (chosenOn: string) => ({ checkpoint: "kick-x-4b50", model: "kick-x", sparsity: 0.5, bits: 4, prompt: "soft:b", chosen_on: chosenOn, split: `${chosenOn} split`, valid_ppl: 70, baseline_valid_ppl: 77, ratio: 0.9, candidates: 2, excluded: 0 });

const DENSE_CHOICE = { checkpoint: "kick-x", model: "kick-x", sparsity: 0, bits: null, prompt: "soft:d", chosen_on: "validation", split: "validation split", valid_ppl: 60, baseline_valid_ppl: 61, ratio: 0.98, candidates: 1, excluded: 0 };

const withResults = <T>(work: (q: Query) => Promise<T>) => withHandMadeStore(rows, work);

const recovery = (choices: Record<string, unknown>[]) => withResults(async (q) => (await ledgerRows(q, null, choices)).find((r) => r.id === "prompt-recovery-8x")!);

describe("soft-prompt recovery in the ledger", () => {
  it("scores the prompt chosen on validation items, not the best on the test items", async () => {
    const r = await recovery([choice("validation")]);
    expect(r.kick).toContain("b (chosen on validation items of 2 stored) 57.0");
    expect(r.kick).toContain("gap closed 30%");
    expect(r.verdict).toBe("partly");
  });

  it("refuses a prompt chosen on test items, saying why", async () => {
    const r = await recovery([choice("test")]);
    expect(r.verdict).toBe("not measured");
    expect(r.why).toMatch(/^refused: soft:b was chosen on test items \(test split\), not on validation items; .*choose it on a validation split/);
  });

  it("is not measured when several prompts are stored and no choice is recorded", async () => {
    const r = await recovery([]);
    expect(r.verdict).toBe("not measured");
    expect(r.why).toMatch(/2 soft prompts are stored for this variant and none is marked as chosen on validation items/);
  });
});

describe("the soft-prompt page's chosen prompt and dense-with-prompt control", () => {
  it("scores the chosen prompt against dense and against the dense model with its own prompt", async () => {
    const got = await withResults(async (q) => {
      await q(promptChoiceTableSql([choice("validation"), DENSE_CHOICE]));
      return q(CHOSEN_PROMPT_SQL);
    });
    expect(got.map((r) => [r.variant, r.chosen, r.none_value, r.soft_value, r.dense_value, r.dense_prompt_value])).toEqual([["sparsegpt+gptq 50% 4-bit", "soft:b", 60, 57, 50, 49]]);
    // (57 − 60) / (50 − 60) = 30% of the gap to dense; (57 − 60) / (49 − 60) = 27% of the gap to the control
    expect(chosenPromptClaim(got)).toBe(
      "kick-x, sparsegpt+gptq 50% 4-bit, perplexity: 60.00 without a prompt → 57.00 with b (chosen on validation items among 2), 30% of the gap to dense (50.00); against the dense-with-prompt control (49.00), 27%. Every variant with a chosen prompt is in the table below.",
    );
  });

  it("says the control is not measured without the dense model's chosen prompt, and refuses a test-set choice", async () => {
    const [withoutControl, testChoice] = await withResults(async (q) => {
      await q(promptChoiceTableSql([choice("validation")]));
      const a = await q(CHOSEN_PROMPT_SQL);
      await q(promptChoiceTableSql([choice("test"), DENSE_CHOICE]));
      return [a, await q(CHOSEN_PROMPT_SQL)];
    });
    expect(chosenPromptClaim(withoutControl)).toContain("30% of the gap to dense (50.00); dense-with-prompt control: not measured.");
    expect(testChoice).toEqual([]);
    expect(chosenPromptClaim(testChoice)).toMatch(/^Not measured: no compressed variant in the store has runs with its prompt chosen on validation items/);
  });
});
