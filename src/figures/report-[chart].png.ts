// /figures/report-<chart>.png — the same figure rasterised at 2× (listed in dynamicPaths).
import { parseArgs } from "node:util";
import { reportFigureSvg } from "../../loaders/figures/report.js";
import { svgToPng } from "../../loaders/figures/render.js";

const { values } = parseArgs({ options: { chart: { type: "string" } } });
process.stdout.write(svgToPng(await reportFigureSvg(values.chart ?? "")));
