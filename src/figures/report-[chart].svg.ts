// /figures/report-<chart>.svg — a report page's chart at its default controls (listed in dynamicPaths).
import { parseArgs } from "node:util";
import { reportFigureSvg } from "../../loaders/figures/report.js";

const { values } = parseArgs({ options: { chart: { type: "string" } } });
process.stdout.write(await reportFigureSvg(values.chart ?? ""));
