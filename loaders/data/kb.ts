// The knowledge base: deduplicated facts with ids, a split (demo facts may appear in training
// demonstrations and k-shot dev items; eval facts only in evaluation) and a planned exposure
// count (how many times a declarative paraphrase is written into the corpus).
import type { RawFact } from "./sources/facts.js";
import type { Relation } from "./templates.js";
import { Rng } from "./util.js";

export const EXPOSURE_BINS = [1, 3, 10, 30, 100] as const;
/** Share of facts per bin: rare facts are the cheap ones, so there are more of them. */
const BIN_SHARE = [0.3, 0.25, 0.2, 0.15, 0.1];
/** Facts per relation kept at most (WordNet offers thousands; keep the corpus balanced). */
const CAP: Partial<Record<Relation, number>> = { wn_kind_of: 1200, wn_part_of: 1000, wn_birth_year: 1000 };
/** Facts whose questions appear in training demonstrations (mixed training); the rest are evaluated. */
const DEMO_SHARE = 0.4;

export interface Fact {
  id: string;
  relation: Relation;
  subject: string;
  object: string;
  aliases: string[];
  source: string;
  split: "demo" | "eval";
  /** declarative statements of this fact injected into the training corpus */
  exposure: number;
}

export function buildKb(raw: RawFact[], seed: string): Fact[] {
  const byRel = new Map<Relation, RawFact[]>();
  for (const f of raw) byRel.set(f.relation, [...(byRel.get(f.relation) ?? []), f]);
  const out: Fact[] = [];
  for (const [rel, list] of [...byRel].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    // Drop subjects that are ambiguous within the relation (two different objects).
    const bySubj = new Map<string, RawFact[]>();
    for (const f of list) bySubj.set(f.subject.toLowerCase(), [...(bySubj.get(f.subject.toLowerCase()) ?? []), f]);
    let uniq = [...bySubj.values()].filter((fs) => new Set(fs.map((f) => f.object)).size === 1).map((fs) => fs[0]);
    uniq.sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
    const rng = new Rng(`${seed}/kb/${rel}`);
    if (CAP[rel] && uniq.length > CAP[rel]!) uniq = rng.sample(uniq, CAP[rel]!).sort((a, b) => (a.subject < b.subject ? -1 : 1));
    // Exposure bins assigned by quantile of a shuffled order: every relation has the same bin mix.
    const order = rng.shuffle(uniq.map((_, i) => i));
    const bin = new Array<number>(uniq.length);
    order.forEach((idx, rank) => {
      let acc = 0;
      let b = 0;
      for (; b < BIN_SHARE.length - 1; b++) if (rank < uniq.length * (acc += BIN_SHARE[b])) break;
      bin[idx] = b;
    });
    const demoOrder = rng.shuffle(uniq.map((_, i) => i));
    const isDemo = new Set(demoOrder.slice(0, Math.round(uniq.length * DEMO_SHARE)));
    uniq.forEach((f, i) =>
      out.push({
        id: `${rel}/${String(i).padStart(4, "0")}`,
        relation: rel,
        subject: f.subject,
        object: f.object,
        aliases: [...new Set([f.object, ...f.aliases])],
        source: f.source,
        split: isDemo.has(i) ? "demo" : "eval",
        exposure: EXPOSURE_BINS[bin[i]],
      }),
    );
  }
  return out;
}

/** k distinct wrong answers from the same relation (other facts' objects), for MCQ options. */
export function makeDistractors(facts: Fact[]) {
  const objects = new Map<string, string[]>();
  for (const f of facts) objects.set(f.relation, [...new Set([...(objects.get(f.relation) ?? []), f.object])]);
  return (f: Fact, rng: Rng, k: number): string[] => {
    const bad = new Set(f.aliases.map((a) => a.toLowerCase()));
    const pool = objects.get(f.relation)!.filter((o) => !bad.has(o.toLowerCase()));
    return rng.sample(pool, k);
  };
}
