// The method registry (loaders/compress/methods/) and the report's metadata (src/components/method-meta.ts)
// describe the same methods: every results-table name a method runs under has a label, kind and colour,
// every pruner a rank, and the sweep registry, the spec and `kick compress` offer exactly the listed methods.
import { describe, expect, it } from "vitest";
import { COMPRESSION_METHODS } from "../../loaders/compress/methods/index.js";
import { METHODS } from "../../loaders/compress/spec.js";
import { COMPRESS_HELP } from "../../loaders/cli/compress.js";
import { knownMethods } from "../../loaders/sweep/compression.js";
import { METHOD_META, methodMeta, PRUNERS_BY_RANK } from "../../src/components/method-meta.js";

const sweepNames = COMPRESSION_METHODS.flatMap((m) => m.sweep.map((s) => ({ name: s.name, method: m })));

describe("compression method registry", () => {
  it("lists each method once, and the spec accepts exactly those", () => {
    const ids = COMPRESSION_METHODS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...METHODS]).toEqual(ids);
  });
  it("gives every results-table name report metadata of the right kind, and every pruner a rank", () => {
    for (const { name, method } of sweepNames) {
      const meta = methodMeta(name);
      expect(meta, name).toBeDefined();
      const kind = method.prunes && name.includes("+") ? "pruning+quantization" : method.prunes ? "pruning" : "quantization";
      expect(meta!.kind, name).toBe(kind);
      expect(meta!.rank !== null, name).toBe(kind === "pruning");
    }
    // and no metadata without a method: the sweep names, dense and AWQ (its own driver)
    expect(METHOD_META.map((m) => m.id).sort()).toEqual([...sweepNames.map((s) => s.name), "dense", "awq"].sort());
    expect(PRUNERS_BY_RANK.slice(0, 3)).toEqual(["sparsegpt", "wanda", "magnitude"]);
  });
  it("the sweep registry and kick compress offer every method", () => {
    expect(knownMethods()).toEqual([...sweepNames.map((s) => s.name), "dense", "awq"].sort());
    for (const m of COMPRESSION_METHODS) expect(COMPRESS_HELP).toContain(m.id);
    for (const f of COMPRESSION_METHODS.flatMap((m) => m.flags ?? [])) expect(COMPRESS_HELP).toContain(`--${f.flag} X`);
  });
});
