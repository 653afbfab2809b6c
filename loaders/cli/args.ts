// Option parsing shared by the kick commands: node:util parseArgs (strict), numbers checked and named.
import { existsSync, statSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

import { UsageError } from "../util/usage-error.js";

export { UsageError };

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(
  command: string,
  argv: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  { positionals = true } = {},
): Parsed {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: positionals, strict: true });
  } catch (e) {
    throw new UsageError(command, (e as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
}

/**
 * For commands whose `main` returns an exit code: the parsed arguments, or the code to return
 * after printing a usage error (2) or the help text (0).
 */
export function parseCommand(
  command: string,
  argv: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  help: string,
  opts: { positionals?: boolean } = {},
): Parsed | number {
  let parsed: Parsed;
  try {
    parsed = parse(command, argv, options, opts);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  return parsed;
}

export function intOption(command: string, name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(command, `--${name} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

export function numOption(command: string, name: string, v: string | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(command, `--${name} must be ${what}, got "${v}"`);
  return n;
}

/** --model DIR must be a directory with a config.json (everything else is checked by openModel). */
export function modelOption(command: string, v: string | undefined): string {
  if (!v) throw new UsageError(command, "--model DIR is required");
  if (!existsSync(v) || !statSync(v).isDirectory()) throw new UsageError(command, `--model ${v}: no such directory`);
  if (!existsSync(`${v}/config.json`)) throw new UsageError(command, `--model ${v}: no config.json there (expected a Hugging Face checkpoint directory)`);
  return v;
}

export function fileOption(command: string, name: string, v: string | undefined): string {
  if (!v) throw new UsageError(command, `--${name} FILE is required`);
  if (!existsSync(v) || !statSync(v).isFile()) throw new UsageError(command, `--${name} ${v}: no such file`);
  return v;
}
