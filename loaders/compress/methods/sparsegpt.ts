// SparseGPT (Frantar & Alistarh 2023): the OBS block solve on the Hessian (kernels/ops/prune.ts); with
// bits, the reference's joint sparse + quantized wbits path through the GPTQ solve (kernels/ops/gptq.ts).
import { gptqQuantize, CholeskyError, sparsegptPrune } from "../../../kernels/index.js";
import { CALIBRATION_FIELDS, CompressionError, PRUNE_FIELDS, QUANT_FIELDS, SOLVE_FIELDS, type CompressionMethod } from "../method.js";

export const sparsegpt: CompressionMethod = {
  id: "sparsegpt",
  stats: "hessian",
  prunes: true,
  quantizes: "optional",
  owl: true,
  sweep: [
    { name: "sparsegpt", fields: [...PRUNE_FIELDS, ...CALIBRATION_FIELDS, ...SOLVE_FIELDS, "owl"] },
    { name: "sparsegpt+gptq", fields: [...PRUNE_FIELDS, ...QUANT_FIELDS, ...CALIBRATION_FIELDS, ...SOLVE_FIELDS] },
  ],
  refine(s, issue, nm) {
    if (nm && s.blockSize % nm.m !== 0) issue("blockSize", `blockSize ${s.blockSize} is not a multiple of M=${nm.m} (pattern ${s.pattern})`);
    if (s.bits !== undefined) {
      // joint sparse + quantized: the sparsegpt.py wbits path (per-row asymmetric-or-symmetric quantizer)
      if ((s.groupSize ?? -1) !== -1) issue("groupSize", "sparsegpt with bits quantizes per row as the reference's wbits path (groupSize must be -1)");
      if (s.actOrder || s.staticGroups) issue(s.actOrder ? "actOrder" : "staticGroups", "sparsegpt with bits supports neither actOrder nor staticGroups");
      if (nm) issue("pattern", `sparsegpt with bits supports unstructured sparsity only (got ${s.pattern})`);
      if (s.owl) issue("owl", "OWL with bits is not supported");
    } else if (s.groupSize !== undefined || s.sym || s.actOrder || s.staticGroups) issue("bits", "quantization options given without bits");
  },
  async compressLinear({ ctx, W, H, sparsity, nm, cspec, layer }) {
    if (!H) throw new CompressionError(`${layer}: sparsegpt needs calibration statistics`);
    const blockSize = Math.min(cspec.blockSize, 128);
    if (cspec.bits !== undefined) {
      try {
        const r = await gptqQuantize(ctx, W, H, { bits: cspec.bits, groupSize: -1, sym: cspec.sym, actOrder: false, staticGroups: false, sparsity, damping: cspec.damping, blockSize, layer });
        return { quantized: r, damping: r.damping, deadColumns: r.deadColumns };
      } catch (e) {
        throw new CompressionError((e as Error).message);
      }
    }
    try {
      const r = await sparsegptPrune(ctx, W, H, { sparsity, nm, damping: cspec.damping, blockSize, layer });
      return { damping: r.damping, deadColumns: r.deadColumns };
    } catch (e) {
      if (e instanceof CholeskyError) throw new CompressionError(e.message);
      throw e;
    }
  },
};
