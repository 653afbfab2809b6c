// The kick CLI spawned as a user runs it, on a fixture model: generate prints HF's greedy continuation,
// ppl prints the CPU reference's perplexity, and bad options fail with exit 2 and a message naming them.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { perplexity } from "../../loaders/model/generate.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ModelTokenizer } from "../../loaders/model/tokenizer.js";
import { modelDir, readReference } from "./fixtures.js";
import { tempDir } from "./helpers.js";

const CLI = join(import.meta.dirname, "../../loaders/cli.ts");
const kick = (...args: string[]) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("kick CLI", () => {
  it("generate prints HF's greedy continuation, with progress on stderr", () => {
    const dir = modelDir("llama");
    const p = readReference("llama").prompts[0];
    const tok = ModelTokenizer.load(dir);
    expect(tok.encode(p.text)).toEqual(p.ids);
    const eos = p.greedy.findIndex((t) => tok.eosTokenIds.includes(t));
    const want = tok.decode(eos < 0 ? p.greedy : p.greedy.slice(0, eos + 1), { skipSpecialTokens: true });
    const r = kick("generate", "--model", dir, "--max-new-tokens", String(p.greedy.length), p.text);
    expect(r.stderr).toMatch(/tokens\/s/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${want}\n`);
  });

  it("generate warns when it may run past a rotary model's max_position_embeddings, and refuses for learned positions", () => {
    let r = kick("generate", "--model", modelDir("llama"), "--max-new-tokens", "130", "Hello");
    expect(r.stderr, r.stderr).toMatch(/\[kick\] warning: the prompt's \d+ tokens \+ --max-new-tokens 130 = \d+ positions may run past .*llama's max_position_embeddings 128 \(config\.json\)/);
    expect(r.code).toBe(0);
    r = kick("generate", "--model", modelDir("llama"), "--max-new-tokens", "8", "Hello");
    expect(r.stderr).not.toMatch(/warning/);
    r = kick("generate", "--model", modelDir("gpt2"), "--max-new-tokens", "130", "Hello");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/= \d+ positions exceed the 128 learned positions of .*gpt2 \(config\.json\)/);
  });

  it("ppl --json equals the CPU reference's perplexity (plain and strided), with rate and windows on stderr", async () => {
    const dir = modelDir("gpt2");
    const file = join(tempDir(), "text.txt");
    writeFileSync(file, "The quick brown fox jumps over the lazy dog. ".repeat(6) + "Hello world! def f(x): return x\n".repeat(3));
    const { model, opened } = await loadReferenceModel(dir);
    const stream = opened.tokenizer!.encode(
      "The quick brown fox jumps over the lazy dog. ".repeat(6) + "Hello world! def f(x): return x\n".repeat(3),
    );
    for (const stride of [undefined, 5]) {
      const want = await perplexity(model, stream, { window: 16, stride });
      const r = kick("ppl", "--model", dir, "--text", file, "--seq-len", "16", "--json", ...(stride ? ["--stride", String(stride)] : []));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/windows \d+\/\d+ · [\d.]+ tokens\/s/);
      const got = JSON.parse(r.stdout);
      expect(got.windows).toBe(want.windowNlls.length);
      expect(got.tokens).toBe(stream.length);
      expect(Math.abs(got.perplexity / want.perplexity - 1)).toBeLessThan(1e-4);
    }
  });

  it("--help for each command; bad files and options fail with exit 2, naming them", () => {
    expect(kick("generate", "--help")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: kick generate --model DIR/) });
    expect(kick("ppl", "--help")).toMatchObject({ code: 0, stdout: expect.stringMatching(/--seq-len N/) });
    expect(kick("--help").stdout).toMatch(/Commands:/);
    const dir = modelDir("llama");
    const cases: [string[], RegExp][] = [
      [["ppl", "--model", dir, "--text", "/no/such.txt"], /--text \/no\/such\.txt: no such file/],
      [["ppl", "--model", "/no/model", "--text", CLI], /--model \/no\/model: no such directory/],
      [["ppl", "--model", dir, "--text", CLI, "--seq-len", "abc"], /--seq-len must be an integer ≥ 2, got "abc"/],
      [["ppl", "--model", dir, "--text", CLI, "--seq-len", "8", "--stride", "9"], /--stride 9 is larger than --seq-len 8/],
      [["generate", "--model", dir, "--bogus", "x"], /Unknown option '--bogus'/],
      [["generate", "--model", dir], /the prompt is missing/],
      [["generate", "--model", dir, "--temperature", "0", "hi"], /--temperature must be a number > 0/],
      [["frobnicate"], /unknown command "frobnicate"/],
    ];
    for (const [args, msg] of cases) {
      const r = kick(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });

  it("a text shorter than one window fails naming the file and the counts", () => {
    const file = join(tempDir(), "short.txt");
    writeFileSync(file, "Hello");
    const r = kick("ppl", "--model", modelDir("llama"), "--text", file, "--seq-len", "64");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/short\.txt: \d+ tokens, fewer than one window of 64/);
  });
});
