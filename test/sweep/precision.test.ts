// precision in the run spec: f16 is part of the run key (an f16 run is never taken for the f32 one), f32 keeps
// the keys runs had before the field existed, f16 needs the gpu backend, and the device provenance says f16.
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { canonicalJson } from "../../loaders/model/config.js";
import { taskSpecJson } from "../../loaders/evaluate/task-spec.js";
import { compressionJson } from "../../loaders/sweep/compression.js";
import { describe, expect, it, vi } from "vitest";
import { main as evalMain } from "../../loaders/cli/eval.js";
import { expandPlan, runKey, compressedModelKey } from "../../loaders/sweep/plan.js";
import { loadModel } from "../../loaders/sweep/models.js";

const LLAMA = fileURLToPath(new URL("../fixtures/models/llama", import.meta.url));
const plan = (extra: object) => expandPlan({ backend: "gpu", models: [{ name: "llama", path: LLAMA }], tasks: ["perplexity"], ...extra }, "/tmp/precision-plan.json");

describe("precision in the run spec", () => {
  it("keys f16 runs apart; f32 (the default) leaves the run key as it was", async () => {
    const [dflt] = (await plan({})).runs, [f32] = (await plan({ precision: "f32" })).runs, [f16] = (await plan({ precision: "f16" })).runs;
    expect(f32.run_id).toBe(dflt.run_id);
    expect(f32.precision).toBeUndefined();
    expect(f16.precision).toBe("f16");
    expect(f16.run_id).not.toBe(f32.run_id);
    // the key as it was before precision existed: sha256 of the canonical JSON of these fields alone
    const before = canonicalJson({ model_hash: f32.model.hash, compression: JSON.parse(compressionJson(f32.compression)), task: JSON.parse(taskSpecJson(f32.task)), seed: f32.seed, backend: f32.backend, code_version: f32.code_version });
    expect(runKey(f32)).toBe(createHash("sha256").update(before).digest("hex").slice(0, 20));
    expect(compressedModelKey(f16)).not.toBe(compressedModelKey(f32));
  });

  it("refuses f16 on the cpu backend and unknown precisions, naming the field", async () => {
    await expect(plan({ backend: "cpu", precision: "f16" })).rejects.toThrow(/field "precision": f16 needs "backend": "gpu"/);
    await expect(plan({ precision: "bf16" })).rejects.toThrow(/field "precision"/);
    await expect(loadModel(LLAMA, "cpu", "f16")).rejects.toThrow(/precision f16 needs the gpu backend/);
  });

  it("kick eval refuses --precision f16 without --backend gpu and unknown precisions", async () => {
    let err = "";
    const e = vi.spyOn(process.stderr, "write").mockImplementation((x) => ((err += String(x)), true));
    try {
      expect(await evalMain(["--model", LLAMA, "--task", "perplexity", "--precision", "f16"])).toBe(2);
      expect(await evalMain(["--model", LLAMA, "--task", "perplexity", "--backend", "gpu", "--precision", "f8"])).toBe(2);
    } finally {
      e.mockRestore();
    }
    expect(err).toMatch(/--precision f16 needs --backend gpu/);
    expect(err).toMatch(/--precision must be one of f32, f16, got "f8"/);
  });

  it("records f16 in the device provenance", async () => {
    process.env.XDG_RUNTIME_DIR ??= "/tmp";
    const loaded = await loadModel(LLAMA, "gpu", "f16");
    try {
      expect(loaded.device).toMatch(/\[.*shader-f16.*\] · precision f16$/);
    } finally {
      await loaded.dispose();
    }
  });
});
