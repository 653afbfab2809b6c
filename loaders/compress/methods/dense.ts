// No compression: the model as it is (a spec method so that a spec or plan can name the baseline).
import type { CompressionMethod } from "../method.js";

export const dense: CompressionMethod = {
  id: "dense",
  stats: "none",
  prunes: false,
  quantizes: "never",
  owl: false,
  sweep: [], // the sweep registry's "dense" takes no fields at all (loaders/sweep/compression.ts)
  refine(s, issue) {
    if (s.pattern !== "unstructured") issue("pattern", `method dense takes no pattern (got ${s.pattern})`);
    if ((s.sparsity ?? 0) !== 0) issue("sparsity", "method dense does not prune (use magnitude, wanda or sparsegpt)");
  },
};
