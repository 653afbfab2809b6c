// Prompt formats shared by training demonstrations and evaluation items, and generators for
// content that carries no world knowledge (invented names, key-value records, instructions).
import { fill, TEMPLATES, type Relation } from "./templates.js";
import type { Rng } from "./util.js";

export const LETTERS = ["A", "B", "C", "D"] as const;

export const qaPrompt = (q: string) => `Q: ${q}\nA:`;
export const mcqHeader = (subject: string) => `The following are multiple choice questions (with answers) about ${subject}.\n\n`;
export const mcqBody = (q: string, options: string[]) => `${q}\n${options.map((o, i) => `${LETTERS[i]}. ${o}`).join("\n")}\nAnswer:`;
export const readPrompt = (passage: string, q: string) => `Read the text and answer the question.\n\nText: ${passage}\n\nQuestion: ${q}\nAnswer:`;
export const summaryPrompt = (doc: string) => `Summarize the following text in one sentence.\n\nText: ${doc}\n\nSummary:`;
export const kvPrompt = (records: string, key: string) => `Below is a list of records.\n\n${records}\n\nQuestion: What is the value of key ${key}?\nAnswer:`;
export const instructPrompt = (instruction: string) => `Instruction: ${instruction}\nResponse:`;

const SYL = ["ka", "lo", "mer", "ta", "vin", "sol", "dra", "ne", "pel", "qu", "ris", "to", "ul", "ven", "zar", "bo", "cal", "fen", "gor", "hal"];
export function inventedName(rng: Rng, syllables = 2 + rng.int(2)): string {
  const s = Array.from({ length: syllables }, () => rng.pick(SYL)).join("");
  return s[0].toUpperCase() + s.slice(1);
}

/** A short passage about an invented country, for reading demonstrations with no real facts. */
export function inventedPassage(rng: Rng): { passage: string; q: string; a: string } {
  const country = inventedName(rng);
  const attrs: [Relation, string][] = [
    ["country_capital", inventedName(rng)],
    ["country_currency", `${inventedName(rng)} ${rng.pick(["mark", "crown", "dinar", "shell"])}`],
    ["country_language", `${inventedName(rng)}ic`],
  ];
  const sentences = attrs.map(([r, o]) => fill(rng.pick(TEMPLATES[r].state), country, o));
  const [r, o] = rng.pick(attrs);
  return { passage: rng.shuffle(sentences).join(" "), q: fill(rng.pick(TEMPLATES[r].ask), country), a: o };
}

const KEY_CHARS = "abcdefghjkmnpqrstuvwxyz23456789";
const randKey = (rng: Rng, n: number) => Array.from({ length: n }, () => KEY_CHARS[rng.int(KEY_CHARS.length)]).join("");

/** `n` records "key: value" with random keys and 4-digit values; returns the record text and one query. */
export function kvRecords(rng: Rng, n: number, depth?: number): { records: string; key: string; value: string; index: number } {
  const seen = new Set<string>();
  const rows: [string, string][] = [];
  while (rows.length < n) {
    const k = randKey(rng, 6);
    if (seen.has(k)) continue;
    seen.add(k);
    rows.push([k, String(1000 + rng.int(9000))]);
  }
  const index = depth === undefined ? rng.int(n) : Math.min(n - 1, Math.floor(depth * n));
  return { records: rows.map(([k, v]) => `${k}: ${v}`).join("\n"), key: rows[index][0], value: rows[index][1], index };
}

export type Check =
  | { type: "exact"; expected: string }
  | { type: "uppercase_of"; expected: string };

export interface Instruction {
  family: string;
  instruction: string;
  response: string;
  check: Check;
}

/** Instructions whose correct output is computed, so scoring is a program, not a judge. */
export function makeInstruction(rng: Rng, vocab: readonly string[]): Instruction {
  const ws = (k: number) => rng.sample(vocab, k);
  switch (rng.int(7)) {
    case 0: {
      const [w] = ws(1);
      const n = 2 + rng.int(4);
      const r = Array(n).fill(w).join(" ");
      return { family: "repeat", instruction: `Repeat the word "${w}" ${n} times, separated by spaces.`, response: r, check: { type: "exact", expected: r } };
    }
    case 1: {
      const p = ws(2 + rng.int(3)).join(" ");
      return { family: "uppercase", instruction: `Write "${p}" in capital letters.`, response: p.toUpperCase(), check: { type: "uppercase_of", expected: p.toUpperCase() } };
    }
    case 2: {
      const l = ws(3 + rng.int(3));
      const r = [...l].reverse().join(" ");
      return { family: "reverse", instruction: `Reverse the order of these words: ${l.join(" ")}`, response: r, check: { type: "exact", expected: r } };
    }
    case 3: {
      const l = ws(3 + rng.int(3));
      const r = [...l].sort().join(" ");
      return { family: "sort", instruction: `Sort these words alphabetically: ${l.join(" ")}`, response: r, check: { type: "exact", expected: r } };
    }
    case 4: {
      const l = ws(2 + rng.int(7));
      return { family: "count", instruction: `How many words are in this list: ${l.join(" ")}? Answer with a number.`, response: String(l.length), check: { type: "exact", expected: String(l.length) } };
    }
    case 5: {
      const [w] = ws(1);
      return { family: "first_letter", instruction: `What is the first letter of the word "${w}"?`, response: w[0], check: { type: "exact", expected: w[0] } };
    }
    default: {
      const l = ws(2 + rng.int(3));
      const r = l.join("-");
      return { family: "join", instruction: `Join these words with hyphens: ${l.join(" ")}`, response: r, check: { type: "exact", expected: r } };
    }
  }
}
