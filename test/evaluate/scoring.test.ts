// Scorers against hand-worked cases and published reference values.
import { describe, expect, it } from "vitest";
import {
  aliasInAnswer,
  bootstrapMeanInterval,
  containmentMatch,
  exactMatch,
  maxTokenF1,
  normalizeAnswer,
  tokenF1,
  uniqueTokenCount,
  wilsonInterval,
} from "../../loaders/evaluate/scoring.js";

describe("answer normalisation and matching", () => {
  it("normalises like SQuAD's normalize_answer", () => {
    expect(normalizeAnswer("The  Eiffel Tower!")).toBe("eiffel tower");
    expect(normalizeAnswer("An apple, a day")).toBe("apple day");
    expect(normalizeAnswer("  ")).toBe("");
  });

  it("LLM-KICK alias hit ignores case and spaces, and looks at the answer only", () => {
    expect(aliasInAnswer("It is NewYork City.", ["New York"])).toBe(true);
    expect(aliasInAnswer("Paris", ["Lyon", "paris"])).toBe(true);
    expect(aliasInAnswer("I do not know", ["Paris"])).toBe(false);
    expect(aliasInAnswer("anything", [""])).toBe(false); // an empty alias must not match everything
  });

  it("strict exact match needs the whole normalised answer", () => {
    expect(exactMatch("the Nile.", ["Nile"])).toBe(true);
    expect(exactMatch("The Nile river", ["Nile"])).toBe(false);
  });

  it("containment matches either way round", () => {
    expect(containmentMatch("The Nile river", ["Nile"])).toBe(true);
    expect(containmentMatch("Nile", ["the Nile river"])).toBe(true);
    expect(containmentMatch("", ["Nile"])).toBe(false);
  });

  it("token F1 as SQuAD computes it", () => {
    // pred {barack, obama, president}, ref {barack, obama}: P = 2/3, R = 1, F1 = 0.8
    expect(tokenF1("President Barack Obama", "Barack Obama")).toBeCloseTo(0.8, 12);
    // repeated tokens count once per occurrence: pred {a1 a1} vs ref {a1}: P = 1/2, R = 1 → 2/3
    expect(tokenF1("paris paris", "paris")).toBeCloseTo(2 / 3, 12);
    expect(tokenF1("", "")).toBe(1);
    expect(tokenF1("x", "")).toBe(0);
    expect(maxTokenF1("Barack Obama", ["Obama", "Barack Obama"])).toBe(1);
  });
});

describe("confidence intervals", () => {
  it("Wilson interval matches published values", () => {
    // Newcombe (1998), Statistics in Medicine 17:857–872, Table I, method 3 (Wilson score, no correction).
    const published: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [k, n, low, high] of published) {
      const [lo, hi] = wilsonInterval(k, n);
      expect(lo).toBeCloseTo(low, 4);
      expect(hi).toBeCloseTo(high, 4);
    }
    expect(() => wilsonInterval(3, 2)).toThrow(/0 ≤ k ≤ n/);
  });

  it("Wilson interval is exactly 0 / 1 at the ends (no rounding residue)", () => {
    // k = 0: [0, z²/(n + z²)]; k = n: [n/(n + z²), 1]. For n = 3, z = 1.96: z²/(3 + z²) = 0.5615.
    expect(wilsonInterval(0, 3)[0]).toBe(0);
    expect(wilsonInterval(0, 3)[1]).toBeCloseTo(0.5615, 4);
    expect(wilsonInterval(3, 3)[1]).toBe(1);
    expect(wilsonInterval(3, 3)[0]).toBeCloseTo(1 - 0.5615, 4);
  });

  it("bootstrap interval is seeded, brackets the mean and narrows with n", () => {
    const values = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 : 0)); // mean 0.25
    const a = bootstrapMeanInterval(values, { seed: 7 });
    expect(bootstrapMeanInterval(values, { seed: 7 })).toEqual(a);
    expect(a[0]).toBeLessThan(0.25);
    expect(a[1]).toBeGreaterThan(0.25);
    // Normal approximation: half-width ≈ 1.96·sqrt(0.25·0.75/400) = 0.0424
    expect((a[1] - a[0]) / 2).toBeGreaterThan(0.034);
    expect((a[1] - a[0]) / 2).toBeLessThan(0.051);
  });
});

it("counts unique tokens", () => {
  expect(uniqueTokenCount([5, 5, 7, 1, 7])).toBe(3);
});
