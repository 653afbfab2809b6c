// Tokenizer ids and decoded text against the Rust `tokenizers` library (fixtures from the GPU host):
// byte-level BPE and SentencePiece-style BPE with byte fallback, tricky strings, special tokens, chat template.
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
