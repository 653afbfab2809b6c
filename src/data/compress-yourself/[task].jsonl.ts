// The task suites "Compress it yourself" evaluates (perplexity, factoid_qa): the test split of data/tasks/<task>.jsonl,
// lines unchanged and in file order, so the page's first N items are the first N test items of `kick eval`.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_TASKS_DIR } from "../../../loaders/evaluate/suite.js";
import { COMPRESS_YOURSELF_TASKS } from "./shipped.js";

const { values } = parseArgs({ options: { task: { type: "string" } } });
const task = values.task ?? "";
if (!(COMPRESS_YOURSELF_TASKS as readonly string[]).includes(task)) throw new Error(`compress-yourself: no suite "${task}" is shipped (${COMPRESS_YOURSELF_TASKS.join(", ")})`);
const lines = readFileSync(`${DEFAULT_TASKS_DIR}/${task}.jsonl`, "utf8").split("\n").filter((line) => line.trim() !== "" && JSON.parse(line).split === "test");
process.stdout.write(`${lines.join("\n")}\n`);
