// "This view" downloads of a report chart: the chart as on screen (same rows, controls and width,
// legend drawn inside) framed with its title, view and source line (figure-frame.ts), as SVG, PNG
// and vector PDF (figure-pdf.ts), and the chart's rows as CSV. Everything is made in the browser from
// what the page holds.
import { frameFigure, sourceLine, viewLine, type DataVersion } from "./figure-frame.js";
import { vectorPdfBlob } from "./figure-pdf.js";
import type { Params, Query } from "./report-controls.js";
import type { Row } from "./report-charts.js";
import type { FigureSpec } from "./report-figures.js";

export interface ChartView {
  spec: FigureSpec;
  params: Params;
  rows: readonly Row[];
  status: DataVersion;
  query: Query;
}

/** Raster scale of PNG: 3 × CSS px (≈ 288 dpi at 96 dpi), sharp in print. */
const SCALE = 3;

/** The main chart <svg> inside a chart's container (Plot's HTML legend adds small swatch <svg>s). */
export function chartSvg(container: Element | null): SVGSVGElement | null {
  const svgs = [...(container?.querySelectorAll("svg") ?? [])] as SVGSVGElement[];
  const area = (s: SVGSVGElement) => Number(s.getAttribute("width")) * Number(s.getAttribute("height"));
  return svgs.sort((a, b) => area(b) - area(a))[0] ?? null;
}

/** The framed SVG of the view: drawn again from the same rows at the on-screen chart's width. */
export async function viewFigure(view: ChartView, width: number): Promise<SVGSVGElement> {
  const drawn = view.spec.draw(view.rows, { width, legend: "inline" }, view.params);
  const svg = drawn.tagName.toLowerCase() === "svg" ? (drawn as SVGSVGElement) : (drawn.querySelector("svg") as SVGSVGElement);
  const text = { title: view.spec.title, view: await viewLine(view.spec.controls, view.params, view.query), source: sourceLine(view.status, location.href) };
  return frameFigure(svg, text);
}

export function svgText(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  // Plot styles text with currentColor; a file opened elsewhere has no page colour to inherit.
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone).replaceAll("currentColor", "#000")}\n`;
}

/** The SVG drawn on a white canvas at SCALE × its size. */
async function rasterise(svg: SVGSVGElement): Promise<HTMLCanvasElement> {
  const width = Number(svg.getAttribute("width")), height = Number(svg.getAttribute("height"));
  const url = URL.createObjectURL(new Blob([svgText(svg)], { type: "image/svg+xml" }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * SCALE);
    canvas.height = Math.round(height * SCALE);
    const context = canvas.getContext("2d")!;
    context.fillStyle = "white";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return canvas;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function pngBlob(svg: SVGSVGElement): Promise<Blob> {
  const canvas = await rasterise(svg);
  return new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the browser could not encode PNG"))), "image/png"));
}

/** The chart's rows as CSV, columns as the chart's SQL returns them. */
export async function csvBlob(rows: readonly Row[]): Promise<Blob> {
  const { csvFormat } = await import("d3");
  const plain = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? String(v) : v])));
  return new Blob([`${csvFormat(plain)}\n`], { type: "text/csv" });
}

export function saveBlob(blob: Blob, filename: string): void {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** "This view: SVG · PNG · PDF · data (CSV)" links for the chart in `container()`. */
export function viewDownloads(name: string, container: () => Element | null, view: ChartView): HTMLElement {
  const span = document.createElement("span");
  span.className = "kick-view-downloads";
  span.append("This view: ");
  const figure = async () => {
    const onScreen = chartSvg(container());
    if (!onScreen) throw new Error(`no chart drawn for ${name}`);
    return viewFigure(view, Number(onScreen.getAttribute("width")));
  };
  const formats: [string, string, () => Promise<Blob>][] = [
    ["svg", "SVG", async () => new Blob([svgText(await figure())], { type: "image/svg+xml" })],
    ["png", "PNG", async () => pngBlob(await figure())],
    ["pdf", "PDF", async () => vectorPdfBlob(svgText(await figure()))],
    ["csv", "data (CSV)", () => csvBlob(view.rows)],
  ];
  formats.forEach(([format, label, make], i) => {
    const link = document.createElement("a");
    link.href = "#";
    link.className = "kick-download";
    link.dataset.format = format;
    link.textContent = label;
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      try {
        saveBlob(await make(), `report-${name}-view.${format}`);
      } catch (error) {
        link.title = `Could not make the ${label} file: ${(error as Error).message}`;
        console.error(error);
      }
    });
    span.append(...(i ? [" · "] : []), link);
  });
  return span;
}
