// Open-book passages from long evidence documents (TriviaQA's Wikipedia articles and web pages run to
// thousands of words): the window of at most `maxWords` words around the first mention of an answer alias,
// as retrieval would hand a reader the relevant paragraph rather than the whole page.

/** The window around the first alias found (case-insensitive) in the first document that has one, or null. */
export function answerPassage(documents: readonly string[], aliases: readonly string[], maxWords: number): string | null {
  for (const doc of documents) {
    const lower = doc.toLowerCase();
    let at = -1;
    for (const a of aliases) {
      const i = lower.indexOf(a.toLowerCase());
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at < 0) continue;
    const before = doc.slice(0, at).split(/\s+/).filter(Boolean);
    const after = doc.slice(at).split(/\s+/).filter(Boolean);
    // half the window before the mention, more when the document ends soon after it
    const keepBefore = Math.min(before.length, Math.max(Math.floor(maxWords / 2), maxWords - after.length));
    return [...before.slice(before.length - keepBefore), ...after.slice(0, maxWords - keepBefore)].join(" ");
  }
  return null;
}
