// The claim ledger's verdict rules (src/components/ledger-rules.ts) on hand-made numbers: each verdict
// follows from the 95% intervals as the rule's text says, and a dense baseline at chance is never
// "reproduced", whatever the compressed score does.
import { describe, expect, it } from "vitest";
import * as R from "../../src/components/ledger-rules.js";

const e = (value: number, lo: number, hi: number) => ({ value, lo, hi });
const DENSE = e(0.46, 0.44, 0.48);
const FALLEN = e(0.31, 0.29, 0.33);
const SAME = e(0.455, 0.435, 0.475);
const AT_ZERO = e(0.003, 0.001, 0.012); // 2 of 600: above 0 but under the 5-point headroom
const MCQ_CHANCE = e(0.27, 0.24, 0.3); // four options, interval reaches 25%

describe("ledger verdict rules", () => {
  it("a loss is reproduced only when the intervals are disjoint, and never on a baseline at chance", () => {
    expect(R.lossAt({ dense: DENSE, other: FALLEN }, 0).verdict).toBe("reproduced");
    expect(R.lossAt({ dense: DENSE, other: SAME }, 0).verdict).toBe("not reproduced");
    expect(R.lossAt({ dense: AT_ZERO, other: e(0, 0, 0.006) }, 0).verdict).toBe("not testable here");
    expect(R.lossAt({ dense: MCQ_CHANCE, other: e(0.1, 0.08, 0.12) }, 0.25).verdict).toBe("not testable here");
    expect(R.lossAt({ dense: MCQ_CHANCE, other: e(0.1, 0.08, 0.12) }, 0.25).why).toContain("not testable here");
  });

  it("perplexity masks loss: the task must fall, by a larger share than perplexity rises", () => {
    const ppl = { dense: e(52.7, 49.3, 55.9), other: e(60.4, 56.6, 64.2) }; // +14.6%
    expect(R.perplexityMasks(ppl, { dense: DENSE, other: FALLEN }, 0).verdict).toBe("reproduced"); // −33%
    expect(R.perplexityMasks(ppl, { dense: DENSE, other: e(0.4, 0.39, 0.41) }, 0).verdict).toBe("partly"); // −13% < +14.6%
    expect(R.perplexityMasks(ppl, { dense: DENSE, other: SAME }, 0).verdict).toBe("not reproduced");
    expect(R.perplexityMasks(ppl, { dense: AT_ZERO, other: e(0, 0, 0.006) }, 0).verdict).toBe("not testable here");
  });

  it("N:M fails: below unstructured at the same zeros, else partly when below dense", () => {
    expect(R.nmFails(DENSE, FALLEN, e(0.19, 0.18, 0.21), 0).verdict).toBe("reproduced");
    expect(R.nmFails(DENSE, FALLEN, e(0.3, 0.28, 0.32), 0).verdict).toBe("partly");
    expect(R.nmFails(DENSE, SAME, SAME, 0).verdict).toBe("not reproduced");
    expect(R.nmFails(AT_ZERO, AT_ZERO, e(0, 0, 0.006), 0).verdict).toBe("not testable here");
  });

  it("quantization beats pruning: above, not told apart (partly), below", () => {
    expect(R.quantizationBeatsPruning(DENSE, SAME, FALLEN, 0).verdict).toBe("reproduced");
    expect(R.quantizationBeatsPruning(DENSE, FALLEN, e(0.315, 0.3, 0.33), 0).verdict).toBe("partly");
    expect(R.quantizationBeatsPruning(DENSE, FALLEN, SAME, 0).verdict).toBe("not reproduced");
    expect(R.quantizationBeatsPruning(MCQ_CHANCE, e(0.27, 0.25, 0.29), e(0.1, 0.08, 0.12), 0.25).verdict).toBe("not testable here");
  });

  it("large compressed vs small dense: the small model's baseline decides testability", () => {
    expect(R.largeVsSmall(e(0.37, 0.35, 0.39), e(0.05, 0.045, 0.06), 0).verdict).toBe("reproduced");
    expect(R.largeVsSmall(e(0.37, 0.35, 0.39), e(0.38, 0.36, 0.4), 0).verdict).toBe("not reproduced");
    expect(R.largeVsSmall(MCQ_CHANCE, e(0.1, 0.08, 0.12), 0.25).verdict).toBe("not testable here");
  });

  it("retrieval robust: closed falls and open holds; both fall with open keeping more is partly", () => {
    const closed = { dense: DENSE, other: FALLEN };
    expect(R.retrievalRobust(closed, { dense: DENSE, other: SAME }, 0).verdict).toBe("reproduced");
    expect(R.retrievalRobust(closed, { dense: DENSE, other: e(0.36, 0.34, 0.38) }, 0).verdict).toBe("partly");
    expect(R.retrievalRobust(closed, { dense: DENSE, other: e(0.2, 0.18, 0.22) }, 0).verdict).toBe("not reproduced");
    expect(R.retrievalRobust({ dense: DENSE, other: SAME }, { dense: DENSE, other: SAME }, 0).verdict).toBe("not reproduced");
    expect(R.retrievalRobust(closed, { dense: AT_ZERO, other: AT_ZERO }, 0).verdict).toBe("not testable here");
  });

  it("summarization kept: inside the dense interval, not told apart (partly), or fallen", () => {
    const dense = e(0.396, 0.355, 0.443);
    expect(R.summarizationKept({ dense, other: e(0.38, 0.34, 0.42) }, 0).verdict).toBe("reproduced");
    expect(R.summarizationKept({ dense, other: e(0.35, 0.31, 0.39) }, 0).verdict).toBe("partly");
    expect(R.summarizationKept({ dense, other: e(0.266, 0.225, 0.305) }, 0).verdict).toBe("not reproduced");
  });

  it("long context degrades: fall at the longest length, and keep less there than at the shortest", () => {
    const short = { dense: e(0.8, 0.76, 0.84), other: e(0.7, 0.66, 0.74) }; // keeps 87.5%
    expect(R.longContextDegrades(short, { dense: DENSE, other: FALLEN }, 0).verdict).toBe("reproduced"); // keeps 67%
    expect(R.longContextDegrades(short, { dense: DENSE, other: e(0.45, 0.43, 0.47) }, 0).verdict).toBe("not reproduced");
    expect(R.longContextDegrades({ dense: DENSE, other: e(0.1, 0.09, 0.11) }, { dense: DENSE, other: FALLEN }, 0).verdict).toBe("partly");
    expect(R.longContextDegrades(short, { dense: e(0, 0, 0.05), other: e(0, 0, 0.05) }, 0).verdict).toBe("not testable here");
  });

  it("soft-prompt recovery: the gap closed and its interval, decided by the lower bound", () => {
    // dense 52.95, no prompt 62.15: a prompt at 57.41 [53.86, 61.06] closes 51.5% [11.8%, 90.1%]
    const closed = R.gapClosed(52.95, e(62.15, 58.3, 66.2), e(57.41, 53.86, 61.06));
    expect(closed.value).toBeCloseTo((62.15 - 57.41) / (62.15 - 52.95), 12);
    expect(closed.lo).toBeCloseTo((62.15 - 61.06) / 9.2, 12);
    expect(closed.hi).toBeCloseTo((62.15 - 53.86) / 9.2, 12);
    expect(R.promptRecovery(52.95, e(62.15, 58.3, 66.2), e(57.41, 53.86, 61.06)).verdict).toBe("partly");
    expect(R.promptRecovery(52.95, e(62.15, 61, 63), e(55, 54.5, 57)).verdict).toBe("reproduced"); // lower bound 56.5%
    expect(R.promptRecovery(52.95, e(62.15, 58.3, 66.2), e(61, 57, 65)).verdict).toBe("not reproduced");
    // several stored prompts and no validation choice: picking the best on test items is not allowed
    expect(R.promptRecovery(52.95, e(62.15, 61, 63), e(55, 54.5, 57), 3).verdict).toBe("not measured");
    // a choice on validation items decides among several; one on test items is refused, saying why
    expect(R.promptRecovery(52.95, e(62.15, 61, 63), e(55, 54.5, 57), 3, { prompt: "soft:p", chosen_on: "validation" }).verdict).toBe("reproduced");
    const refused = R.promptRecovery(52.95, e(62.15, 61, 63), e(55, 54.5, 57), 1, { prompt: "soft:p", chosen_on: "test" });
    expect(refused.verdict).toBe("not measured");
    expect(refused.why).toMatch(/^refused: soft:p was chosen on test items, not on validation items; /);
  });

  it("fluent but wrong: accuracy falls beyond the intervals while the dense model finds the answers as fluent as its own", () => {
    const acc = { dense: e(0.46, 0.44, 0.48), other: e(0.3, 0.28, 0.32) };
    expect(R.fluentButWrong(acc, { dense: e(3, 2.8, 3.2), other: e(3.1, 2.9, 3.3) }, 0).verdict).toBe("reproduced");
    expect(R.fluentButWrong(acc, { dense: e(3, 2.8, 3.2), other: e(3.5, 3.1, 3.9) }, 0).verdict).toBe("partly");
    expect(R.fluentButWrong({ dense: acc.dense, other: e(0.45, 0.43, 0.47) }, { dense: e(3, 2.8, 3.2), other: e(3, 2.8, 3.2) }, 0).verdict).toBe("not reproduced");
    expect(R.fluentButWrong({ dense: e(0.02, 0.0, 0.05), other: e(0.0, 0, 0.02) }, { dense: e(3, 2.8, 3.2), other: e(3, 2.8, 3.2) }, 0).verdict).toBe("not testable here");
  });

  it("soft-prompt transfer: two helpful prompts on a variant show one trained elsewhere", () => {
    const none = e(62, 58, 66);
    const helps = e(55, 52, 58);
    const not = e(61, 57, 65);
    const cell = (variant: string, prompts: { value: number; lo: number; hi: number }[]) => ({ variant, none, prompts });
    expect(R.promptTransfer([cell("a", [helps, helps]), cell("b", [helps, helps, not])]).verdict).toBe("reproduced");
    expect(R.promptTransfer([cell("a", [helps, helps]), cell("b", [helps, not])]).verdict).toBe("partly");
    expect(R.promptTransfer([cell("a", [helps, not]), cell("b", [not, not])]).verdict).toBe("not reproduced");
    expect(R.promptTransfer([cell("a", [helps])]).verdict).toBe("not measured");
  });
});
