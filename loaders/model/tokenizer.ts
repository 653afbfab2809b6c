/**
 * A checkpoint's tokenizer: tokenizer.json through @huggingface/tokenizers (byte-level BPE as in GPT-2,
 * Llama-3 and Qwen2; SentencePiece-style BPE with byte fallback as in Llama-2), special tokens from
 * tokenizer_config.json / special_tokens_map.json / generation_config.json, and the chat template rendered
 * with @huggingface/jinja.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { ModelFormatError } from "./errors.js";
import type { FileStore } from "../util/file-store.js";

/** Tokenizer model types @huggingface/tokenizers implements. */
export const SUPPORTED_TOKENIZER_MODELS = ["BPE", "Unigram", "WordPiece"] as const;

export interface ChatMessage {
  role: string;
  content: string;
}

type Json = Record<string, unknown>;

/** The files a tokenizer is built from (tokenizer.json required, the others optional). */
export const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "config.json", "chat_template.jinja"] as const;
type TokenizerFile = (typeof TOKENIZER_FILES)[number];
/** Each file's text, null when absent; `where` names a file in messages (its path or URL). */
export interface TokenizerSources {
  text: Record<TokenizerFile, string | null>;
  where: (name: TokenizerFile) => string;
}

function parseJson(src: TokenizerSources, name: TokenizerFile, required: boolean): Json | null {
  const file = src.where(name);
  const text = src.text[name];
  if (text === null) {
    if (required) throw new ModelFormatError(file, "missing");
    return null;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ModelFormatError(file, "expected a JSON object");
  return v as Json;
}

/** The tokenizer files of a store (a folder on disk, or files fetched by a page). */
export async function readTokenizerSources(store: FileStore): Promise<TokenizerSources> {
  const text = {} as Record<TokenizerFile, string | null>;
  for (const name of TOKENIZER_FILES) text[name] = (await store.has(name)) ? await store.readText(name) : null;
  return { text, where: (name) => store.where(name) };
}

/** A special token in tokenizer_config.json is a string or an AddedToken object {content, ...}. */
function tokenContent(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as Json).content === "string") return (v as Json).content as string;
  return null;
}

function idList(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === "number");
  return [];
}

export class ModelTokenizer {
  private constructor(
    private readonly tok: HfTokenizer,
    readonly bosTokenId: number | null,
    readonly eosTokenIds: number[],
    readonly padTokenId: number | null,
    private readonly specialTokens: Record<string, string>,
    readonly chatTemplate: string | null,
    private readonly cleanUpSpaces: boolean,
  ) {}

  /** Loads tokenizer.json (required) and the optional config files from a checkpoint directory. */
  static load(dir: string): ModelTokenizer {
    const text = {} as Record<TokenizerFile, string | null>;
    for (const name of TOKENIZER_FILES) text[name] = existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8") : null;
    return ModelTokenizer.fromSources({ text, where: (name) => join(dir, name) });
  }

  /** As load, from the files' texts (readTokenizerSources). */
  static fromSources(src: TokenizerSources): ModelTokenizer {
    const tjPath = src.where("tokenizer.json");
    const tj = parseJson(src, "tokenizer.json", true)!;
    const model = tj.model as Json | undefined;
    if (!model || typeof model !== "object") throw new ModelFormatError(tjPath, `field "model": missing`);
    const type = model.type;
    if (!(SUPPORTED_TOKENIZER_MODELS as readonly unknown[]).includes(type)) {
      throw new ModelFormatError(
        tjPath,
        `field "model.type": unsupported tokenizer model ${JSON.stringify(type)}; supported: ${SUPPORTED_TOKENIZER_MODELS.join(", ")}`,
      );
    }
    if (!Array.isArray(tj.added_tokens)) tj.added_tokens = [];
    const cfg = parseJson(src, "tokenizer_config.json", false) ?? {};
    const stm = parseJson(src, "special_tokens_map.json", false) ?? {};
    const gen = parseJson(src, "generation_config.json", false) ?? {};
    const modelCfg = parseJson(src, "config.json", false) ?? {};

    let tok: HfTokenizer;
    try {
      // The library reads a few options from the config; special tokens are resolved here, not there.
      tok = new HfTokenizer(tj, { ...cfg, chat_template: undefined });
    } catch (e) {
      throw new ModelFormatError(tjPath, `cannot build tokenizer: ${(e as Error).message}`);
    }

    const specialTokens: Record<string, string> = {};
    for (const key of ["bos_token", "eos_token", "pad_token", "unk_token"]) {
      const c = tokenContent(cfg[key]) ?? tokenContent(stm[key]);
      if (c !== null) specialTokens[key] = c;
    }
    const idOf = (key: string): number | null => {
      const c = specialTokens[key];
      return c === undefined ? null : (tok.token_to_id(c) ?? null);
    };
    // generation_config.json decides what generation stops on; the tokenizer's tokens are the fallback.
    const eos = idList(gen.eos_token_id);
    const eosTokenIds = eos.length ? eos : idList(modelCfg.eos_token_id).length ? idList(modelCfg.eos_token_id) : [idOf("eos_token")].filter((x): x is number => x !== null);
    const bos = idList(gen.bos_token_id)[0] ?? idOf("bos_token") ?? idList(modelCfg.bos_token_id)[0] ?? null;
    const pad = idList(gen.pad_token_id)[0] ?? idOf("pad_token") ?? null;

    let chatTemplate: string | null = null;
    const jinja = src.text["chat_template.jinja"]; // transformers ≥ 4.50 writes it as its own file
    if (jinja !== null) chatTemplate = jinja;
    else if (typeof cfg.chat_template === "string") chatTemplate = cfg.chat_template;
    else if (Array.isArray(cfg.chat_template)) {
      const named = cfg.chat_template as { name?: string; template?: string }[];
      chatTemplate = named.find((t) => t.name === "default")?.template ?? named[0]?.template ?? null;
    }
    return new ModelTokenizer(tok, bos, eosTokenIds, pad, specialTokens, chatTemplate, cfg.clean_up_tokenization_spaces === true);
  }

  get vocabSize(): number {
    return this.tok.get_vocab(true).size;
  }

  /** One more than the largest token id (added tokens included): the embedding rows the model needs. */
  get idLimit(): number {
    let max = -1;
    for (const id of this.tok.get_vocab(true).values()) if (id > max) max = id;
    return max + 1;
  }

  /** Token ids; with addSpecialTokens (default true) the post-processor adds e.g. Llama's <s>. */
  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  tokens(text: string, opts: { addSpecialTokens?: boolean } = {}): string[] {
    return this.tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).tokens;
  }

  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return "";
    return this.tok.decode(ids, {
      skip_special_tokens: opts.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: this.cleanUpSpaces,
    });
  }

  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  /** Renders the chat template as transformers' apply_chat_template(..., tokenize=False) does. */
  applyChatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt?: boolean } = {}): string {
    if (this.chatTemplate === null) throw new Error("this tokenizer has no chat template");
    return new Template(this.chatTemplate).render({
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      bos_token: this.specialTokens.bos_token ?? "",
      eos_token: this.specialTokens.eos_token ?? "",
      pad_token: this.specialTokens.pad_token ?? "",
      unk_token: this.specialTokens.unk_token ?? "",
    });
  }
}
