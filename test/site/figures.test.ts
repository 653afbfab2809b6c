// Figure files rendered server-side (Plot + JSDOM → SVG, resvg → PNG) from the page's chart function.
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { table3FigureSvg } from "../../loaders/figures/published.js";
import { FIGURE_STYLE, renderSvg, svgToPng } from "../../loaders/figures/render.js";

describe("figure export", () => {
  it("writes a standalone, well-formed SVG with one line per method and an inline legend", async () => {
    const svg = await table3FigureSvg("factoid_qa");
    const doc = new JSDOM(svg, { contentType: "image/svg+xml" }).window.document; // throws on malformed XML
    const root = doc.documentElement;
    expect(root.tagName).toBe("svg");
    expect(root.getAttribute("xmlns")).toBe("http://www.w3.org/2000/svg");
    expect(root.getAttribute("width")).toBe(String(FIGURE_STYLE.width));
    expect(root.getAttribute("height")).toBe(String(FIGURE_STYLE.height));
    expect(doc.querySelectorAll("[aria-label='line'] path")).toHaveLength(3);
    const text = root.textContent ?? "";
    for (const method of ["magnitude", "wanda", "sparsegpt"]) expect(text).toContain(method);
  });

  it("rasterises to a PNG twice the SVG's size", async () => {
    const png = svgToPng(await table3FigureSvg("mmlu"));
    expect([...png.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    expect(view.getUint32(16)).toBe(FIGURE_STYLE.width * 2); // IHDR width
    expect(view.getUint32(20)).toBe(FIGURE_STYLE.height * 2); // IHDR height
  });

  it("refuses a chart with an HTML legend, which would not survive export", () => {
    expect(() =>
      renderSvg((document) => {
        const figure = document.createElement("figure");
        figure.append(document.createElement("div"), document.createElementNS("http://www.w3.org/2000/svg", "svg"));
        return figure;
      }),
    ).toThrow(/bare <svg>/);
  });

  it("names the bad task", async () => {
    await expect(table3FigureSvg("nope")).rejects.toThrow(/unknown Table 3 task "nope"; expected one of factoid_qa/);
  });
});
