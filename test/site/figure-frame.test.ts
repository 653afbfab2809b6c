// The frame every downloadable figure gets (title, the view's controls, source line): sizes worked out by hand.
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { frameFigure, frameMargins, sourceLine, viewLine, wrapText } from "../../src/components/figure-frame.js";
import type { Control } from "../../src/components/report-controls.js";

function chart(document: Document, width: number, height: number): SVGSVGElement {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg") as SVGSVGElement;
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.innerHTML = `<circle cx="5" cy="5" r="3"/>`;
  return svg;
}

describe("frameFigure", () => {
  it("keeps the chart's size and content and adds the title, view and source lines around it", () => {
    const { document } = new JSDOM("").window;
    const framed = frameFigure(chart(document, 560, 300), { title: "A title", view: "Model: m · Task: t", source: "Source: kick" }, { document, fontSize: 10 });
    const { top, bottom } = frameMargins(10);
    expect([top, bottom]).toEqual([36, 20]); // 10 × (0.7 + 1.4 + 1.5), 10 × (0.6 + 1.4)
    expect(framed.getAttribute("width")).toBe("560");
    expect(framed.getAttribute("height")).toBe(String(300 + 36 + 20));
    const inner = framed.querySelector("svg")!;
    expect([inner.getAttribute("width"), inner.getAttribute("height"), inner.getAttribute("y")]).toEqual(["560", "300", "36"]);
    expect(inner.querySelector("circle")).not.toBeNull();
    expect(framed.querySelector("title")!.textContent).toBe("A title");
    expect(framed.querySelector('[data-frame="title"]')!.textContent).toBe("A title");
    expect(framed.querySelector('[data-frame="view"]')!.textContent).toBe("Model: m · Task: t");
    // the source line sits below the chart
    expect(Number(framed.querySelector('[data-frame="source"]')!.getAttribute("y"))).toBeGreaterThan(336);
  });

  it("refuses a chart without a numeric size", () => {
    const { document } = new JSDOM("").window;
    expect(() => frameFigure(chart(document, NaN, 10), { title: "", view: "", source: "" }, { document })).toThrow(/numeric width and height/);
  });
});

describe("wrapText", () => {
  it("breaks after the separators, keeps them, and the lines joined are the text", () => {
    const text = "Model: kick-l (1M params) · Method: sparsegpt · Task: Factoid QA";
    // 100 px at 10 px: 16 characters a line at most, a longer piece stands alone
    const lines = wrapText(text, 100, 10);
    expect(lines).toEqual(["Model: kick-l (1M params) · ", "Method: sparsegpt · ", "Task: Factoid QA"]);
    expect(lines.join("")).toBe(text);
    expect(wrapText(text, 1000, 10)).toEqual([text]);
    expect(wrapText("a b c", 10, 1, /(?<= )/)).toEqual(["a b c"]);
  });

  it("a long view line wraps inside the frame, which grows to hold it", () => {
    const { document } = new JSDOM("").window;
    const view = Array.from({ length: 12 }, (_, i) => `Control ${i}: option ${i}`).join(" · ");
    const framed = frameFigure(chart(document, 390, 200), { title: "Title", view, source: "s" }, { document, fontSize: 10 });
    const spans = framed.querySelectorAll('[data-frame="view"] tspan');
    expect(spans.length).toBeGreaterThan(1);
    for (const span of spans) expect(span.textContent!.length * 6).toBeLessThanOrEqual(390 - 8);
    expect(framed.querySelector('[data-frame="view"]')!.textContent).toBe(view);
    expect(framed.querySelector("svg")!.getAttribute("y")).toBe(String(frameMargins(10, spans.length).top));
  });
});

describe("viewLine and sourceLine", () => {
  it("names each control and the label of its chosen option, asking each control's options with the controls before it", async () => {
    const controls: Control[] = [
      { key: "model", label: "Model", options: () => "models" },
      { key: "bits", label: "Bits", options: (p) => `bits of ${p.model}`, format: (v) => `${v} bits` },
    ];
    const asked: string[] = [];
    const query = async (sql: string) => {
      asked.push(sql);
      return sql === "models" ? [{ value: "a", label: "a (1M params)" }, { value: "b", label: "b (2M params)" }] : [{ value: 4 }, { value: 8 }];
    };
    expect(await viewLine(controls, { model: "b", bits: 8 }, query)).toBe("Model: b (2M params) · Bits: 8 bits");
    expect(asked).toEqual(["models", "bits of b"]);
  });

  it("cites the store, its content hash and the commit", () => {
    expect(sourceLine({ source: "data/results", version: { data: "0123456789ab", commit: "fedcba987654" } }, "https://site/perplexity?x=1")).toBe(
      "Source: kick, https://site/perplexity?x=1 · data data/results, results sha256 0123456789ab, commit fedcba987654",
    );
    expect(sourceLine({ source: "test/fixtures/results", fixture: true }, "/p")).toBe("Source: kick, /p · data test/fixtures/results (synthetic test fixture)");
  });
});
