// /figures/table3-<task>.png — the same figure rasterised at 2× (listed in dynamicPaths).
import { parseArgs } from "node:util";
import { table3FigureSvg } from "../../loaders/figures/published.js";
import { svgToPng } from "../../loaders/figures/render.js";

const { values } = parseArgs({ options: { task: { type: "string" } } });
process.stdout.write(svgToPng(await table3FigureSvg(values.task ?? "")));
