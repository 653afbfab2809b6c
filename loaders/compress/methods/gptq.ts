// GPTQ (Frantar et al. 2023): the OBS solve with a quantizer, act-order and static groups (kernels/ops/gptq.ts).
import { gptqQuantize } from "../../../kernels/index.js";
import { CALIBRATION_FIELDS, CompressionError, QUANT_FIELDS, SOLVE_FIELDS, type CompressionMethod } from "../method.js";

export const gptq: CompressionMethod = {
  id: "gptq",
  stats: "hessian",
  prunes: false,
  quantizes: "always",
  owl: false,
  sweep: [{ name: "gptq", fields: [...QUANT_FIELDS, "actOrder", "staticGroups", ...CALIBRATION_FIELDS, ...SOLVE_FIELDS] }],
  async compressLinear({ ctx, W, H, cspec, layer }) {
    if (!H) throw new CompressionError(`${layer}: gptq needs calibration statistics`);
    try {
      const r = await gptqQuantize(ctx, W, H, {
        bits: cspec.bits!, groupSize: cspec.groupSize ?? -1, sym: cspec.sym, actOrder: cspec.actOrder, staticGroups: cspec.staticGroups,
        damping: cspec.damping, blockSize: Math.min(cspec.blockSize, 128), layer,
      });
      return { quantized: r, damping: r.damping, deadColumns: r.deadColumns };
    } catch (e) {
      throw new CompressionError((e as Error).message);
    }
  },
};
