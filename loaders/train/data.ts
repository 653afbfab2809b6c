/**
 * Training data: the token shards (`data/tokens/train-NNN.bin`, uint16 LE, documents separated by
 * <|endoftext|>) or a text file, cut into windows of context + 1 tokens; a deterministic order (a seeded
 * shuffle of the windows per epoch) that depends only on (seed, step), so a resumed run reads exactly what
 * the uninterrupted run would have; and held-out tokens for the periodic evaluation loss.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { IGNORE } from "./model.js";
import { PlanError, type TrainPlan } from "./plan.js";

export const EOT = "<|endoftext|>";

export interface TrainData {
  train: Uint16Array;
  heldout: Uint16Array;
  eosId: number;
  tokenizerVocab: number;
  /** what was read, with sha256, for the model card */
  files: { path: string; sha256: string; bytes: number }[];
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export function loadTokenizer(file: string): { tok: Tokenizer; eosId: number; vocab: number } {
  if (!existsSync(file)) throw new PlanError(file, "tokenizer missing (field data.tokenizer)");
  const tok = new Tokenizer(JSON.parse(readFileSync(file, "utf8")), {});
  const eosId = tok.token_to_id(EOT);
  if (eosId === undefined || eosId === null) throw new PlanError(file, `the tokenizer has no ${EOT} token`);
  return { tok, eosId, vocab: tok.get_vocab(true).size };
}

function encodeDocs(tok: Tokenizer, eosId: number, docs: Iterable<string>, max: number): Uint16Array {
  const out: number[] = [];
  for (const d of docs) {
    for (const id of tok.encode(d, { add_special_tokens: false }).ids) out.push(id);
    out.push(eosId);
    if (out.length >= max) break;
  }
  return Uint16Array.from(out.slice(0, max));
}

export function loadData(plan: TrainPlan): TrainData {
  const { tok, eosId, vocab } = loadTokenizer(plan.data.tokenizer);
  if (plan.model.vocabSize < vocab) throw new PlanError("plan", `field "model.vocabSize": ${plan.model.vocabSize} is below the tokenizer's ${vocab} tokens`);
  const files: TrainData["files"] = [];
  const read = (p: string) => { const b = readFileSync(p); files.push({ path: p, sha256: sha256(b), bytes: b.length }); return b; };
  let train: Uint16Array;
  const src = plan.data.train;
  if ("shards" in src) {
    if (!existsSync(src.shards)) throw new PlanError(src.shards, "token shard folder missing (field data.train.shards); build it with `npm run data`");
    const names = readdirSync(src.shards).filter((n) => /^train-\d+\.bin$/.test(n)).sort();
    if (!names.length) throw new PlanError(src.shards, "no train-NNN.bin token shards (field data.train.shards); build them with `npm run data`");
    const parts = names.map((n) => {
      const b = read(join(src.shards, n));
      if (b.length % 2) throw new PlanError(join(src.shards, n), `odd byte count ${b.length}: not uint16 tokens (truncated?)`);
      return new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    });
    train = new Uint16Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) { train.set(p, at); at += p.length; }
  } else {
    if (!existsSync(src.text)) throw new PlanError(src.text, "training text missing (field data.train.text)");
    train = encodeDocs(tok, eosId, read(src.text).toString("utf8").split(EOT), Infinity);
  }
  for (let i = 0; i < train.length; i++)
    if (train[i] >= plan.model.vocabSize) throw new PlanError("plan", `token ${train[i]} at ${i} of the training data is outside model.vocabSize ${plan.model.vocabSize}`);
  const h = plan.data.heldout;
  let heldout: Uint16Array;
  if ("jsonl" in h) {
    if (!existsSync(h.jsonl)) throw new PlanError(h.jsonl, "held-out file missing (field data.heldout.jsonl); build it with `npm run data`");
    const lines = read(h.jsonl).toString("utf8").split("\n").filter((l) => l.trim());
    const docs = lines.map((l, i) => {
      const v = JSON.parse(l)[h.field];
      if (typeof v !== "string") throw new PlanError(h.jsonl, `line ${i + 1}: field "${h.field}" is not a string`);
      return v;
    });
    heldout = encodeDocs(tok, eosId, docs, h.maxTokens);
  } else {
    if (!existsSync(h.text)) throw new PlanError(h.text, "held-out text missing (field data.heldout.text)");
    heldout = encodeDocs(tok, eosId, read(h.text).toString("utf8").split(EOT), h.maxTokens);
  }
  const T = plan.model.context;
  if (train.length < T + 1) throw new PlanError("plan", `the training data has ${train.length} tokens, fewer than one window of context + 1 = ${T + 1}`);
  if (heldout.length < T + 1) throw new PlanError("plan", `the held-out data has ${heldout.length} tokens, fewer than one window of context + 1 = ${T + 1}`);
  return { train, heldout, eosId, tokenizerVocab: vocab, files };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates with xorshift32). */
