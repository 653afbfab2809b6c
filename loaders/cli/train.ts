// kick train --plan FILE [--resume]: trains a Llama from a plan on the GPU (docs/train.md).
// Standalone meanwhile: npx tsx loaders/cli/train.ts --plan FILE ...
import { PlanError, readPlan, type TrainPlan } from "../train/plan.js";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TrainDivergedError, train, writeLog } from "../train/trainer.js";
import { parseCommand } from "./args.js";
import { isMain } from "../util/is-main.js";

export const summary = "train a Llama from a plan (data/plans/*.json) on the GPU; checkpointed and resumable";

const HELP = `Usage: kick train --plan FILE [options]

Trains the plan's model (paths in the plan are relative to the current folder: run from the repository
root), writes a checkpoint every checkpoint.every steps into output.runDir (atomic; the Parquet log
train_log.parquet beside it) and, after the last step, the model in Hugging Face layout with a model card
into output.modelDir. Progress (loss, held-out loss, lr, gradient norm, tokens/s, ETA) goes to stderr.
A non-finite loss stops the run naming the step and the last good checkpoint. Nothing is overwritten.
Exit code 0 when finished or stopped by --max-minutes/--stop-after (rerun with --resume), 1 when
training failed, 2 for a bad command line or plan.

Options:
  --plan FILE          the training plan (JSON; see docs/train.md)
  --resume             continue from output.runDir/checkpoint (required when one exists)
  --run-dir DIR        override output.runDir
  --model-dir DIR      override output.modelDir
  --max-minutes M      checkpoint and stop after M minutes of training (GPU-host commands run ≤ 10 min)
  --stop-after N       checkpoint and stop after step N
  --save-dtype D       override output.dtype: float32 (default), bfloat16 or float16
  --shard-mib M        override output.maxShardMiB (e.g. 15 for files the GPU host can return)
  --export-log         only write output.runDir/train_log.parquet from the checkpoint's log (after a GPU-host
                       run, whose bundle cannot write Parquet) and exit
  -h, --help           this help`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand("train", argv, {
    plan: { type: "string" },
    resume: { type: "boolean" },
    "run-dir": { type: "string" },
    "model-dir": { type: "string" },
    "max-minutes": { type: "string" },
    "stop-after": { type: "string" },
    "export-log": { type: "boolean" },
    "save-dtype": { type: "string" },
    "shard-mib": { type: "string" },
  }, HELP, { positionals: false });
  if (typeof parsed === "number") return parsed;
  const values = parsed.values;
  let plan: TrainPlan;
  let maxSeconds: number | undefined, stopAfter: number | undefined;
  try {
    if (typeof values.plan !== "string") throw new Error("--plan FILE is required");
    const num = (name: string, integer: boolean): number | undefined => {
      const v = values[name];
      if (typeof v !== "string") return undefined;
      const n = Number(v);
      if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`--${name} ${JSON.stringify(v)}: expected a positive ${integer ? "integer" : "number"}`);
      return n;
    };
    const mm = num("max-minutes", false);
    maxSeconds = mm === undefined ? undefined : mm * 60;
    stopAfter = num("stop-after", true);
    plan = readPlan(values.plan);
    if (typeof values["run-dir"] === "string") plan.output.runDir = values["run-dir"];
    if (typeof values["model-dir"] === "string") plan.output.modelDir = values["model-dir"];
    const dt = values["save-dtype"];
    if (typeof dt === "string") {
      if (dt !== "float32" && dt !== "bfloat16" && dt !== "float16") throw new Error(`--save-dtype ${JSON.stringify(dt)}: expected float32, bfloat16 or float16`);
      plan.output.dtype = dt;
    }
    const shard = num("shard-mib", false);
    if (shard !== undefined) plan.output.maxShardMiB = shard;
  } catch (e) {
    process.stderr.write(`kick train: ${(e as Error).message}\n`);
    return 2;
  }
  if (values["export-log"]) {
    try {
      const state = JSON.parse(await readFile(join(plan.output.runDir, "checkpoint", "state.json"), "utf8"));
      await writeLog(plan.output.runDir, state.log, (l) => process.stderr.write(`${l}\n`));
      process.stderr.write(`wrote ${join(plan.output.runDir, "train_log.parquet")} (${state.log.length} rows)\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`kick train: ${(e as Error).message}\n`);
      return 1;
    }
  }
  try {
    const r = await train(plan, { resume: values.resume === true, maxSeconds, stopAfter });
    process.stdout.write(`${JSON.stringify({ plan: plan.name, step: r.step, done: r.done, tokens: r.tokens, loss: r.log.at(-1)?.loss ?? null, checkpoint: r.checkpoint, model: r.modelDir ?? null })}\n`);
    return 0;
  } catch (e) {
    const msg = (e as Error).message;
    process.stderr.write(`kick train: ${msg}\n`);
    return e instanceof PlanError ? 2 : e instanceof TrainDivergedError ? 1 : 1;
  }
}

if (isMain(import.meta.url, "loaders/cli/train.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
