// A chart made citable: its bare SVG (legend "inline") inside a larger SVG with the figure's title,
// the view it shows (each control and its chosen option, as the page labels them) and a source line.
// The page's downloads (figure-download.ts) and the build's figure files (loaders/figures/report.ts)
// both frame charts here, so a download and a figure file read the same way.
import { optionsFor, type Control, type Params, type Query } from "./report-controls.js";

export interface FrameText {
  title: string;
  /** "Model: kick-l (…) · Method: sparsegpt · …" */
  view: string;
  /** "Source: kick, <address> · data …" */
  source: string;
}

export interface FrameStyle {
  document?: Document;
  fontFamily?: string;
  fontSize?: number;
}

const SVG = "http://www.w3.org/2000/svg";

/** Each control's label and the label of its chosen option, in the page's order. */
export async function viewLine(controls: readonly Control[], params: Params, query: Query): Promise<string> {
  const parts: string[] = [];
  for (const control of controls) {
    const options = await optionsFor(control, params, query);
    const chosen = options.find((o) => o.value === (params[control.key] ?? null));
    parts.push(`${control.label}: ${chosen?.label ?? String(params[control.key])}`);
  }
  return parts.join(" · ");
}

/** Height of the header (title + view lines) and the footer (source lines) for a font size. */
export const frameMargins = (fontSize: number, viewLines = 1, sourceLines = 1, titleLines = 1) => ({
  top: Math.round(fontSize * (0.7 + 1.4 * titleLines + 1.5 * viewLines)),
  bottom: Math.round(fontSize * (0.6 + 1.4 * sourceLines)),
});

/**
 * `text` in lines of at most `width` px, broken after its " · " or ", " separators (or `breaks`; kept at the line
 * ends, so the lines joined are the text again). Plot never measures text either: 0.6 em per character
 * is a safe width for DejaVu Sans and system-ui digits and letters.
 */
export function wrapText(text: string, width: number, fontSize: number, breaks = /(?<= · |, )/): string[] {
  const max = Math.max(10, Math.floor(width / (fontSize * 0.6)));
  const pieces = text.split(breaks);
  const lines: string[] = [];
  for (const piece of pieces) {
    if (lines.length && lines[lines.length - 1].length + piece.length <= max) lines[lines.length - 1] += piece;
    else lines.push(piece);
  }
  return lines;
}

/**
 * A new <svg> as wide as `chart`, with the title and view line above it and the source line below it;
 * `chart` is moved inside unchanged (same width, height and content), as a nested <svg>.
 */
export function frameFigure(chart: SVGSVGElement, text: FrameText, { document: doc = chart.ownerDocument, fontFamily = "system-ui, sans-serif", fontSize = 12 }: FrameStyle = {}): SVGSVGElement {
  const width = Number(chart.getAttribute("width"));
  const height = Number(chart.getAttribute("height"));
  if (!(width > 0 && height > 0)) throw new Error("frameFigure: the chart <svg> needs numeric width and height attributes");
  const sourceSize = Math.max(8, fontSize - 2);
  const viewLines = wrapText(text.view, width - 8, fontSize);
  const sourceLines = wrapText(text.source, width - 8, sourceSize);
  const titleSize = Math.round(fontSize * 1.15);
  const titleLines = wrapText(text.title, width - 8, titleSize, /(?<= )/);
  const { top, bottom } = frameMargins(fontSize, viewLines.length, sourceLines.length, titleLines.length);
  const svg = doc.createElementNS(SVG, "svg") as SVGSVGElement;
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height + top + bottom));
  svg.setAttribute("viewBox", `0 0 ${width} ${height + top + bottom}`);
  svg.setAttribute("font-family", fontFamily);
  svg.setAttribute("font-size", String(fontSize));
  svg.setAttribute("class", "kick-figure-frame");
  const title = doc.createElementNS(SVG, "title");
  title.textContent = text.title;
  const background = doc.createElementNS(SVG, "rect");
  // In user units, not "100%": svg2pdf.js (the vector PDF) cannot resolve percentages.
  for (const [k, v] of Object.entries({ width: String(width), height: String(height + top + bottom), fill: "white" })) background.setAttribute(k, v);
  /** One <text>, a <tspan> per line: its textContent is the whole unwrapped text. */
  const block = (lines: string[], y: number, lineHeight: number, attrs: Record<string, string>) => {
    const t = doc.createElementNS(SVG, "text");
    t.setAttribute("y", String(y));
    for (const [k, v] of Object.entries(attrs)) t.setAttribute(k, v);
    lines.forEach((content, i) => {
      const span = doc.createElementNS(SVG, "tspan");
      span.setAttribute("x", "4");
      if (i) span.setAttribute("dy", String(lineHeight));
      span.textContent = content;
      t.append(span);
    });
    return t;
  };
  chart.setAttribute("x", "0");
  chart.setAttribute("y", String(top));
  svg.append(
    title,
    background,
    block(titleLines, Math.round(fontSize * 1.4), Math.round(fontSize * 1.4), { "font-weight": "bold", "font-size": String(titleSize), "data-frame": "title" }),
    block(viewLines, Math.round(fontSize * (1.5 + 1.4 * titleLines.length)), Math.round(fontSize * 1.5), { fill: "#333", "data-frame": "view" }),
    chart,
    block(sourceLines, height + top + Math.round(fontSize * 1.4), Math.round(sourceSize * 1.4), { fill: "#555", "font-size": String(sourceSize), "data-frame": "source" }),
  );
  return svg;
}

/** What a figure's numbers come from: the store's folder, its data version and the commit the site was built from. */
export interface DataVersion {
  source: string;
  fixture?: boolean;
  version?: { data: string | null; commit: string | null };
}

/** "Source: kick, <where> · data data/results (results 3f2a…) · commit 6f7418c" — the line under every figure. */
export function sourceLine(status: DataVersion, where: string): string {
  const v = status.version;
  const data = [`data ${status.source}${status.fixture ? " (synthetic test fixture)" : ""}`, v?.data ? `results sha256 ${v.data}` : null, v?.commit ? `commit ${v.commit}` : null];
  return `Source: kick, ${where} · ${data.filter(Boolean).join(", ")}`;
}
