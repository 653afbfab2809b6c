// Tokenizer ids and decoded text against the Rust `tokenizers` library (fixtures from the GPU host):
// byte-level BPE and SentencePiece-style BPE with byte fallback, tricky strings, special tokens, chat template.
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openModel } from "../../loaders/model/load.js";
import { ModelTokenizer } from "../../loaders/model/tokenizer.js";
import { FIXTURES, modelDir } from "./fixtures.js";

interface Case {
  text: string;
  add_special_tokens: boolean;
  ids: number[];
  tokens: string[];
  decoded: string;
  decoded_skip_special: string;
}
const cases = JSON.parse(readFileSync(join(FIXTURES, "tokenizers", "cases.json"), "utf8")) as {
  strings: string[];
  tokenizers: Record<string, { vocab_size: number; cases: Case[] }>;
  chat: { tokenizer: string; messages: { role: string; content: string }[]; rendered: string; rendered_no_generation_prompt: string };
};

describe.each(["bytelevel", "spbpe"])("%s tokenizer", (name) => {
  const tok = ModelTokenizer.load(join(FIXTURES, "tokenizers", name));
  const rows = cases.tokenizers[name].cases;

  it("covers the tricky strings", () => {
    expect(rows.length).toBe(2 * cases.strings.length);
    expect(cases.strings).toContain("");
    expect(tok.vocabSize).toBe(cases.tokenizers[name].vocab_size);
  });

  it.each(rows.map((r) => [JSON.stringify(r.text), r.add_special_tokens, r] as const))("encodes %s (special tokens: %s)", (_, special, r) => {
    expect(tok.encode(r.text, { addSpecialTokens: special })).toEqual(r.ids);
    expect(tok.tokens(r.text, { addSpecialTokens: special })).toEqual(r.tokens);
  });

  it.each(rows.map((r) => [JSON.stringify(r.text), r.add_special_tokens, r] as const))("decodes %s (special tokens: %s)", (_, __, r) => {
    expect(tok.decode(r.ids)).toBe(r.decoded);
    expect(tok.decode(r.ids, { skipSpecialTokens: true })).toBe(r.decoded_skip_special);
  });
});

describe("special tokens and chat template", () => {
  it("reads bos/eos from generation_config.json and the tokenizer config", () => {
    const llama = ModelTokenizer.load(modelDir("llama"));
    expect(llama.bosTokenId).toBe(llama.tokenToId("<s>"));
    expect(llama.eosTokenIds).toEqual([llama.tokenToId("</s>")]);
    const gpt2 = ModelTokenizer.load(modelDir("gpt2"));
    expect(gpt2.eosTokenIds).toEqual([gpt2.tokenToId("<|endoftext|>")]);
  });

  it("renders the chat template as transformers' apply_chat_template", () => {
    const tok = ModelTokenizer.load(join(FIXTURES, "tokenizers", cases.chat.tokenizer));
    expect(tok.chatTemplate).not.toBeNull();
    expect(tok.applyChatTemplate(cases.chat.messages, { addGenerationPrompt: true })).toBe(cases.chat.rendered);
    expect(tok.applyChatTemplate(cases.chat.messages)).toBe(cases.chat.rendered_no_generation_prompt);
  });

  it("reads a chat template kept in tokenizer_config.json (older layout)", () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-tok-"));
    const src = join(FIXTURES, "tokenizers", "bytelevel");
    cpSync(join(src, "tokenizer.json"), join(dir, "tokenizer.json"));
    const cfg = JSON.parse(readFileSync(join(src, "tokenizer_config.json"), "utf8"));
    cfg.chat_template = readFileSync(join(src, "chat_template.jinja"), "utf8");
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(cfg));
    expect(ModelTokenizer.load(dir).applyChatTemplate(cases.chat.messages, { addGenerationPrompt: true })).toBe(cases.chat.rendered);
  });
});

describe("bad tokenizer files", () => {
  const src = join(FIXTURES, "tokenizers", "bytelevel", "tokenizer.json");
  function dirWith(tokenizerJson: string): string {
    const dir = mkdtempSync(join(tmpdir(), "kick-tok-"));
    writeFileSync(join(dir, "tokenizer.json"), tokenizerJson);
    return dir;
  }

  it("names tokenizer.json and model.type for an unknown tokenizer model", () => {
    const tj = JSON.parse(readFileSync(src, "utf8"));
    tj.model.type = "WordLevelPlus";
    const dir = dirWith(JSON.stringify(tj));
    expect(() => ModelTokenizer.load(dir)).toThrow(/tokenizer\.json: field "model\.type": unsupported tokenizer model "WordLevelPlus"; supported: BPE/);
  });

  it("names the file when tokenizer.json is missing or not JSON", () => {
    const empty = mkdtempSync(join(tmpdir(), "kick-tok-"));
    expect(() => ModelTokenizer.load(empty)).toThrow(/tokenizer\.json: missing/);
    expect(() => ModelTokenizer.load(dirWith("{ not json"))).toThrow(/tokenizer\.json: not valid JSON/);
  });

  it("names the file when a component is unknown", () => {
    const tj = JSON.parse(readFileSync(src, "utf8"));
    tj.pre_tokenizer = { type: "Mystery" };
    expect(() => ModelTokenizer.load(dirWith(JSON.stringify(tj)))).toThrow(/tokenizer\.json: cannot build tokenizer: .*Mystery/);
  });
});

// A tokenizer with ids past the model's embedding (added tokens never given rows, or another model's tokenizer)
// used to load and then fail mid-evaluation on the first such id ("token id 321 outside the vocabulary"),
// naming neither file. It is refused when the checkpoint opens, naming both files and both sizes.
describe("tokenizer larger than the model's vocabulary", () => {
  it("is refused at load, naming tokenizer.json, config.json and both sizes", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kick-tok-vocab-")), "llama");
    cpSync(modelDir("llama"), dir, { recursive: true });
    const tj = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
    const base = { single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
    for (const id of [320, 321, 322]) tj.added_tokens.push({ ...base, id, content: `<extra_${id}>` });
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tj));
    await expect(openModel(dir)).rejects.toThrow(
      `${join(dir, "tokenizer.json")}: token ids go up to 322 (323 ids), more than the 320 of vocab_size in ${join(dir, "config.json")}`,
    );
    const fits = await openModel(modelDir("llama")); // 317 ids in a vocabulary of 320
    await fits.weights.close();
    expect(fits.tokenizer!.idLimit).toBe(317);
  });
});