export function permutation(n: number, seed: number): Uint32Array {
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  let s = (seed >>> 0) ^ 0x2545f491 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const j = s % (i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Window starts every T tokens within each document (documents end with `eosId`): each document's first
 *  token starts a window, so a document of at most T tokens is seen whole instead of cut where the stride
 *  happens to fall (a 1,900-token lookup is otherwise whole in a 2,048 window ~7% of the time). */
export function documentStarts(tokens: Uint16Array, T: number, eosId: number): Uint32Array {
  const out: number[] = [];
  let doc = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== eosId && i + 1 < tokens.length) continue;
    for (let s = doc; s < i && s + T + 1 <= tokens.length; s += T) out.push(s);
    doc = i + 1;
  }
  return Uint32Array.from(out);
}

/** Windows of T + 1 tokens (stride T, or the given starts) in a seeded order per epoch; row g of the run
 *  is a pure function of g. */
export class Windows {
  readonly count: number;
  private epoch = -1;
  private perm: Uint32Array = new Uint32Array(0);
  constructor(private readonly tokens: Uint16Array, readonly T: number, private readonly seed: number, private readonly starts?: Uint32Array) {
    this.count = starts ? starts.length : Math.floor((tokens.length - 1) / T);
  }
  /** The window index of global row g. */
  windowOf(g: number): number {
    const e = Math.floor(g / this.count);
    if (e !== this.epoch) { this.perm = permutation(this.count, this.seed * 1000003 + e); this.epoch = e; }
    return this.perm[g % this.count];
  }
  /** The first token of window w. */
  private startOf(w: number): number {
    return this.starts ? this.starts[w] : w * this.T;
  }
  /** ids and next-token targets of rows [g0, g0 + B). */
  batch(g0: number, B: number): { ids: Uint32Array; targets: Uint32Array } {
    const T = this.T, ids = new Uint32Array(B * T), targets = new Uint32Array(B * T);
    for (let r = 0; r < B; r++) {
      const w = this.startOf(this.windowOf(g0 + r));
      for (let t = 0; t < T; t++) { ids[r * T + t] = this.tokens[w + t]; targets[r * T + t] = this.tokens[w + t + 1]; }
    }
    return { ids, targets };
  }
  /** Rows in order (no shuffle): the held-out evaluation batches. */
  ordered(r0: number, B: number): { ids: Uint32Array; targets: Uint32Array } {
    const T = this.T, ids = new Uint32Array(B * T), targets = new Uint32Array(B * T).fill(IGNORE);
    for (let r = 0; r < B; r++) {
      const w = this.startOf((r0 + r) % this.count);
      for (let t = 0; t < T; t++) { ids[r * T + t] = this.tokens[w + t]; targets[r * T + t] = this.tokens[w + t + 1]; }
    }
    return { ids, targets };
  }
}
