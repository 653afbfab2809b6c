// kick merge --out DIR SRC...: combines shard stores into one (a run stored twice must agree).
// Standalone meanwhile: npx tsx loaders/cli/merge.ts --out DIR SRC...
import { existsSync } from "node:fs";
import { join } from "node:path";
import { exportProblems } from "../sweep/run-files.js";
import { ResultsStore } from "../sweep/store.js";
import { parseCommand } from "./args.js";
import { exportStore } from "./export-store.js";
import { isMain } from "../util/is-main.js";

export const summary = "combine shard results stores into one and export its Parquet tables";

const HELP = `Usage: kick merge --out DIR [--export DIR] SRC [SRC ...]

Copies the finished runs of every source store (e.g. the --store of each shard) into the store at
--out (created if missing). A source may also be an export of a store (a folder with results.parquet,
examples.parquet and runs.parquet, such as the committed data/results/): its runs become run folders.
The model cards (models table) of the sources come along; an export without models.parquet has none.
A run present in several stores must have identical results (timing columns aside); otherwise the
merge stops and names the run. Every source is checked first (it exists; every file of every run
re-read, as kick store verify does): a missing source, or a damaged run or table in one, stops the
merge before anything is copied or --out is created. Corrupt or incompatible stores are refused,
never overwritten.

Options:
  --out DIR       the combined store
  --export DIR    then write results.parquet, examples.parquet, runs.parquet, models.parquet of the
                  combined store to DIR; refused if DIR holds runs the combined store lacks
  --allow-shrink  with --export: write it even so, naming the runs it removes
  -h, --help      this help`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand("merge", argv, { out: { type: "string" }, export: { type: "string" }, "allow-shrink": { type: "boolean" } }, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (typeof values.out !== "string") {
    process.stderr.write("kick merge: --out DIR is required (see kick merge --help)\n");
    return 2;
  }
  if (positionals.length === 0) {
    process.stderr.write("kick merge: give at least one source store (see kick merge --help)\n");
    return 2;
  }
  try {
    // every source is checked before anything is written: a bad one must leave no (partial or empty) --out
    const sources = [];
    const exports = [];
    for (const dir of positionals) {
      if (!existsSync(dir)) throw new Error(`source ${dir} does not exist; nothing was merged`);
      if (existsSync(join(dir, "store.json"))) {
        const source = await ResultsStore.open(dir);
        const problems = await source.verify();
        if (problems.length)
          throw new Error(
            `source store ${dir} has ${problems.length} damaged run(s) (${problems.slice(0, 3).map((p) => `${p.file}: ${p.problem}`).join("; ")}); ` +
              `nothing was merged. kick store verify --store ${dir} --quarantine moves them aside (a sweep then computes them again)`,
          );
        sources.push(source);
      } else {
        const problems = await exportProblems(dir);
        if (problems.length) throw new Error(`source ${dir} is neither a results store (no store.json) nor a sound export of one (${problems.join("; ")}); nothing was merged`);
        exports.push(dir);
      }
    }
    const out = await ResultsStore.open(values.out, { create: true });
    let { added, skipped } = await out.mergeFrom(sources);
    for (const dir of exports) {
      const r = await out.importExport(dir);
      added += r.added;
      skipped += r.skipped;
    }
    process.stderr.write(`[merge] ${added} run(s) added, ${skipped} already present, from ${sources.length} store(s)${exports.length ? ` and ${exports.length} export(s)` : ""} into ${values.out}\n`);
    if (typeof values.export === "string") {
      await exportStore(out, values.export, { allowShrink: values["allow-shrink"] === true, tag: "merge" });
    }
    return 0;
  } catch (e) {
    process.stderr.write(`kick merge: ${(e as Error).message}\n`);
    return 1;
  }
}

if (isMain(import.meta.url, "loaders/cli/merge.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
