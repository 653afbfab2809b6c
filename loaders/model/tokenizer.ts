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

/** Tokenizer model types @huggingface/tokenizers implements. */
export const SUPPORTED_TOKENIZER_MODELS = ["BPE", "Unigram", "WordPiece"] as const;

export interface ChatMessage {
  role: string;
  content: string;
}

type Json = Record<string, unknown>;

function readJson(file: string, required: boolean): Json | null {
  if (!existsSync(file)) {
    if (required) throw new ModelFormatError(file, "missing");
    return null;
  }
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ModelFormatError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ModelFormatError(file, "expected a JSON object");
  return v as Json;
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
    const tjPath = join(dir, "tokenizer.json");
    const tj = readJson(tjPath, true)!;
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
    const cfgPath = join(dir, "tokenizer_config.json");
    const cfg = readJson(cfgPath, false) ?? {};
    const stm = readJson(join(dir, "special_tokens_map.json"), false) ?? {};
    const gen = readJson(join(dir, "generation_config.json"), false) ?? {};
    const modelCfg = readJson(join(dir, "config.json"), false) ?? {};

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
    const jinjaPath = join(dir, "chat_template.jinja"); // transformers ≥ 4.50 writes it as its own file
    if (existsSync(jinjaPath)) chatTemplate = readFileSync(jinjaPath, "utf8");
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
