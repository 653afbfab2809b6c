// Score against sparsity, one line per method, with the dense score and LLM-KICK's "matching"
// band (within 5% of dense). Shared by pages and, through `document`, by server-side figure export.
import * as Plot from "@observablehq/plot";
import { colorOf, colorScale } from "./palette.js";

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
  /**
   * "html": Plot's swatch legend (an HTML figure, for pages). "inline": method names drawn inside
   * the SVG, so the legend survives export as a bare SVG for papers.
   */
  legend?: "html" | "inline";
  fontFamily?: string;
  fontSize?: number;
}

/** The pruning methods of LLM-KICK's Table 3, in the report's colours (palette.ts). */
const METHODS = ["magnitude", "wanda", "sparsegpt"];
const METHOD_COLOR = colorScale(METHODS);

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
      Plot.text([dense], { x: Math.max(...rows.map((r) => r.sparsity)), y: (d: number) => d, text: () => "dense", dy: -6, textAnchor: "end", fill: "#555" }),
    );
  }
  marks.push(
    Plot.lineY(rows as SparsityRow[], { x: "sparsity", y: "value", stroke: "method", marker: "dot", tip: options.legend !== "inline" }),
    Plot.ruleY([0]),
  );
  const inline = options.legend === "inline";
  if (inline) {
    const methods = METHODS.filter((m) => rows.some((r) => r.method === m));
    methods.forEach((method, i) =>
      marks.push(Plot.text([method], { frameAnchor: "bottom-left", dx: 6, dy: -6 - (methods.length - 1 - i) * 14, text: (d: string) => `— ${d}`, fill: colorOf(method), fontWeight: "bold", textAnchor: "start" })),
    );
  }
  return Plot.plot({
    width: options.width,
    height: options.height ?? Math.round(Math.min(420, Math.max(260, options.width * 0.5))),
    document: options.document,
    marginTop: 28,
    style: { fontFamily: options.fontFamily ?? "system-ui, sans-serif", fontSize: `${options.fontSize ?? 12}px` },
    x: { label: "Sparsity (%)", domain: [0, Math.max(...rows.map((r) => r.sparsity))], ticks: 6 },
    y: { label: options.label, grid: true, zero: true },
    color: { legend: !inline, ...METHOD_COLOR },
    marks,
  });
}
