// Score against sparsity, one line per method, with the dense score and LLM-KICK's "matching"
// band (within 5% of dense). Shared by pages and, through `document`, by server-side figure export.
import * as Plot from "@observablehq/plot";

export interface SparsityRow {
  method: string;
  sparsity: number;
  value: number;
}

export interface SparsityChartOptions {
  width: number;
  height?: number;
  /** Axis label for the score. */
  label: string;
  /** A DOM Document to render into (JSDOM on the server); the page's own by default. */
  document?: Document;
}

/** LLM-KICK calls a compressed model "matching" when it keeps at least 95% of the dense score. */
export const MATCHING_FRACTION = 0.95;

export function denseScore(rows: readonly SparsityRow[]): number | undefined {
  const dense = rows.filter((row) => row.sparsity === 0).map((row) => row.value);
  return dense.length ? dense.reduce((a, b) => a + b, 0) / dense.length : undefined;
}

export function sparsityChart(rows: readonly SparsityRow[], options: SparsityChartOptions): SVGSVGElement | HTMLElement {
  const dense = denseScore(rows);
  const marks: Plot.Markish[] = [];
  if (dense !== undefined) {
    marks.push(
      Plot.rectY([0], { x1: 0, x2: Math.max(...rows.map((r) => r.sparsity)), y1: dense * MATCHING_FRACTION, y2: dense, fill: "#888", fillOpacity: 0.12 }),
      Plot.ruleY([dense], { stroke: "#555", strokeDasharray: "4,3" }),
      Plot.text([dense], { x: 0, y: (d: number) => d, text: () => "dense", dy: -6, textAnchor: "start", fill: "#555" }),
    );
  }
  marks.push(
    Plot.lineY(rows as SparsityRow[], { x: "sparsity", y: "value", stroke: "method", marker: "dot", tip: true }),
    Plot.ruleY([0]),
  );
  return Plot.plot({
    width: options.width,
    height: options.height ?? Math.round(Math.min(420, Math.max(260, options.width * 0.5))),
    document: options.document,
    style: { fontFamily: "system-ui, sans-serif", fontSize: "12px" },
    x: { label: "Sparsity (%)", domain: [0, Math.max(...rows.map((r) => r.sparsity))], ticks: 6 },
    y: { label: options.label, grid: true, zero: true },
    color: { legend: true, domain: ["magnitude", "wanda", "sparsegpt"], range: ["#e15759", "#4e79a7", "#59a14f"] },
    marks,
  });
}
