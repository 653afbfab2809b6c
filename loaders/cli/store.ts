// kick store verify [--store DIR] [--quarantine]: re-reads every file of a results store and reports (or moves
// aside) the damaged runs. Standalone meanwhile: npx tsx loaders/cli/store.ts verify ...
import { ResultsStore } from "../sweep/store.js";
import { parseCommand } from "./args.js";
import { DEFAULT_STORE } from "./sweep.js";
import { isMain } from "../util/is-main.js";

export const summary = "check a results store: re-read every run file, report or quarantine damaged runs";

const HELP = `Usage: kick store verify [--store DIR] [--quarantine]

Re-reads every file of every run in the store (each value of each column; every row must carry its
folder's run id; run.parquet one row) and every model card, and lists the damaged ones as
"run_id<TAB>file<TAB>problem" on stdout. A sweep computes a damaged run again once it is moved aside;
a merge refuses a source that has one. Exit code 0 when all is sound (or every damaged run was moved
aside with --quarantine), 1 when damage remains, 2 for a bad command line.

Options:
  --store DIR     the store (default: data/results/store)
  --quarantine    move each damaged run folder to <store>/quarantine/ (nothing is deleted)
  -h, --help      this help`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand("store", argv, { store: { type: "string" }, quarantine: { type: "boolean" } }, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== "verify") {
    process.stderr.write(`kick store: expected the subcommand verify, got ${positionals.length ? `"${positionals.join(" ")}"` : "none"} (see kick store --help)\n`);
    return 2;
  }
  const dir = typeof values.store === "string" ? values.store : DEFAULT_STORE;
  try {
    const store = await ResultsStore.open(dir);
    let last = 0;
    const problems = await store.verify((done, total) => {
      if (Date.now() - last < 2000 && done < total) return;
      last = Date.now();
      process.stderr.write(`[store verify] ${done}/${total} runs read\n`);
    });
    let left = problems.length;
    for (const p of problems) {
      let note = "";
      if (values.quarantine && p.run_id) {
        const to = await store.quarantine(p.run_id);
        if (to) {
          note = `\tmoved to ${to}`;
          left -= 1;
        }
      }
      process.stdout.write(`${p.run_id || "-"}\t${p.file}\t${p.problem}${note}\n`);
    }
    const runs = (await store.finishedRunIds()).length;
    process.stderr.write(
      `[store verify] ${dir}: ${problems.length} damaged${values.quarantine ? `, ${problems.length - left} moved to the quarantine` : ""}; ${runs} run(s) stored${left ? " (damage remains)" : ""}\n`,
    );
    return left ? 1 : 0;
  } catch (e) {
    process.stderr.write(`kick store: ${(e as Error).message}\n`);
    return 1;
  }
}

if (isMain(import.meta.url, "loaders/cli/store.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
