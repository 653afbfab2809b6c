// The AWQ compression spec (method "awq"), validated at the boundary with a canonical id. Defaults are
// llm-awq@d6e797a's: w_bit 4, q_group_size 128, zero_point (asymmetric), n_grid 20, clip max_shrink 0.5
// over n_sample_token 512, calibration 128 samples × 512 tokens (entry.py / calib_data.py; kick takes
// the windows from its own corpus or a text file instead of pile-val).
import { z } from "zod";
import { calibrationSchema, CompressionSpecError } from "./spec.js";

export const AWQ_BITS = [2, 3, 4, 8] as const;
/** The clip kernel holds one group in registers: group sizes up to 256 (AWQ uses 128; 32, 64 for small models). */
export const AWQ_GROUP_SIZES = [32, 64, 128] as const;

export const awqSpecSchema = z.strictObject({
  method: z.literal("awq"),
  bits: z.number().int().refine((b) => (AWQ_BITS as readonly number[]).includes(b), { message: `bits must be one of ${AWQ_BITS.join(", ")}` }).default(4),
  groupSize: z.number().int().refine((g) => (AWQ_GROUP_SIZES as readonly number[]).includes(g), { message: `groupSize must be one of ${AWQ_GROUP_SIZES.join(", ")} (AWQ quantizes per group)` }).default(128),
  /** scale search grid points (ratio r/nGrid, r < nGrid) */
  nGrid: z.number().int().min(1).max(100).default(20),
  /** clip search: shrink steps i < maxShrink·nGrid of 1/nGrid */
  maxShrink: z.number().min(0).lt(1).default(0.5),
  /** tokens the clip search samples (stride n_tok // clipTokens) */
  clipTokens: z.number().int().positive().default(512),
  autoScale: z.boolean().default(true),
  autoClip: z.boolean().default(true),
  calibration: calibrationSchema.default({ source: "corpus", samples: 128, seqLen: 512, seed: 0 }),
});

export type AwqSpecInput = z.input<typeof awqSpecSchema>;
export type AwqSpec = z.output<typeof awqSpecSchema>;

/** Validates an AWQ spec; throws CompressionSpecError naming every bad field and value. */
export function parseAwqSpec(input: unknown): AwqSpec {
  const r = awqSpecSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const path = i.path.length ? i.path.join(".") : "spec";
      let got: unknown = input;
      for (const k of i.path) got = got && typeof got === "object" ? (got as Record<PropertyKey, unknown>)[k] : undefined;
      return `${path}: ${i.message}${got !== undefined && typeof got !== "object" ? ` (got ${JSON.stringify(got)})` : ""}`;
    });
    throw new CompressionSpecError(`invalid AWQ spec:\n  ${lines.join("\n  ")}`);
  }
  return r.data;
}

/** e.g. "awq-w4g128-calib(corpus,128x512,seed0)"; non-default search settings are appended. */
export function awqSpecId(s: AwqSpec): string {
  const c = s.calibration;
  const extra = [
    s.nGrid !== 20 ? `n${s.nGrid}` : "", s.maxShrink !== 0.5 ? `shrink${s.maxShrink}` : "", s.clipTokens !== 512 ? `clip${s.clipTokens}` : "",
    s.autoScale ? "" : "noscale", s.autoClip ? "" : "noclip",
  ].filter(Boolean);
  return [`awq-w${s.bits}g${s.groupSize}`, ...extra, `calib(${c.source},${c.samples}x${c.seqLen},seed${c.seed})`].join("-");
}
