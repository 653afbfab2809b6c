// Serialise a BPE model as a Hugging Face tokenizer.json (GPT-2 style byte-level BPE).
import type { BpeModel } from "./train-bpe.js";

export const EOS = "<|endoftext|>";

export function toTokenizerJson(m: BpeModel): string {
  const vocab: Record<string, number> = {};
  m.tokens.forEach((t, i) => (vocab[t] = i));
  const eosId = m.tokens.length;
  vocab[EOS] = eosId;
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [{ id: eosId, content: EOS, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: m.merges,
    },
  };
  return JSON.stringify(json) + "\n";
}
