// Wanda (Sun et al. 2024): |W|·‖X_j‖ per output row, or N:M (kernels/ops/prune.ts).
import { wandaPrune } from "../../../kernels/index.js";
import { CALIBRATION_FIELDS, CompressionError, PRUNE_FIELDS, type CompressionMethod } from "../method.js";

export const wanda: CompressionMethod = {
  id: "wanda",
  stats: "columnNorms",
  prunes: true,
  quantizes: "never",
  owl: true,
  sweep: [{ name: "wanda", fields: [...PRUNE_FIELDS, ...CALIBRATION_FIELDS, "owl"] }],
  compressLinear: ({ ctx, W, colSq, sparsity, nm, layer }) => {
    if (!colSq) throw new CompressionError(`${layer}: wanda needs calibration statistics`);
    wandaPrune(ctx, W, colSq, { sparsity, nm });
    return {};
  },
};
