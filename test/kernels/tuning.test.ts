import { describe, expect, it } from "vitest";
import { KernelError, readTuning } from "../../kernels/index.js";

describe("tuning switches (read once, at context creation)", () => {
  it("defaults: no overrides, 4 blocks per lazy span, the strided GEMM", () => {
    expect(readTuning({})).toEqual({ matmulTile: undefined, matmulF16Tile: undefined, cholBlock: undefined, lazySpanBlocks: 4, simpleGemm: false });
  });
  it("reads every KICK_ switch the kernels honour", () => {
    const t = readTuning({
      KICK_MATMUL_TILE: "64x64x16/4x4", KICK_MATMUL_F16_TILE: "128x256x16/64x64:n8", KICK_CHOL_BLOCK: "32",
      KICK_LAZY_SPAN_BLOCKS: "1", KICK_LINALG_SIMPLE_GEMM: "1",
    });
    expect(t).toEqual({ matmulTile: "64x64x16/4x4", matmulF16Tile: "128x256x16/64x64:n8", cholBlock: 32, lazySpanBlocks: 1, simpleGemm: true });
  });
  it("a malformed switch is an error naming the variable and the value", () => {
    expect(() => readTuning({ KICK_CHOL_BLOCK: "48" })).toThrow(KernelError);
    expect(() => readTuning({ KICK_CHOL_BLOCK: "48" })).toThrow(/KICK_CHOL_BLOCK="48" is not 32 or 64/);
    expect(() => readTuning({ KICK_LAZY_SPAN_BLOCKS: "9" })).toThrow(/KICK_LAZY_SPAN_BLOCKS="9" is not a whole number from 1 to 8/);
    expect(() => readTuning({ KICK_LAZY_SPAN_BLOCKS: "two" })).toThrow(/KICK_LAZY_SPAN_BLOCKS/);
  });
  it("an empty variable counts as unset", () => {
    expect(readTuning({ KICK_CHOL_BLOCK: "", KICK_LINALG_SIMPLE_GEMM: "", KICK_MATMUL_TILE: "" })).toEqual(readTuning({}));
  });
});
