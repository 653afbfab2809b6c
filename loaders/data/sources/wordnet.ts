// WordNet 3.0 noun database (data.noun): synsets with words, pointers and glosses.
import { debFile } from "./debs.js";
import { DEBS } from "./pins.js";
import { SourceError } from "../util.js";

export interface Synset {
  offset: string;
  words: string[];
  /** hypernym offsets of instance synsets (@i) */
  instanceOf: string[];
  hypernyms: string[];
  /** part holonyms (#p): this synset is part of those */
  partOf: string[];
  gloss: string;
}

let cache: { synsets: Synset[]; byOffset: Map<string, Synset>; lemmaCount: Map<string, number> } | undefined;

export function readWordnet() {
  if (cache) return cache;
  const rel = "usr/share/wordnet/data.noun";
  const text = debFile(DEBS.wordnet, rel).toString("utf8");
  const synsets: Synset[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("  ")) continue; // licence header lines start with two spaces
    const bar = line.indexOf(" | ");
    const f = (bar < 0 ? line : line.slice(0, bar)).trim().split(" ");
    const wcnt = parseInt(f[3], 16);
    if (!Number.isFinite(wcnt)) throw new SourceError(DEBS.wordnet.name, rel, `bad synset line ${line.slice(0, 40)}`);
    const words = Array.from({ length: wcnt }, (_, i) => f[4 + 2 * i].replace(/\(.*\)$/, ""));
    let k = 4 + 2 * wcnt;
    const pcnt = Number(f[k++]);
    const s: Synset = { offset: f[0], words, instanceOf: [], hypernyms: [], partOf: [], gloss: bar < 0 ? "" : line.slice(bar + 3).trim() };
    for (let i = 0; i < pcnt; i++, k += 4) {
      const [sym, off, pos] = [f[k], f[k + 1], f[k + 2]];
      if (pos !== "n") continue;
      if (sym === "@i") s.instanceOf.push(off);
      else if (sym === "@") s.hypernyms.push(off);
      else if (sym === "#p") s.partOf.push(off);
    }
    synsets.push(s);
  }
  if (synsets.length < 80000) throw new SourceError(DEBS.wordnet.name, rel, `only ${synsets.length} synsets`);
  const lemmaCount = new Map<string, number>();
  for (const s of synsets) for (const w of s.words) lemmaCount.set(w.toLowerCase(), (lemmaCount.get(w.toLowerCase()) ?? 0) + 1);
  cache = { synsets, byOffset: new Map(synsets.map((s) => [s.offset, s])), lemmaCount };
  return cache;
}
