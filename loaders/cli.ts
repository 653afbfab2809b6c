// The kick command line: `npm run kick -- <command> ...` (or `npx tsx loaders/cli.ts <command> ...`).
// Options are checked here; the GPU work then runs in a child process (kernels/node/child.ts), since
// dawn.node can take its process down: a native crash is reported (and retried once) instead.
import { fileURLToPath } from "node:url";
import { runGpuJob } from "../kernels/node/child.js";
import { UsageError } from "./cli/args.js";
import { GENERATE_HELP, parseGenerate, runGenerate } from "./cli/generate.js";
import { PPL_HELP, parsePpl, runPpl } from "./cli/ppl.js";
import { isMain } from "./util/is-main.js";

/**
 * Commands in modules of their own (`loaders/cli/<name>.ts` exporting `summary` and `main(argv)`),
 * loaded only when run; they run in this process and manage any GPU child processes themselves.
 */
interface ModuleCommand {
  summary: string;
  main(argv: string[]): Promise<number>;
}
const MODULE_COMMANDS: Record<string, () => Promise<ModuleCommand>> = {
  eval: () => import("./cli/eval.js"),
  sweep: () => import("./cli/sweep.js"),
  merge: () => import("./cli/merge.js"),
  store: () => import("./cli/store.js"),
  compress: () => import("./cli/compress.js"),
  train: () => import("./cli/train.js"),
  prompt: () => import("./cli/prompt.js"),
  "export-onnx": () => import("./cli/export-onnx.js"),
  tasks: () => import("./cli/tasks.js"),
  study: () => import("./cli/study.js"),
};

async function help(): Promise<string> {
  const modules = await Promise.all(
    Object.entries(MODULE_COMMANDS).map(async ([name, load]) => `  ${name.padEnd(33)} ${(await load()).summary}`),
  );
  return `Usage: kick <command> [options]

Commands:
  generate --model DIR "prompt"     continue a prompt on the GPU
  ppl --model DIR --text FILE       perplexity of a text on the GPU
${modules.join("\n")}

Run kick <command> --help for a command's options.`;
}

const COMMANDS = {
  generate: { help: GENERATE_HELP, parse: parseGenerate, run: runGenerate },
  ppl: { help: PPL_HELP, parse: parsePpl, run: runPpl },
} as const;

/** Set in the child that does the GPU work. */
const IN_CHILD = "KICK_CLI_CHILD";

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${await help()}\n`);
    return name ? 0 : 2;
  }
  if (name in MODULE_COMMANDS) return (await MODULE_COMMANDS[name]()).main(rest);
  const cmd = COMMANDS[name as keyof typeof COMMANDS];
  if (!cmd) {
    const known = [...Object.keys(COMMANDS), ...Object.keys(MODULE_COMMANDS)];
    process.stderr.write(`kick: unknown command "${name}"; commands: ${known.join(", ")} (see kick --help)\n`);
    return 2;
  }
  try {
    const args = cmd.parse(rest);
    if (args === "help") {
      process.stdout.write(`${cmd.help}\n`);
      return 0;
    }
    if (process.env[IN_CHILD] || process.env.KICK_CLI_INPROCESS) {
      await cmd.run(args as never);
      return 0;
    }
    const job = await runGpuJob(fileURLToPath(import.meta.url), argv, { env: { [IN_CHILD]: "1" }, echoStderr: true, throwOnFailure: false });
    process.stdout.write(job.stdout);
    if (job.crashed) process.stderr.write(`kick ${name}: the GPU process crashed (${job.signal ?? `exit ${job.code}`}) after ${job.attempts} attempt(s)\n`);
    return job.code ?? 1;
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`${err instanceof UsageError ? err.message : `kick ${name}: ${err.message}`}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (isMain(import.meta.url, "loaders/cli.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
