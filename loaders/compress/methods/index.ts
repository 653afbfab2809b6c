// The compression methods of the spec, the driver, `kick compress` and the sweeps: this list is the
// registry (no method registers itself). Adding a method: its module here, its report metadata in
// src/components/method-meta.ts. AWQ, which compresses whole blocks, has its own spec and driver
// (../awq-*.ts) and joins the sweep registry and the command line beside this list.
import type { CompressionMethod } from "../method.js";
import { dense } from "./dense.js";
import { gptq } from "./gptq.js";
import { magnitude } from "./magnitude.js";
import { ria } from "./ria.js";
import { rtn } from "./rtn.js";
import { sparsegpt } from "./sparsegpt.js";
import { wanda } from "./wanda.js";

export const COMPRESSION_METHODS: readonly CompressionMethod[] = [dense, magnitude, wanda, sparsegpt, rtn, gptq, ria];

/** The method a spec names (validated specs only name listed methods). */
export function methodOf(id: string): CompressionMethod {
  const m = COMPRESSION_METHODS.find((x) => x.id === id);
  if (!m) throw new Error(`unknown compression method "${id}"; one of ${COMPRESSION_METHODS.map((x) => x.id).join(", ")}`);
  return m;
}
