// Calibration samples: `samples` windows of `seqLen` tokens at seeded random offsets of a token
// stream (as SparseGPT's get_c4 takes a random window per sample), from kick's corpus or a file.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ModelTokenizer } from "../model/tokenizer.js";
import { mulberry32 } from "../util/random.js";

export class CalibrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CalibrationError";
  }
}

/** Seeded windows of one token stream; fails when the stream is shorter than one window. */
export function sampleWindows(stream: ArrayLike<number>, samples: number, seqLen: number, seed: number, what: string): number[][] {
  if (stream.length < seqLen)
    throw new CalibrationError(`too little calibration text in ${what}: ${stream.length} tokens, need at least --seq-len ${seqLen} (use a longer text or a smaller --seq-len)`);
  const rnd = mulberry32(seed);
  const out: number[][] = [];
  for (let s = 0; s < samples; s++) {
    const start = Math.floor(rnd() * (stream.length - seqLen + 1));
    out.push(Array.from({ length: seqLen }, (_, i) => stream[start + i]!));
  }
  return out;
}

/**
 * Token stream of a calibration source: "corpus" = kick's corpus text (data/corpus/train-000.txt,
 * tokenized with the model's tokenizer); a .bin file = uint16 token ids (kick's data/tokens shards,
 * only for models with kick's tokenizer); anything else = a UTF-8 text file.
 */
export function calibrationStream(source: string, tokenizer: ModelTokenizer | null, vocabSize: number, root = process.cwd(), maxChars = 8_000_000): { tokens: ArrayLike<number>; what: string } {
  const path = source === "corpus" ? join(root, "data/corpus/train-000.txt") : source;
  if (!existsSync(path)) throw new CalibrationError(`calibration source ${source}: ${path} not found${source === "corpus" ? " (run npm run data, or pass a text file)" : ""}`);
  if (!statSync(path).isFile()) throw new CalibrationError(`calibration source ${source}: ${path} is a directory, not a file (pass a text file, a .bin of token ids, or "corpus")`);
  if (path.endsWith(".bin")) {
    const b = readFileSync(path);
    const ids = new Uint16Array(b.buffer, b.byteOffset, Math.floor(b.byteLength / 2));
    for (let i = 0; i < ids.length; i++)
      if (ids[i]! >= vocabSize) throw new CalibrationError(`calibration source ${path}: token id ${ids[i]} at ${i} is outside the model's vocabulary of ${vocabSize} (use a text file)`);
    return { tokens: ids, what: path };
  }
  if (!tokenizer) throw new CalibrationError(`calibration source ${path} is text but the model has no tokenizer.json`);
  return { tokens: textCalibrationTokens(readFileSync(path, "utf8"), tokenizer, maxChars), what: path };
}

/** Characters of calibration text tokenized for a calibration setting: ~16 per token needed, at least 200,000. */
export const calibrationChars = (c: { samples: number; seqLen: number }): number => Math.max(200_000, c.samples * c.seqLen * 16);

/** The token stream of calibration text: only its first maxChars characters are tokenized. */
export function textCalibrationTokens(text: string, tokenizer: Pick<ModelTokenizer, "encode">, maxChars: number): number[] {
  return tokenizer.encode(text.slice(0, maxChars), { addSpecialTokens: false });
}
