// RIA, relative importance and activations (Zhang et al., ICLR 2024, "Plug-and-Play"): score
// (|W_ij|/Σ_i|W_ij| + |W_ij|/Σ_j|W_ij|)·‖X_j‖^alpha on Wanda's statistics, one threshold per layer
// (the official default; no channel reallocation) or N:M (kernels/ops/ria.ts). Checked against the
// official code's masks: bench/ria-official/, test/compress/ria.test.ts.
import { z } from "zod";
import { riaPrune } from "../../../kernels/index.js";
import { CALIBRATION_FIELDS, CompressionError, PRUNE_FIELDS, type CompressionMethod } from "../method.js";

/** The official default exponent of the activation norm (main.py --a). */
const ALPHA = 0.5;
const alphaOf = (s: Record<string, unknown>) => (s.alpha as number | undefined) ?? ALPHA;

export const ria: CompressionMethod = {
  id: "ria",
  stats: "columnNorms",
  prunes: true,
  quantizes: "never",
  owl: false,
  options: { alpha: z.number().min(0, "alpha must be ≥ 0").max(4, "alpha must be ≤ 4").optional() },
  sweep: [{ name: "ria", fields: [...PRUNE_FIELDS, ...CALIBRATION_FIELDS, "alpha"] }],
  flags: [{ flag: "alpha", field: "alpha", help: `RIA: exponent of the activation norm (default ${ALPHA})` }],
  idParts: (s) => [`a${alphaOf(s)}`],
  compressLinear: ({ ctx, W, colSq, sparsity, nm, cspec, layer }) => {
    if (!colSq) throw new CompressionError(`${layer}: ria needs calibration statistics`);
    riaPrune(ctx, W, colSq, { sparsity, nm, a: alphaOf(cspec) });
    return {};
  },
};
