// Magnitude pruning: |W| against one threshold per layer, or N:M per row (kernels/ops/prune.ts).
import { magnitudePrune } from "../../../kernels/index.js";
import { PRUNE_FIELDS, type CompressionMethod } from "../method.js";

export const magnitude: CompressionMethod = {
  id: "magnitude",
  stats: "none",
  prunes: true,
  quantizes: "never",
  owl: false,
  sweep: [{ name: "magnitude", fields: PRUNE_FIELDS }],
  compressLinear: ({ ctx, W, sparsity, nm }) => (magnitudePrune(ctx, W, { sparsity, nm }), {}),
};
