// Fast BPE encoder for building token shards (merge-rank BPE with a per-word cache). The test
// suite checks it against @huggingface/tokenizers, and the GPU host checks that against Python.
import { preTokenize } from "./byte-level.js";

export interface TokenizerFile {
  model: { vocab: Record<string, number>; merges: [string, string][] };
  added_tokens: { id: number; content: string }[];
}

export class BpeEncoder {
  private rank = new Map<string, number>();
  private vocab: Map<string, number>;
  private cache = new Map<string, number[]>();
  readonly eosId: number;
  constructor(tok: TokenizerFile) {
    tok.model.merges.forEach(([a, b], i) => this.rank.set(`${a} ${b}`, i));
    this.vocab = new Map(Object.entries(tok.model.vocab));
    this.eosId = tok.added_tokens[0].id;
  }
  private word(w: string): number[] {
    const hit = this.cache.get(w);
    if (hit) return hit;
    let parts = [...w];
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.rank.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) (bestRank = r), (best = i);
      }
      if (best < 0) break;
      const merged = parts[best] + parts[best + 1];
      const next: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] + parts[i + 1] === merged && this.rank.get(`${parts[i]} ${parts[i + 1]}`) === bestRank) {
          next.push(merged);
          i++;
        } else next.push(parts[i]);
      }
      parts = next;
    }
    const ids = parts.map((p) => this.vocab.get(p)!);
    if (this.cache.size < 500_000) this.cache.set(w, ids);
    return ids;
  }
  /** Plain text (no special tokens are recognised). */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const w of preTokenize(text)) for (const id of this.word(w)) out.push(id);
    return out;
  }
}
