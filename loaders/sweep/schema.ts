// The results store's tables (DESIGN.md): long-format results, per-example predictions, runs, and model cards.
// Integers that fit are INT32 and reals DOUBLE, so browsers get numbers, never BigInt.
import { z } from "zod";
import type { TableSchema } from "../store/parquet.js";

/**
 * Bumped whenever a table's columns change; a store of another version is refused, not mixed.
 * Not bumped for the models table: it was added as an optional table (the other tables' columns are
 * unchanged), and stores and exports written before it, which lack it, are read as having no model cards.
 */
export const STORE_SCHEMA_VERSION = 1;

export const RESULTS_SCHEMA = {
  run_id: "VARCHAR",
  model: "VARCHAR",
  model_hash: "VARCHAR", // the weights the run evaluated (as in the runs table): one name may hold several
  model_params: "DOUBLE", // billions of parameters overflow INT32
  family: "VARCHAR",
  method: "VARCHAR",
  pattern: "VARCHAR",
  sparsity: "DOUBLE",
  bits: "INTEGER",
  group_size: "INTEGER",
  calib_samples: "INTEGER",
  calib_seed: "INTEGER", // the calibration sampling seed (null without calibration); files before it: from the run's spec
  prompt: "VARCHAR",
  seed: "INTEGER",
  task: "VARCHAR",
  subset: "VARCHAR",
  metric: "VARCHAR",
  value: "DOUBLE",
  n: "INTEGER",
  ci_low: "DOUBLE",
  ci_high: "DOUBLE",
  device: "VARCHAR",
  seconds: "DOUBLE",
  code_version: "VARCHAR",
  created_at: "VARCHAR",
} as const satisfies TableSchema;

export const EXAMPLES_SCHEMA = {
  run_id: "VARCHAR",
  task: "VARCHAR",
  example_id: "VARCHAR",
  prediction: "VARCHAR",
  reference: "VARCHAR",
  correct: "BOOLEAN",
  logprob: "DOUBLE",
} as const satisfies TableSchema;

export const RUNS_SCHEMA = {
  run_id: "VARCHAR",
  model: "VARCHAR",
  model_hash: "VARCHAR",
  compression: "VARCHAR", // canonical JSON of the compression spec
  task_spec: "VARCHAR", // canonical JSON of the task spec
  device: "VARCHAR",
  code_version: "VARCHAR",
  git_commit: "VARCHAR",
  started_at: "VARCHAR",
  seconds: "DOUBLE",
} as const satisfies TableSchema;

/**
 * One row per (model, model_hash) of the stored runs: the checkpoint's config.json (canonical JSON) and its
 * model card (README.md: recipe, data hashes, measured quality; "" when the folder has none). Recorded when a
 * run is stored; model_params and family as in the results table.
 */
export const MODELS_SCHEMA = {
  model: "VARCHAR",
  model_hash: "VARCHAR",
  model_params: "DOUBLE",
  family: "VARCHAR",
  config: "VARCHAR",
  card: "VARCHAR",
} as const satisfies TableSchema;

const text = z.string();
const int = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);
const real = z.number();

export const ResultRow = z.object({
  run_id: text.min(1),
  model: text.min(1),
  model_hash: text.min(1),
  model_params: real.nonnegative(),
  family: text,
  method: text.min(1),
  pattern: text,
  sparsity: real.min(0).max(1),
  bits: int.nullable(),
  group_size: int.nullable(),
  calib_samples: int.nullable(),
  calib_seed: int.nullable(),
  prompt: text.regex(/^(none|hard|soft:.+)$/, "none | hard | soft:<id>"),
  seed: int,
  task: text.min(1),
  subset: text,
  metric: text.min(1),
  value: real,
  n: int.nonnegative(),
  ci_low: real.nullable(),
  ci_high: real.nullable(),
  device: text,
  seconds: real.nonnegative(),
  code_version: text.min(1),
  created_at: text.min(1),
}).strict();
export type ResultRow = z.infer<typeof ResultRow>;

export const ExampleRow = z.object({
  run_id: text.min(1),
  task: text.min(1),
  example_id: text.min(1),
  prediction: text,
  reference: text,
  correct: z.boolean().nullable(),
  logprob: real.nullable(),
}).strict();
export type ExampleRow = z.infer<typeof ExampleRow>;

export const RunRow = z.object({
  run_id: text.min(1),
  model: text.min(1),
  model_hash: text.min(1),
  compression: text,
  task_spec: text,
  device: text,
  code_version: text.min(1),
  git_commit: text,
  started_at: text.min(1),
  seconds: real.nonnegative(),
}).strict();
export type RunRow = z.infer<typeof RunRow>;

export const ModelRow = z.object({
  model: text.min(1),
  model_hash: text.regex(/^[0-9a-f]{1,64}$/, "lower-case hex"),
  model_params: real.nonnegative(),
  family: text,
  config: text,
  card: text,
}).strict();
export type ModelRow = z.infer<typeof ModelRow>;
