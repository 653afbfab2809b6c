// /figures/table3-<task>.svg — the front page's chart as a standalone SVG (listed in dynamicPaths).
import { parseArgs } from "node:util";
import { table3FigureSvg } from "../../loaders/figures/published.js";

const { values } = parseArgs({ options: { task: { type: "string" } } });
process.stdout.write(await table3FigureSvg(values.task ?? ""));
