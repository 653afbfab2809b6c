// Server-side figures: the pages' own chart functions rendered into a JSDOM document (Plot never
// measures text, so the SVG matches the browser's), then rasterised to PNG with resvg.
import { Resvg } from "@resvg/resvg-js";
import { JSDOM } from "jsdom";

/** Print-friendly defaults: explicit size and a font that exists on Debian (fonts-dejavu-core). */
export const FIGURE_STYLE = { width: 480, height: 300, fontFamily: "DejaVu Sans, Helvetica, Arial, sans-serif", fontSize: 10 } as const;

/** Calls `draw` with a server-side document and returns the standalone SVG text. */
export function renderSvg(draw: (document: Document) => Element): string {
  const { document } = new JSDOM("").window;
  const node = draw(document);
  const svg = node.tagName.toLowerCase() === "svg" ? node : node.querySelector("svg");
  if (!svg || node.querySelector("div, figure > :not(svg)")) {
    throw new Error("renderSvg: the chart must be a bare <svg> (use legend: \"inline\" for export)");
  }
  svg.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns", "http://www.w3.org/2000/svg");
  svg.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:xlink", "http://www.w3.org/1999/xlink");
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg.outerHTML}\n`;
}

/** Rasterises SVG text to PNG at `scale` × its size (2× ≈ 192 dpi for a figure set at 96 dpi). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  // Plot styles text with currentColor; resvg has no CSS cascade for it, so resolve it to black.
  const resvg = new Resvg(svg.replaceAll("currentColor", "#000"), {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}
