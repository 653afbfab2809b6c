// The shape of a page's answers file (/data/first-view/<page>.json): written by the build
// (src/data/first-view/[page].json.ts), read by the page (page-answers.ts). No browser-only imports,
// so the build can load it in node.
/** The file's shape: SQL text → rows; non-finite numbers, which JSON lacks, as {"$number": "NaN"}. */
export interface AnswersFile {
  /** The results table's sha256 prefix the rows were computed from (store.json's version.data). */
  data: string | null;
  answers: Record<string, Record<string, unknown>[]>;
}

/** JSON.stringify replacer/reviver pair keeping NaN and ±Infinity. */
export const encodeValue = (_key: string, value: unknown) => (typeof value === "number" && !Number.isFinite(value) ? { $number: String(value) } : value);
export const decodeValue = (_key: string, value: unknown) =>
  value && typeof value === "object" && "$number" in value && Object.keys(value).length === 1 ? Number((value as { $number: string }).$number) : value;

