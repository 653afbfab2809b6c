// Round-to-nearest quantization per row or group (kernels/ops/quant.ts).
import { rtnQuantize } from "../../../kernels/index.js";
import { CompressionError, QUANT_FIELDS, type CompressionMethod } from "../method.js";

export const rtn: CompressionMethod = {
  id: "rtn",
  stats: "none",
  prunes: false,
  quantizes: "always",
  owl: false,
  sweep: [{ name: "rtn", fields: QUANT_FIELDS }],
  refine(s, issue) {
    if (s.actOrder || s.staticGroups) issue(s.actOrder ? "actOrder" : "staticGroups", "actOrder/staticGroups are GPTQ options (rtn has no column order)");
  },
  compressLinear({ ctx, W, cspec, layer }) {
    try {
      return { quantized: rtnQuantize(ctx, W, { bits: cspec.bits!, groupSize: cspec.groupSize ?? -1, sym: cspec.sym, layer }) };
    } catch (e) {
      throw new CompressionError((e as Error).message);
    }
  },
};
