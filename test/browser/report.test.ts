// The report pages in Debian's Chromium, on the site built from the synthetic fixture store
// (global-setup.ts): each renders its charts from SQL, its controls change the SQL and the chart,
// its figure files are valid SVG/PNG, nothing logs an error or leaves the site; a store lacking a
// column or absent altogether gives a notice, not a blank chart. Screenshots at phone and desktop
// widths go to /tmp/kick-shots/.
import { mkdir, readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIGURE_NAMES, FIGURES } from "../../src/components/report-figures.js";
import { pageHref } from "../../src/components/page-href.js";
import { expectClean as clean, launchChromium, watchPage, type PageWatch } from "./chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";
import { withoutAnswers } from "./without-answers.js";

let server: StaticServer;
let browser: Browser;
const SHOTS = "/tmp/kick-shots";

beforeAll(async () => {
  server = await serveStatic(`${process.cwd()}/dist`);
  browser = await launchChromium();
  await mkdir(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const PAGES = [...new Set(FIGURE_NAMES.map((n) => FIGURES[n].page))];

async function open(path: string, width = 1280): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const watch = await watchPage(page, server.url);
  await page.goto(`${server.url}/${path}`);
  return { page, watch };
}

/**
 * Content below the fold loads when scrolled to (Framework's visibility()). Scroll to `container` until
 * `selector` shows, as a reader would: content rendering above it can push it out of view again.
 */
async function scrollUntilShown(page: Page, container: string, selector: string, timeout = 60_000): Promise<void> {
  const end = Date.now() + timeout;
  for (;;) {
    await page.locator(container).first().scrollIntoViewIfNeeded();
    try {
      await page.locator(selector).first().waitFor({ timeout: 2_000 });
      return;
    } catch (error) {
      if (Date.now() > end) throw error;
    }
  }
}

const chartShown = (page: Page, name: string) => scrollUntilShown(page, `[data-figure="${name}"]`, `[data-figure="${name}"] svg`);

const sqlText = (page: Page, name: string) => page.locator(`[data-figure-sql="${name}"] code`).textContent();
const chartHtml = (page: Page, name: string) => page.locator(`[data-figure="${name}"]`).innerHTML();

describe("report pages", () => {
  it("lists every figure in observablehq.config.ts (dynamicPaths)", async () => {
    const config = await readFile("observablehq.config.ts", "utf8");
    for (const name of FIGURE_NAMES) expect(config).toContain(`"${name}"`);
  });

  for (const path of PAGES) {
    it(`${path}: charts from SQL, controls change the SQL and the chart, valid figure files, offline`, async () => {
      const { page, watch } = await open(path);
      const names = FIGURE_NAMES.filter((n) => FIGURES[n].page === path);
      await expect(page.locator(".kick-fixture-banner").first().waitFor({ timeout: 60_000 })).resolves.toBeUndefined();
      for (const name of names) {
        await chartShown(page, name);
        // Marks were drawn from rows (not the empty-selection frame).
        expect(Number((await page.locator(`[data-figure-sql="${name}"] summary`).textContent())?.match(/\((\d+) rows\)/)?.[1])).toBeGreaterThan(0);
        const sqlBefore = await sqlText(page, name);
        const chartBefore = await chartHtml(page, name);
        const selects = page.locator(`[data-controls="${name}"] select:not([disabled])`);
        expect(await selects.count()).toBeGreaterThan(0);
        const select = selects.first();
        const current = await select.inputValue();
        await select.selectOption(current === "0" ? "1" : "0");
        await page.waitForFunction(
          ([n, sql]) => document.querySelector(`[data-figure-sql="${n}"] code`)?.textContent !== sql,
          [name, sqlBefore] as const,
          { timeout: 30_000 },
        );
        await page.waitForFunction(([n, html]) => document.querySelector(`[data-figure="${n}"]`)?.innerHTML !== html, [name, chartBefore] as const, { timeout: 30_000 });
        expect(await sqlText(page, name)).not.toBe(sqlBefore);
        // Figure files at their stable URLs.
        const svg = await page.request.get(`${server.url}/figures/report-${name}.svg`);
        expect(svg.status()).toBe(200);
        const svgText = await svg.text();
        expect(svgText.startsWith("<?xml")).toBe(true);
        expect(svgText).toMatch(/<svg[^>]+width="\d+"[^>]+height="\d+"/);
        expect(svgText).not.toContain("No rows for this selection");
        const png = await page.request.get(`${server.url}/figures/report-${name}.png`);
        expect((await png.body()).subarray(0, 4).toString("latin1")).toBe("\x89PNG");
        expect((await page.request.get(`${server.url}/embed/${name}.js`)).status()).toBe(200);
      }
      clean(watch);
      await page.close();
    });
  }

  it("download links give valid SVG and PNG files, and the current view as SVG", async () => {
    const { page, watch } = await open("perplexity");
    await chartShown(page, "perplexity-gap");
    // the default view's files, then this view's (what they hold: report-downloads.test.ts)
    const links = ['a[href$="figures/report-perplexity-gap.svg"]', 'a[href$="figures/report-perplexity-gap.png"]', '.kick-download[data-format="svg"]'];
    for (const [i, signature, file] of [[0, "<?xml", "report-perplexity-gap.svg"], [1, "\x89PNG", "report-perplexity-gap.png"], [2, "<?xml", "report-perplexity-gap-view.svg"]] as const) {
      const [download] = await Promise.all([page.waitForEvent("download"), page.locator(links[i]).first().click()]);
      const bytes = await readFile((await download.path())!);
      expect(bytes.subarray(0, signature.length).toString("latin1")).toBe(signature);
      expect(download.suggestedFilename()).toBe(file);
    }
    clean(watch);
    await page.close();
  });

  it("overview: findings as sentences computed by SQL, each linking to its page", async () => {
    const { page, watch } = await open("overview");
    const items = page.locator(".kick-findings li");
    await items.first().waitFor({ timeout: 60_000 });
    expect(await items.count()).toBe(10);
    const text = await page.locator(".kick-findings").innerText();
    expect(text).not.toMatch(/Not in the store yet|Could not compute/);
    expect(text).toMatch(/perplexity (rises|shows no clear rise) by \d+%/);
    expect(text).toMatch(/scored by the answer letter reaches \d+%.*scored by the answer text \d+%; at sparsegpt 50% the text score falls to \d+%/);
    expect(await page.locator(".kick-findings strong").count()).toBeGreaterThan(10);
    const hrefs = await page.locator(".kick-findings a").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).getAttribute("href")));
    expect(hrefs).toEqual(expect.arrayContaining(PAGES.map((p) => pageHref(p))));
    clean(watch);
    await page.close();
  });

  it("explorer: filters change the aggregate SQL and table; a run's predictions drill down", async () => {
    const { page, watch } = await open("explorer");
    await page.locator(".kick-explorer-table table").waitFor({ timeout: 60_000 });
    const before = await sqlText(page, "explorer");
    const tableBefore = await page.locator(".kick-explorer-table").innerText();
    await page.locator('[data-controls="explorer"] select').first().selectOption({ label: "fixture-s" });
    await page.waitForFunction((sql) => document.querySelector('[data-figure-sql="explorer"] code')?.textContent !== sql, before);
    expect(await sqlText(page, "explorer")).toContain("model = 'fixture-s'");
    await page.waitForFunction((t) => (document.querySelector(".kick-explorer-table") as HTMLElement)?.innerText !== t, tableBefore);
    await scrollUntilShown(page, ".kick-examples", ".kick-examples table");
    expect(await page.locator(".kick-examples").innerText()).toMatch(/example_id/);
    expect(await page.locator(".kick-provenance").innerText()).toContain("fixture-s");
    clean(watch);
    await page.close();
  });

  it("lazy below the fold: a chart's SQL runs once it is scrolled to; the examples table is read a run at a time by range requests", async () => {
    // A short viewport puts the second chart of the page well below the fold.
    const page = await browser.newPage({ viewport: { width: 1280, height: 500 } });
    const watch = await watchPage(page, server.url);
    await page.goto(`${server.url}/calibration`);
    // the store is open (banner) and the page has settled, without scrolling: the k-shot chart is far below
    await page.locator(".kick-fixture-banner").first().waitFor({ timeout: 60_000 });
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(500);
    expect(await page.locator('[data-controls="k-shot"] select').count()).toBe(0);
    expect(await page.locator('[data-figure="k-shot"] svg').count()).toBe(0);
    await chartShown(page, "k-shot");
    expect(await page.locator('[data-controls="k-shot"] select').count()).toBeGreaterThan(0);
    clean(watch);
    await page.close();

    const examplesFile = (path: string) => /\/_file\/data\/examples\.[^/]*parquet/.test(path);
    const explorer = await browser.newPage({ viewport: { width: 1280, height: 500 } });
    const explorerWatch = await watchPage(explorer, server.url);
    const before = server.requests.length;
    await explorer.goto(`${server.url}/explorer`);
    await explorer.locator(".kick-explorer-table table").waitFor({ timeout: 60_000 });
    await explorer.waitForLoadState("networkidle");
    await explorer.waitForTimeout(500);
    // Only the footer so far: schema and row-group statistics.
    const opened = server.requests.slice(before).filter((r) => examplesFile(r.path));
    expect(opened.length).toBeGreaterThan(0);
    expect(await explorer.locator(".kick-examples table").count()).toBe(0);
    await scrollUntilShown(explorer, ".kick-examples", ".kick-examples table");
    expect(await explorer.locator(".kick-examples").innerText()).toMatch(/example_id/);
    const reads = server.requests.slice(before).filter((r) => examplesFile(r.path));
    // Never the whole file: its tail (footer and size; the fixture's whole table fits in it), then byte ranges.
    // That only one run's row groups are fetched from a large file: test/site/parquet-roundtrip.test.ts.
    for (const r of reads) expect(r.status === 206 && /^bytes=(\d+-\d+|-\d+)$/.test(r.range ?? ""), JSON.stringify(r)).toBe(true);
    clean(explorerWatch);
    await explorer.close();
  });

  it("methods: the plan and the provenance of every run", async () => {
    const { page, watch } = await open("methods");
    await page.locator(".kick-provenance-table table").waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector("main")?.textContent?.includes("fixture-m"), undefined, { timeout: 30_000 });
    const text = await page.locator("main").innerText();
    expect(text).toContain("npm run kick -- sweep --plan");
    expect(text).toMatch(/fixture-m/);
    clean(watch);
    await page.close();
  });

  it("soft prompts: the page says so when the store has no soft-prompt runs", async () => {
    const page = await browser.newPage();
    const watch = await watchPage(page, server.url);
    const noSoft = await readFile("test/fixtures/results-no-soft-prompts/results.parquet");
    await page.route("**/_file/data/results.*.parquet", (route) => route.fulfill({ status: 200, body: noSoft, contentType: "application/vnd.apache.parquet" }));
    await withoutAnswers(page);
    await page.goto(`${server.url}/soft-prompts`);
    for (const name of ["soft-prompt-recovery", "soft-prompt-transfer"]) {
      await chartShown(page, name);
      expect(await page.locator(`[data-figure="${name}"]`).innerText()).toContain("No soft-prompt runs in the results store yet");
    }
    clean(watch);
    await page.close();
  });

  it("an embed module returns the chart", async () => {
    const { page, watch } = await open("overview");
    await page.locator(".kick-findings li").first().waitFor({ timeout: 60_000 });
    // A string, so vitest does not rewrite the page's dynamic import().
    const tag = await page.evaluate(`(async () => {
      const module = await import(${JSON.stringify(`${server.url}/embed/bits-vs-score.js`)});
      const node = await module.chart({width: 480, params: {task: "mcq"}});
      document.body.append(node);
      return node.tagName + ":" + node.querySelectorAll("circle, path").length;
    })()`);
    expect(tag).toMatch(/^(svg|FIGURE):[1-9]/);
    clean(watch);
    await page.close();
  });

  it("a store lacking a column shows what is missing and how to produce it", async () => {
    const page = await browser.newPage();
    await watchPage(page, server.url);
    const broken = await readFile("test/fixtures/results-missing-column/results.parquet");
    await page.route("**/_file/data/results.*.parquet", (route) => route.fulfill({ status: 200, body: broken, contentType: "application/vnd.apache.parquet" }));
    await withoutAnswers(page);
    await page.goto(`${server.url}/perplexity`);
    const notice = page.locator(".kick-store-error");
    await notice.waitFor({ timeout: 60_000 });
    expect(await notice.innerText()).toMatch(/lacks column\(s\) ci_high.*npm run kick -- sweep --plan/s);
    expect(await page.locator(".kick-chart svg").count()).toBe(0);
    await page.close();
  });

  it("an absent store shows how to produce it, not a blank chart", async () => {
    const page = await browser.newPage();
    await watchPage(page, server.url);
    await page.route("**/_file/data/store.*.json", async (route) => {
      const status = await (await route.fetch()).json();
      status.fixture = false;
      for (const table of Object.values(status.tables) as { present: boolean; rows: number }[]) Object.assign(table, { present: false, rows: 0 });
      await route.fulfill({ status: 200, body: JSON.stringify(status), contentType: "application/json" });
    });
    for (const path of ["overview", "quantization-vs-pruning", "explorer"]) {
      await page.goto(`${server.url}/${path}`);
      const notice = page.locator(".kick-store-error");
      await notice.waitFor({ timeout: 60_000 });
      expect(await notice.innerText()).toMatch(/No results yet.*npm run kick -- sweep --plan PLAN\.json --export data\/results/s);
      expect(await page.locator(".kick-chart svg").count()).toBe(0);
    }
    await page.close();
  });

  it("screenshots at phone (390 px) and desktop (1280 px) widths, no horizontal overflow", async () => {
    for (const path of ["overview", ...PAGES, "explorer", "methods"]) {
      for (const width of [390, 1280]) {
        const { page, watch } = await open(path, width);
        await page.locator(".kick-fixture-banner").first().waitFor({ timeout: 60_000 });
        // [container to scroll to (lazy below the fold), what shows it has loaded]
        const ready: [string, string][] = path === "overview" ? [[".kick-findings", ".kick-findings li"], ['[data-figure="overview-perplexity-gap"]', '[data-figure="overview-perplexity-gap"] svg']]
          : path === "explorer" ? [[".kick-examples", ".kick-examples table"]]
          : path === "methods" ? [[".kick-provenance-table", ".kick-provenance-table table"]]
          : FIGURE_NAMES.filter((n) => FIGURES[n].page === path).map((n) => [`[data-figure="${n}"]`, `[data-figure="${n}"] svg`]);
        for (const [container, selector] of ready) await scrollUntilShown(page, container, selector);
        await page.waitForLoadState("networkidle");
        await page.waitForTimeout(300);
        await page.screenshot({ path: `${SHOTS}/${path}-${width}.png`, fullPage: true });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${path} at ${width}px overflows by ${overflow}px`).toBeLessThanOrEqual(1);
        clean(watch);
        await page.close();
      }
    }
  });
});
