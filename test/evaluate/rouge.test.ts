// ROUGE against hand-worked cases (definitions of Lin 2004 as implemented by Google's rouge-score).
import { describe, expect, it } from "vitest";
import { lcsLength, rouge, rougeL, rougeN, rougeTokens } from "../../loaders/evaluate/rouge.js";

describe("ROUGE", () => {
  it("tokenizes like rouge-score: lower case, non-alphanumerics split, nothing stemmed", () => {
    expect(rougeTokens("Hello, World! It's 3PM.")).toEqual(["hello", "world", "it", "s", "3pm"]);
    expect(rougeTokens("  running runs  ")).toEqual(["running", "runs"]);
    expect(rougeTokens("!!!")).toEqual([]);
  });

  it("scores 'the cat sat on the mat' against 'the cat is on the mat'", () => {
    // unigrams: the×2, cat, on, mat shared → 5 of 6 both ways
    const r = rouge("the cat sat on the mat", "the cat is on the mat");
    expect(r.rouge1.precision).toBeCloseTo(5 / 6, 12);
    expect(r.rouge1.recall).toBeCloseTo(5 / 6, 12);
    expect(r.rouge1.fmeasure).toBeCloseTo(5 / 6, 12);
    // bigrams: "the cat", "on the", "the mat" shared of 5 each
    expect(r.rouge2.fmeasure).toBeCloseTo(3 / 5, 12);
    // LCS "the cat on the mat" = 5
    expect(r.rougeL.fmeasure).toBeCloseTo(5 / 6, 12);
  });

  it("handles unequal lengths: P, R and F = 2PR/(P+R)", () => {
    const r1 = rougeN("a b c d", "a c", 1); // overlap 2: P = 2/4, R = 2/2, F = 2/3
    expect([r1.precision, r1.recall, r1.fmeasure].map((x) => Number(x.toFixed(6)))).toEqual([0.5, 1, 0.666667]);
    expect(rougeN("a b c d", "a c", 2).fmeasure).toBe(0); // ab bc cd vs ac
    const l = rougeL("a b c d", "a c"); // LCS "a c"
    expect(l.precision).toBe(0.5);
    expect(l.recall).toBe(1);
  });

  it("clips repeated n-grams to the reference count", () => {
    const r = rougeN("the the the", "the cat", 1); // overlap min(3, 1) = 1: P = 1/3, R = 1/2, F = 0.4
    expect(r.precision).toBeCloseTo(1 / 3, 12);
    expect(r.recall).toBe(0.5);
    expect(r.fmeasure).toBeCloseTo(0.4, 12);
  });

  it("gives 0 (not NaN) for empty texts, and LCS of known sequences", () => {
    expect(rouge("", "a reference").rouge1.fmeasure).toBe(0);
    expect(rouge("...", "").rougeL.fmeasure).toBe(0);
    expect(lcsLength(["a", "b", "c", "b", "d", "a", "b"], ["b", "d", "c", "a", "b", "a"])).toBe(4); // CLRS 15.4: BCBA
  });
});
