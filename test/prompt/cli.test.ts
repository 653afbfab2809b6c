// kick prompt: --help, a short run on the llama fixture (a "compressed" copy with compression.json), the card's
// fields, and bad command lines.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { captureCli as capture } from "../sweep/capture-cli.js";
import { main, summary } from "../../loaders/cli/prompt.js";
import { readModelSpec } from "../../loaders/model/config.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { loraParameters, softPromptParameters } from "../../loaders/prompt/cost.js";

const LLAMA = "test/fixtures/models/llama";
const tmp = mkdtempSync(join(tmpdir(), "kick-prompt-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());


describe("kick prompt", () => {
  it("--help exits 0", async () => {
    const r = await capture(() => main(["--help"]));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: kick prompt --model DIR --data FILE --out DIR/);
    expect(summary).toMatch(/soft prompt/);
  });

  it("trains on a compressed checkpoint and writes prompt + card with its compression.json", async () => {
    process.env.XDG_RUNTIME_DIR ??= "/tmp";
    const comp = join(tmp, "llama-50");
    cpSync(LLAMA, comp, { recursive: true });
    writeFileSync(join(comp, "compression.json"), JSON.stringify({ id: "magnitude-u50", method: "magnitude", sparsity: 0.5 }));
    const data = join(tmp, "data.jsonl");
    writeFileSync(data, Array.from({ length: 30 }, (_, i) => JSON.stringify({ text: `line ${i}: the cat sat on the mat.` })).join("\n"));
    const out = join(tmp, "prompts");
    const r = await capture(() => main(["--model", LLAMA, "--compressed", comp, "--data", data, "--out", out, "--length", "6", "--steps", "6", "--seq-len", "16", "--eval-every", "3", "--warmup", "1", "--json"]));
    expect(r.err).toMatch(/step 6\/6 .* tokens\/s .*valid ppl/);
    expect(r.code).toBe(0);
    const card = JSON.parse(readFileSync(join(out, "llama-50-p6", "card.json"), "utf8"));
    expect(card.compression).toEqual({ id: "magnitude-u50", method: "magnitude", sparsity: 0.5 });
    expect([card.length, card.hidden, card.steps, card.trainableParameters]).toEqual([6, 32, 6, 192]);
    expect(card.validation.map((v: { step: number }) => v.step)).toEqual([0, 3, 6]);
    expect(JSON.parse(r.out).id).toBe("llama-50-p6");
  });

  it("--compressed SPEC compresses --model first, keeps the checkpoint and reuses it", async () => {
    process.env.XDG_RUNTIME_DIR ??= "/tmp";
    const data = join(tmp, "spec-data.txt");
    writeFileSync(data, "the cat sat on the mat. ".repeat(80));
    const out = join(tmp, "spec-prompts"), ck = join(tmp, "ck", "llama-mag50");
    const args = (id: string) => ["--model", LLAMA, "--compressed", '{"method":"magnitude","sparsity":0.5}', "--compressed-out", ck, "--data", data, "--out", out,
      "--id", id, "--length", "4", "--steps", "2", "--seq-len", "16", "--eval-every", "2", "--warmup", "1"];
    let r = await capture(() => main(args("a")));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/\[prompt\] compressed checkpoint: /);
    // the checkpoint holds the spec, and half of every linear's weights are zero (the dense fixture has none)
    const doc = JSON.parse(readFileSync(join(ck, "compression.json"), "utf8"));
    expect([doc.spec.method, doc.spec.sparsity]).toEqual(["magnitude", 0.5]);
    const { model } = await loadReferenceModel(ck);
    const { model: dense } = await loadReferenceModel(LLAMA);
    for (const name of ["layers.0.q.weight", "layers.1.down.weight"]) {
      const w = model.weights.get(name)!, w0 = dense.weights.get(name)!;
      expect(w.filter((x) => x === 0).length / w.length, name).toBeCloseTo(0.5, 2);
      expect(w0.filter((x) => x === 0).length, `${name} dense`).toBe(0);
    }
    const card = JSON.parse(readFileSync(join(out, "a", "card.json"), "utf8"));
    expect(card.compression.spec).toEqual(doc.spec);
    // a second prompt with the same spec reuses the checkpoint; another spec in the same folder is refused
    r = await capture(() => main(args("b")));
    expect([r.code, r.err]).toEqual([0, expect.stringMatching(/reusing .*llama-mag50/)]);
    r = await capture(() => main(args("c").map((a) => a.replace('"sparsity":0.5', '"sparsity":0.25'))));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/already holds another checkpoint/)]);
  });

  it("bad command lines exit 2 with the reason", async () => {
    const data = join(tmp, "d.txt");
    writeFileSync(data, "hello world. ".repeat(50));
    let r = await capture(() => main(["--model", LLAMA, "--data", data]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--out DIR is required/)]);
    r = await capture(() => main(["--model", LLAMA, "--compressed", "magnitude:0.5", "--data", data, "--out", tmp]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--compressed magnitude:0.5: neither a checkpoint directory nor a compression spec/)]);
    r = await capture(() => main(["--model", LLAMA, "--compressed", '{"method":"magnitude","sparsity":1.5}', "--data", data, "--out", tmp]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--compressed.*sparsity/)]);
    r = await capture(() => main(["--model", LLAMA, "--compressed", '{"method":"awq"}', "--data", data, "--out", tmp]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/AWQ is not compressed here/)]);
    r = await capture(() => main(["--model", LLAMA, "--compressed-out", join(tmp, "x"), "--data", data, "--out", tmp]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--compressed-out needs --compressed SPEC/)]);
    r = await capture(() => main(["--model", LLAMA, "--data", data, "--out", tmp, "--length", "200"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/prompt length 200 leaves no room .*longer than the context/)]);
    r = await capture(() => main(["--model", LLAMA, "--data", data, "--out", tmp, "--init", "random"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--init random: expected vocab or text:<words>/)]);
  });
});

describe("cost: trainable parameters", () => {
  it("soft prompt P·hidden; LoRA r·(in + out) per target per layer (hand-computed for the llama fixture)", () => {
    const spec = readModelSpec(LLAMA); // hidden 32, 4 heads × 8, 2 kv heads, 2 layers
    expect(softPromptParameters(spec, 100)).toBe(3200);
    // q: 32·(32 + 32) = 2048, v: 32·(32 + 16) = 1536 → 3584 per layer, 2 layers
    expect(loraParameters(spec, 32, ["q", "v"])).toBe(7168);
    // r 4 on down: 4·(64 + 32) = 384 per layer
    expect(loraParameters(spec, 4, ["down"])).toBe(768);
  });
});
