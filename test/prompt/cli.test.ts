// kick prompt: --help, a short run on the llama fixture (a "compressed" copy with compression.json), the card's
// fields, and bad command lines.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { captureCli as capture } from "../sweep/capture-cli.js";
import { main, summary } from "../../loaders/cli/prompt.js";
import { readModelSpec } from "../../loaders/model/config.js";
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

  it("bad command lines exit 2 with the reason", async () => {
    const data = join(tmp, "d.txt");
    writeFileSync(data, "hello world. ".repeat(50));
    let r = await capture(() => main(["--model", LLAMA, "--data", data]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--out DIR is required/)]);
    r = await capture(() => main(["--model", LLAMA, "--compressed", "magnitude:0.5", "--data", data, "--out", tmp]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/not a checkpoint directory .*run kick compress/)]);
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
