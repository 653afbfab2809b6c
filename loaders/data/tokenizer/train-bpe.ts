// Deterministic byte-level BPE trainer (no trainer ships on npm: @huggingface/tokenizers is
// inference-only). Classic algorithm: count pre-tokenized words, then repeatedly merge the most
// frequent adjacent pair (ties: smaller pair key), updating counts only in words that contain it.
import { BYTE_TO_CHAR } from "./byte-level.js";

const K = 1 << 16; // pair key = left * K + right; ids stay < 65536

export interface BpeModel {
  /** id → token string (byte-level chars); ids 0..255 are the bytes in byte order */
  tokens: string[];
  merges: [string, string][];
}

class PairHeap {
  private c: number[] = [];
  private k: number[] = [];
  private better(i: number, j: number) {
    return this.c[i] > this.c[j] || (this.c[i] === this.c[j] && this.k[i] < this.k[j]);
  }
  private swap(i: number, j: number) {
    [this.c[i], this.c[j]] = [this.c[j], this.c[i]];
    [this.k[i], this.k[j]] = [this.k[j], this.k[i]];
  }
  get size() {
    return this.c.length;
  }
  push(count: number, key: number) {
    this.c.push(count);
    this.k.push(key);
    let i = this.c.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.c[0], this.k[0]];
    const lc = this.c.pop()!;
    const lk = this.k.pop()!;
    if (this.c.length) {
      this.c[0] = lc;
      this.k[0] = lk;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let b = i;
        if (l < this.c.length && this.better(l, b)) b = l;
        if (r < this.c.length && this.better(r, b)) b = r;
        if (b === i) break;
        this.swap(i, b);
        i = b;
      }
    }
    return top;
  }
}

/** `wordCounts`: pre-token (byte-level string) → frequency. `vocabSize` excludes special tokens. */
export function trainBpe(wordCounts: Map<string, number>, vocabSize: number, minPairCount = 2): BpeModel {
  const charId = new Map(BYTE_TO_CHAR.map((c, i) => [c, i]));
  const tokens = [...BYTE_TO_CHAR];
  const merges: [string, string][] = [];
  const entries = [...wordCounts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const words = entries.map(([w]) => [...w].map((c) => charId.get(c)!));
  const counts = entries.map(([, n]) => n);
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const add = (wi: number, sign: number, touched: Set<number>) => {
    const w = words[wi];
    for (let i = 0; i + 1 < w.length; i++) {
      const key = w[i] * K + w[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * counts[wi]);
      if (sign > 0) {
        let s = where.get(key);
        if (!s) where.set(key, (s = new Set()));
        s.add(wi);
      }
      touched.add(key);
    }
  };
  const init = new Set<number>();
  words.forEach((_, wi) => add(wi, 1, init));
  const heap = new PairHeap();
  for (const key of [...init].sort((a, b) => a - b)) heap.push(pairCount.get(key)!, key);

  while (tokens.length < vocabSize && heap.size) {
    const [c, key] = heap.pop();
    if (pairCount.get(key) !== c) continue; // stale entry
    if (c < minPairCount) break;
    const a = Math.floor(key / K);
    const b = key % K;
    const id = tokens.length;
    tokens.push(tokens[a] + tokens[b]);
    merges.push([tokens[a], tokens[b]]);
    const touched = new Set<number>();
    for (const wi of [...where.get(key)!].sort((x, y) => x - y)) {
      const w = words[wi];
      let has = false;
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) has = true;
      if (!has) continue;
      add(wi, -1, touched);
      const nw: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          nw.push(id);
          i++;
        } else nw.push(w[i]);
      }
      words[wi] = nw;
      add(wi, 1, touched);
    }
    pairCount.delete(key);
    where.delete(key);
    touched.delete(key);
    for (const t of [...touched].sort((x, y) => x - y)) {
      const n = pairCount.get(t) ?? 0;
      if (n > 0) heap.push(n, t);
      else pairCount.delete(t);
    }
  }
  return { tokens, merges };
}
