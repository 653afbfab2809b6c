import { describe, expect, it } from "vitest";
import { checkNMWidth, compressionSpecHash, compressionSpecId, parseCompressionSpec } from "../../loaders/compress/spec.js";

describe("CompressionSpec", () => {
  it("fills defaults and gives a canonical id", () => {
    const s = parseCompressionSpec({ method: "sparsegpt", sparsity: 0.5 });
    expect(s).toMatchObject({ pattern: "unstructured", damping: 0.01, blockSize: 128, calibration: { source: "corpus", samples: 128, seqLen: 2048, seed: 0 } });
    expect(compressionSpecId(s)).toBe("sparsegpt-unstr-s0.5-d0.01-b128-calib(corpus,128x2048,seed0)");
    expect(compressionSpecId(parseCompressionSpec({ method: "magnitude", pattern: "2:4" }))).toBe("magnitude-2:4-s0.5");
    expect(compressionSpecId(parseCompressionSpec({ method: "wanda", sparsity: 0.7, owl: {} }))).toBe("wanda-unstr-s0.7-owl(l0.08,m5)-calib(corpus,128x2048,seed0)");
    expect(compressionSpecId(parseCompressionSpec({ method: "dense" }))).toBe("dense");
    expect(compressionSpecHash(s)).toMatch(/^[0-9a-f]{16}$/);
    expect(compressionSpecHash(s)).not.toBe(compressionSpecHash(parseCompressionSpec({ method: "sparsegpt", sparsity: 0.6 })));
  });
  it("N:M fills sparsity N/M", () => {
    expect(parseCompressionSpec({ method: "wanda", pattern: "4:8" }).sparsity).toBe(0.5);
  });
  it.each([
    [{ method: "wanda", sparsity: 1 }, /sparsity: sparsity must be in \[0, 1\) \(got 1\)/],
    [{ method: "wanda", sparsity: -0.1 }, /sparsity must be in \[0, 1\) \(got -0.1\)/],
    [{ method: "wanda", pattern: "4:4" }, /pattern 4:4: N:M needs 1 ≤ N < M/],
    [{ method: "wanda", pattern: "5:3" }, /N:M needs 1 ≤ N < M \(got N=5, M=3\)/],
    [{ method: "wanda", pattern: "half" }, /pattern "half" is neither/],
    [{ method: "wanda", pattern: "2:4", sparsity: 0.7 }, /sparsity 0.7 disagrees with pattern 2:4/],
    [{ method: "sparsegpt", pattern: "2:3", blockSize: 128 }, /blockSize 128 is not a multiple of M=3/],
    [{ method: "sparsegpt" }, /method sparsegpt needs a sparsity/],
    [{ method: "obs", sparsity: 0.5 }, /method/],
    [{ method: "magnitude", sparsity: 0.5, owl: {} }, /OWL applies to wanda or sparsegpt/],
    [{ method: "wanda", sparsity: 0.5, calibration: { samples: 0 } }, /calibration.samples/],
    [{ method: "wanda", sparsity: 0.5, typo: 1 }, /typo/],
  ])("rejects %o", (input, msg) => {
    expect(() => parseCompressionSpec(input)).toThrow(msg);
  });
  it("N:M width check names the layer", () => {
    expect(() => checkNMWidth("2:4", 10, "layers.0.q")).toThrow(/layers\.0\.q: input width 10 is not divisible by M=4/);
    expect(() => checkNMWidth("2:4", 12, "layers.0.q")).not.toThrow();
  });
});
