// Leakage checks between the training corpus and the evaluation suites. Used by the build (which
// fails on any finding) and by the tests. Whole-corpus substring search is used for template text
// (few patterns); paragraphs and sentences are checked through hashed sets (many patterns).
import { PROBE_FORMATS } from "./skills.js";
import { fill, TEMPLATES, templateSkeleton, type Relation } from "./templates.js";

export interface LeakInputs {
  /** training corpus documents */
  corpus: string[];
  heldoutParagraphs: string[];
  /** counterfactual claims: subject, relation and the (false) answer stated in eval passages */
  counterfactuals: { subject: string; relation: Relation; answer: string }[];
}

const norm = (s: string) => s.replace(/\s+/g, " ").trim().toLowerCase();
export const sentences = (text: string) => text.split(/(?<=[.!?])\s+|\n+/).map(norm).filter(Boolean);

export function findLeaks(inp: LeakInputs): string[] {
  const leaks: string[] = [];
  for (const rel of Object.values(TEMPLATES))
    for (const t of rel.evalAsk) {
      const sk = templateSkeleton(t).toLowerCase();
      if (inp.corpus.some((d) => d.toLowerCase().includes(sk))) leaks.push(`evaluation template text "${sk}" occurs in the corpus`);
    }
  // The reading probes' wordings must stay unseen (a record separator alone is too common to search).
  for (const t of [PROBE_FORMATS.kvQuestion, PROBE_FORMATS.needle, PROBE_FORMATS.reading]) {
    const sk = templateSkeleton(t.replace(/\{(k|v|name|code)\}/g, "{s}")).toLowerCase();
    if (inp.corpus.some((d) => d.toLowerCase().includes(sk))) leaks.push(`probe format text "${sk}" occurs in the corpus`);
  }
  const paras = new Set<string>();
  const sents = new Set<string>();
  for (const d of inp.corpus) {
    for (const p of d.split(/\n\s*\n/)) paras.add(norm(p));
    for (const s of sentences(d)) sents.add(s);
  }
  for (const p of inp.heldoutParagraphs) if (p.length >= 80 && paras.has(norm(p))) leaks.push(`held-out paragraph occurs in the corpus: ${p.slice(0, 60)}…`);
  for (const c of inp.counterfactuals)
    for (const t of TEMPLATES[c.relation].state) {
      const s = norm(fill(t, c.subject, c.answer));
      if (sents.has(s)) leaks.push(`counterfactual statement occurs in the corpus: ${s}`);
    }
  return leaks;
}
