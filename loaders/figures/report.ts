// Figure files of the report pages (/figures/report-<name>.svg and .png): the page's own chart
// function and SQL (src/components/report-figures.ts), run on the results store with node DuckDB
// and the controls at their defaults, rendered with JSDOM and framed with the figure's title, the controls'
// values and a source line (src/components/figure-frame.ts), as the page's "this view" downloads are. Without a store (or with a store that
// lacks what the chart needs) the file is a placeholder that says how to produce the store, so the
// build never fails for want of results.
import { frameFigure, sourceLine, viewLine } from "../../src/components/figure-frame.js";
import { emptyChart } from "../../src/components/report-charts.js";
import { resolveParams } from "../../src/components/report-controls.js";
import { FIGURES } from "../../src/components/report-figures.js";
import { REPORT_VIEWS, REQUIRED_COLUMNS } from "../../src/components/report-sql.js";
import { FIGURE_STYLE, renderSvg } from "./render.js";
import { PRODUCE_COMMAND, storeStatus, withStore } from "./results-store.js";

/** Print size of the report figures: explicit width (height follows from the chart), DejaVu Sans 10 px. */
export const REPORT_FIGURE_STYLE = { width: 560, fontFamily: FIGURE_STYLE.fontFamily, fontSize: FIGURE_STYLE.fontSize } as const;

export async function reportFigureSvg(name: string): Promise<string> {
  const spec = FIGURES[name];
  if (!spec) throw new Error(`unknown report figure "${name}"; expected one of ${Object.keys(FIGURES).join(", ")}`);
  const status = await storeStatus();
  const results = status.tables.results;
  const missing = REQUIRED_COLUMNS.results.filter((c) => !results.columns.includes(c));
  const problem = !results.present
    ? `No results store at ${status.source}/results.parquet. Produce it with: ${PRODUCE_COMMAND}`
    : results.rows === 0
      ? `The results table in ${status.source} has no rows. Produce it with: ${PRODUCE_COMMAND}`
      : missing.length
        ? `The results table in ${status.source} lacks column(s) ${missing.join(", ")}. Re-export it with: ${PRODUCE_COMMAND}`
        : null;
  if (problem) {
    process.stderr.write(`[figures] report-${name}: ${problem}\n`);
    return renderSvg((document) => emptyChart(problem, { ...REPORT_FIGURE_STYLE, height: 200, document }) as Element);
  }
  return withStore(REPORT_VIEWS, async (query) => {
    const params = await resolveParams(spec.controls, query);
    const rows = await query(spec.sql(params));
    const text = { title: spec.title, view: await viewLine(spec.controls, params, query), source: sourceLine(status, `/${spec.page} (default view)`) };
    return renderSvg((document) => frameFigure(spec.draw(rows, { ...REPORT_FIGURE_STYLE, document, legend: "inline" }, params) as SVGSVGElement, text, { ...REPORT_FIGURE_STYLE, document }));
  });
}
