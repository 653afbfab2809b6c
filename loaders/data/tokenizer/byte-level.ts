// GPT-2 byte-level conventions, as in Hugging Face `tokenizers` (ByteLevel pre-tokenizer):
// each byte maps to a printable unicode char, and text is split by the GPT-2 regex first.

/** GPT-2 bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
export const BYTE_TO_CHAR: string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) (bs.push(b), cs.push(256 + n++));
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i])));
  return out;
})();

/** The ByteLevel pre-tokenizer regex (use_regex: true). */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const enc = new TextEncoder();
/** Pre-tokenize: GPT-2 split, then each piece's UTF-8 bytes as byte-level chars. */
export function preTokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(GPT2_SPLIT)) {
    let s = "";
    for (const b of enc.encode(m[0])) s += BYTE_TO_CHAR[b];
    out.push(s);
  }
  return out;
}
