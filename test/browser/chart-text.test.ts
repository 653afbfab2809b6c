// Every chart of every report page, at phone (390 px) and desktop (1280 px) widths: no two pieces of
// text inside a chart overlap (tick labels, axis labels, line-end labels, reference-line labels), read
// as the boxes Chromium lays out (each text's box through its transform, so slanted tick labels are
// slanted rectangles, compared exactly).
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { FIGURE_NAMES, FIGURES } from "../../src/components/report-figures.js";
import { expectClean, watchPage } from "./chromium.js";
import { servedSite } from "./served-site.js";

const site = servedSite();
const PAGES = [...new Set(FIGURE_NAMES.map((n) => FIGURES[n].page))];

/** Scrolls a chart into view until its SVG is drawn (content below the fold loads when shown). */
async function chartShown(page: Page, name: string): Promise<void> {
  const end = Date.now() + 120_000;
  for (;;) {
    await page.locator(`[data-figure="${name}"]`).scrollIntoViewIfNeeded();
    try {
      await page.locator(`[data-figure="${name}"] svg`).first().waitFor({ timeout: 2_000 });
      return;
    } catch (error) {
      if (Date.now() > end) throw error;
    }
  }
}

/** A piece of text as the corners of its box on screen (rotated text: a rotated rectangle). */
interface Box {
  text: string;
  corners: [number, number][];
}

/** The text boxes of a chart's main SVG (Plot's legend swatches are separate, smaller SVGs). */
const textBoxes = (page: Page, name: string) =>
  page.locator(`[data-figure="${name}"]`).evaluate((el) => {
    const svgs = [...el.querySelectorAll("svg")].sort((a, b) => b.clientWidth * b.clientHeight - a.clientWidth * a.clientHeight);
    return [...(svgs[0]?.querySelectorAll("text") ?? [])]
      .filter((t) => t.textContent!.trim() !== "" && t.getAttribute("opacity") !== "0")
      .map((t) => {
        const b = t.getBBox();
        const m = t.getScreenCTM()!;
        const at = (x: number, y: number): [number, number] => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
        return { text: t.textContent!.trim(), corners: [at(b.x, b.y), at(b.x + b.width, b.y), at(b.x + b.width, b.y + b.height), at(b.x, b.y + b.height)] };
      });
  });

/**
 * How far two boxes overlap: the smallest overlap of their projections on the axes of both rectangles
 * (separating axis theorem, exact for rotated rectangles); ≤ 0 when they are apart.
 */
function penetration(a: Box, b: Box): number {
  let least = Infinity;
  for (const corners of [a.corners, b.corners]) {
    for (let i = 0; i < 2; i++) {
      const [x0, y0] = corners[i], [x1, y1] = corners[i + 1];
      const length = Math.hypot(x1 - x0, y1 - y0) || 1;
      const axis = [(x1 - x0) / length, (y1 - y0) / length];
      const project = (box: Box) => box.corners.map(([x, y]) => x * axis[0] + y * axis[1]);
      const pa = project(a), pb = project(b);
      least = Math.min(least, Math.min(Math.max(...pa), Math.max(...pb)) - Math.max(Math.min(...pa), Math.min(...pb)));
    }
  }
  return least;
}

/** Pairs of boxes overlapping by more than 1 px. */
function overlaps(boxes: Box[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const depth = penetration(boxes[i], boxes[j]);
      if (depth > 1) found.push(`"${boxes[i].text}" × "${boxes[j].text}" (${depth.toFixed(0)} px)`);
    }
  }
  return found;
}

describe("chart text at 390 and 1280 px", () => {
  for (const width of [390, 1280]) {
    it(`no overlapping text in any chart at ${width} px`, async () => {
      const problems: string[] = [];
      for (const path of PAGES) {
        const page = await site.browser.newPage({ viewport: { width, height: 900 } });
        const watch = await watchPage(page, site.server.url);
        await page.goto(`${site.server.url}/${path}`);
        for (const name of FIGURE_NAMES.filter((n) => FIGURES[n].page === path)) {
          await chartShown(page, name);
          const boxes = await textBoxes(page, name);
          expect(boxes.length, `${path}/${name}`).toBeGreaterThan(0);
          for (const o of overlaps(boxes)) problems.push(`${path}/${name} at ${width}px: ${o}`);
        }
        expectClean(watch);
        await page.close();
      }
      expect(problems).toEqual([]);
    }, 600_000);
  }
});
