// The tokenizer: byte-level conventions, the trainer on a hand-worked example, and kick's TS
// encoders against ids produced by the Python `tokenizers` library on the GPU host
// (test/reference/tokenizer_check.py → test/fixtures/tokenizer/python_ids.json).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { describe, expect, it } from "vitest";
import { BYTE_TO_CHAR, preTokenize } from "../../loaders/data/tokenizer/byte-level.js";
import { BpeEncoder } from "../../loaders/data/tokenizer/encode.js";
import { trainBpe } from "../../loaders/data/tokenizer/train-bpe.js";
import { sha256 } from "../../loaders/data/util.js";
import { DATA, ROOT } from "./helpers.js";

const tokText = readFileSync(join(DATA, "tokenizer/tokenizer.json"), "utf8");
const tok = JSON.parse(tokText);

describe("byte-level conventions (GPT-2)", () => {
  it("maps bytes like GPT-2's bytes_to_unicode", () => {
    // Known from GPT-2's vocab: space is "Ġ", newline "Ċ", tab "ĉ", printable ASCII is itself.
    expect(BYTE_TO_CHAR[32]).toBe("Ġ");
    expect(BYTE_TO_CHAR[10]).toBe("Ċ");
    expect(BYTE_TO_CHAR[9]).toBe("ĉ");
    expect(BYTE_TO_CHAR[65]).toBe("A");
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
  });
  it("splits like the GPT-2 regex", () => {
    expect(preTokenize("Hello world's  end")).toEqual(["Hello", "Ġworld", "'s", "Ġ", "Ġend"]);
  });
});

describe("BPE trainer", () => {
  it("reproduces the merges of Sennrich et al.'s example by hand", () => {
    // low×5, lower×2, newest×6, widest×3 (no end-of-word marker): pair counts are
    // es=9, st=9, we=8, lo=7, ow=7, ne=6, ... → ties broken by the smaller (left, right) byte key:
    // "e"+"s" (101,115) < "s"+"t" (115,116), then "es"+"t"=9, then "l"+"o"=7 < "o"+"w"=7.
    const m = trainBpe(new Map([["low", 5], ["lower", 2], ["newest", 6], ["widest", 3]]), 256 + 4);
    expect(m.merges).toEqual([["e", "s"], ["es", "t"], ["l", "o"], ["lo", "w"]]);
  });
  it("is deterministic", () => {
    const wc = new Map(preTokenize("the cat sat on the mat and the hat sat on the cat").map((w, i) => [w, i + 1] as [string, number]));
    expect(trainBpe(wc, 270)).toEqual(trainBpe(new Map([...wc].reverse()), 270));
  });
});

// The Python fixtures: test/reference/tokenizer_check.py run on the GPU host (tokenizers 0.23.2: "40/40 samples
// match") against the committed data/tokenizer/tokenizer.json and ts_ids.json (scripts/data/tokenizer-fixture.ts).
describe("kick's tokenizer.json agrees with the Python tokenizers library", () => {
  const tokText = readFileSync(join(ROOT, "data/tokenizer/tokenizer.json"), "utf8");
  const tok = JSON.parse(tokText);
  const ts = JSON.parse(readFileSync(join(ROOT, "test/fixtures/tokenizer/ts_ids.json"), "utf8"));
  const py = JSON.parse(readFileSync(join(ROOT, "test/fixtures/tokenizer/python_ids.json"), "utf8"));
  it("fixtures were made from the committed tokenizer.json", () => {
    expect(py.tokenizer_sha256).toBe(sha256(tokText));
    expect(ts.tokenizer_sha256).toBe(sha256(tokText));
    expect(py.vocab_size).toBe(8192);
    expect(py.samples.length).toBe(ts.samples.length);
  });
  const hf = new Tokenizer(tok, {});
  const fast = new BpeEncoder(tok);
  it("@huggingface/tokenizers (JS) gives Python's ids on every sample", () => {
    ts.samples.forEach((s: { name: string; text: string }, i: number) => {
      expect(py.samples[i].name).toBe(s.name);
      expect(hf.encode(s.text, { add_special_tokens: false }).ids, s.name).toEqual(py.samples[i].ids);
      expect(py.samples[i].roundtrip, s.name).toBe(true);
    });
  });
  it("the fast shard encoder gives Python's ids on samples without special tokens", () => {
    ts.samples.forEach((s: { name: string; text: string }, i: number) => {
      if (!s.text.includes("<|endoftext|>")) expect(fast.encode(s.text), s.name).toEqual(py.samples[i].ids);
    });
  });
});

describe("the committed tokenizer.json", () => {
  it("the fast shard encoder agrees with @huggingface/tokenizers on the fixture samples", () => {
    const ts = JSON.parse(readFileSync(join(ROOT, "test/fixtures/tokenizer/ts_ids.json"), "utf8"));
    const hf = new Tokenizer(tok, {});
    const fast = new BpeEncoder(tok);
    for (const s of ts.samples as { name: string; text: string }[])
      if (!s.text.includes("<|endoftext|>")) expect(fast.encode(s.text), s.name).toEqual(hf.encode(s.text, { add_special_tokens: false }).ids);
  });
  it("has a byte-level BPE model of 8192 ids with <|endoftext|> last", () => {
    expect(tok.model.type).toBe("BPE");
    expect(tok.pre_tokenizer.type).toBe("ByteLevel");
    expect(tok.decoder.type).toBe("ByteLevel");
    expect(Object.keys(tok.model.vocab).length).toBe(8192);
    expect(tok.added_tokens).toEqual([expect.objectContaining({ id: 8191, content: "<|endoftext|>", special: true })]);
  });
});
