// What the report knows about each compression method — name, label, kind, rank and colour — in one
// dependency-free module that the site (palette, orderings) and the compression registry
// (loaders/compress/methods/) both import, so a method's report metadata is declared once and the
// site never loads the compression code. `id` is the results table's method name.

export type MethodKind = "dense" | "pruning" | "quantization" | "pruning+quantization";

export interface MethodMeta {
  id: string;
  /** how pages name it in prose and tables */
  label: string;
  kind: MethodKind;
  /** pruners: the order in which claims and default controls prefer them (0 first); null: after every pruner */
  rank: number | null;
  /** its hue (pruners cool or earthy, quantizers warm); variants of the method are shaded from it */
  color: string;
  /** method-name variants the results table carries (methodLabel) that have a colour of their own */
  variants?: Record<string, string>;
}

export const METHOD_META: readonly MethodMeta[] = [
  { id: "dense", label: "dense", kind: "dense", rank: null, color: "#3b3b3b" },
  { id: "sparsegpt", label: "SparseGPT", kind: "pruning", rank: 0, color: "#1f77b4", variants: { "sparsegpt+owl": "#17becf" } },
  { id: "wanda", label: "Wanda", kind: "pruning", rank: 1, color: "#2ca02c", variants: { "wanda+owl": "#98c94f" } },
  { id: "magnitude", label: "magnitude", kind: "pruning", rank: 2, color: "#8c564b" },
  { id: "ria", label: "RIA", kind: "pruning", rank: 3, color: "#637939" },
  { id: "sparsegpt+gptq", label: "SparseGPT + GPTQ", kind: "pruning+quantization", rank: null, color: "#6a3d9a" },
  { id: "rtn", label: "RTN", kind: "quantization", rank: null, color: "#d62728" },
  {
    id: "gptq", label: "GPTQ", kind: "quantization", rank: null, color: "#ff7f0e",
    variants: { "gptq+act-order": "#e7a11a", "gptq+act-order+true-seq": "#bc8a00" },
  },
  { id: "awq", label: "AWQ", kind: "quantization", rank: null, color: "#e377c2" },
];

export const methodMeta = (id: string): MethodMeta | undefined => METHOD_META.find((m) => m.id === id);

/** Every method and named variant → its colour. */
export const METHOD_HUES: Record<string, string> = Object.fromEntries(METHOD_META.flatMap((m) => [[m.id, m.color], ...Object.entries(m.variants ?? {})]));

/** The pruners in rank order (the default method of pruning charts is the first the data has). */
export const PRUNERS_BY_RANK: readonly string[] = METHOD_META.filter((m) => m.rank !== null).sort((a, b) => a.rank! - b.rank!).map((m) => m.id);

/** A DuckDB expression ranking `column` by PRUNERS_BY_RANK (every other method after them). */
export const methodRankSql = (column = "method") =>
  `CASE ${column} ${PRUNERS_BY_RANK.map((id, i) => `WHEN '${id}' THEN ${i}`).join(" ")} ELSE ${PRUNERS_BY_RANK.length} END`;
