// Text cleaning and de-duplication for corpus documents.
import type { Doc } from "./sources/text.js";
import { sha256, tidy } from "./util.js";

/** Join hard-wrapped lines inside paragraphs (Gutenberg, dictd, Bible), keeping paragraph breaks. */
export function unwrap(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, " ").trim())
    .filter(Boolean)
    .join("\n\n");
}

export function cleanText(text: string, keepLines: boolean): string {
  // NFC, no control characters except newline and tab, normalised whitespace.
  const t = text.normalize("NFC").replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff\u200b]/g, "");
  return tidy(keepLines ? t : unwrap(t));
}

/** Drop exact duplicate documents and repeated long paragraphs (first occurrence wins). */
export function dedupe(docs: Doc[], minParagraph = 80): { docs: Doc[]; droppedDocs: number; droppedParagraphs: number } {
  const seenDocs = new Set<string>();
  const seenParas = new Set<string>();
  let droppedDocs = 0;
  let droppedParagraphs = 0;
  const out: Doc[] = [];
  for (const d of docs) {
    const h = sha256(d.text);
    if (seenDocs.has(h)) {
      droppedDocs++;
      continue;
    }
    seenDocs.add(h);
    const paras = d.text.split("\n\n").filter((p) => {
      if (p.length < minParagraph) return true;
      const k = p.toLowerCase().replace(/\s+/g, " ");
      if (seenParas.has(k)) {
        droppedParagraphs++;
        return false;
      }
      seenParas.add(k);
      return true;
    });
    if (paras.length) out.push({ ...d, text: paras.join("\n\n") });
  }
  return { docs: out, droppedDocs, droppedParagraphs };
}
