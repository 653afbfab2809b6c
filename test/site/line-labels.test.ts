// Direct labels (src/components/report-charts.ts): a line chart with more than DIRECT_LABELS_ABOVE series
// names each at its line's right end, in the palette's colour of that series, with no legend, and labels
// of lines ending at the same score are spread at least a text line apart; with few series, or names too
// long to fit beside a narrow chart, the chart keeps its legend; the chance line keeps its label. Rendered in
// JSDOM, as the figure files are.
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { DIRECT_LABELS_ABOVE, ablationChart, type Row } from "../../src/components/report-charts.js";
import { colorOf } from "../../src/components/palette.js";

const SERIES = ["sparsegpt 50%", "sparsegpt 70%", "wanda 50%", "wanda 70%", "magnitude 50%", "magnitude 70%"];

/** Every series ends at x = 512 with the same score (the worst case for labels), starts apart. */
const rows: Row[] = SERIES.flatMap((series, i) => [
  { series, x: 8, value: 0.2 + i * 0.05, ci_low: 0.15 + i * 0.05, ci_high: 0.25 + i * 0.05 },
  { series, x: 512, value: 0.5, ci_low: 0.45, ci_high: 0.55 },
]);

function draw(series: readonly string[], width: number, legend: "html" | "inline" = "inline", chance: number | null = null) {
  const { document } = new JSDOM("").window;
  const chart = ablationChart(
    rows.filter((r) => series.includes(String(r.series))),
    { width, document, legend, xLabel: "Calibration samples", xType: "log", fontSize: 12, chance },
  );
  const labels = [...chart.querySelectorAll(".kick-line-label text")];
  const y = (t: Element) => Number(/translate\([^,]+,([^)]+)\)/.exec(t.getAttribute("transform") ?? "")?.[1] ?? t.getAttribute("y"));
  return { chart, labels, y };
}

describe("direct labels at line ends", () => {
  it(`above ${DIRECT_LABELS_ABOVE} series: one label per series, in its palette colour, spread apart, no legend`, () => {
    const { chart, labels, y } = draw(SERIES, 640);
    expect(labels.map((t) => t.textContent)).toEqual(SERIES);
    for (const t of labels) expect(t.getAttribute("fill")).toBe(colorOf(t.textContent!));
    const ys = labels.map(y).sort((a, b) => a - b);
    for (let i = 1; i < ys.length; i++) expect(ys[i] - ys[i - 1]).toBeGreaterThanOrEqual(11 + 2 - 1e-9);
    // the inline legend ("● name") is not drawn as well
    expect([...chart.querySelectorAll("text")].some((t) => t.textContent!.startsWith("●"))).toBe(false);
    // in a page: no HTML legend either
    const page = draw(SERIES, 640, "html").chart;
    expect(page.querySelector("[class*='-swatch']")).toBeNull();
  });

  it(`up to ${DIRECT_LABELS_ABOVE} series, or names too long for the chart's width, keep the legend`, () => {
    expect(draw(SERIES.slice(0, DIRECT_LABELS_ABOVE), 640).labels).toEqual([]);
    expect(draw(SERIES, 150).labels).toEqual([]);
    expect(draw(SERIES, 150, "html").chart.querySelector("[class*='-swatch']")).not.toBeNull();
  });

  it("labels the chance line beside the line labels", () => {
    const texts = [...draw(SERIES, 640, "inline", 0.25).chart.querySelectorAll("text")].map((t) => t.textContent);
    expect(texts).toContain("chance");
  });
});
