// Pages draw their first view from the answers the build computed (/data/first-view/<page>.json,
// src/components/page-answers.ts), without DuckDB-WASM: on every page with an answers file, scrolled
// to the end, no SQL statement went to DuckDB and (but on the explorer, which starts it for its filters)
// its .wasm was never fetched. The answers are right:
// DuckDB-WASM itself, asked every answered statement afterwards, gives the same rows (an independent
// engine from the node DuckDB that wrote the files, over the Parquet the page loads). An address with a
// value the store lacks is named and falls back to the default view, answered the same way. A control
// changed then starts DuckDB-WASM once and the chart follows.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { FIRST_VIEWS } from "../../src/components/first-view.js";
import { decodeValue } from "../../src/components/answers-file.js";
import type { Checked } from "../../src/components/page-answers.js";
import { expectClean, watchPage } from "./chromium.js";
import { servedSite } from "./served-site.js";

const site = servedSite();
const wasmFetched = () => site.server.requests.some((r) => r.path.includes("duckdb") && r.path.endsWith(".wasm"));
const asked = (page: Page) => page.evaluate(() => (globalThis as unknown as { kickAnswerStats: { asked: string[] } }).kickAnswerStats.asked);

/** The page's content loads as it scrolls into view (Framework's visibility()): scroll to the end until nothing more appears. */
async function scrollToEnd(page: Page): Promise<void> {
  let height = 0;
  for (let i = 0; i < 30; i++) {
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(500);
    const now = await page.evaluate(() => document.body.scrollHeight);
    if (now === height) return;
    height = now;
  }
}

/** Rows as a canonical list: numbers to 12 significant digits (the engines may sum in another order), rows sorted. */
function canonical(json: string): string[] {
  const rows = JSON.parse(json, decodeValue) as Record<string, unknown>[];
  return rows.map((row) => JSON.stringify(Object.entries(row).map(([k, v]) => [k, typeof v === "number" && Number.isFinite(v) ? Number(v.toPrecision(12)) : v]))).sort();
}

/** What a page shows first; the explorer's per-example table needs DuckDB (the examples table is read a run at a time), so it stops at its aggregate table. */
const FIRST: Record<string, string> = { index: ".kick-chart svg", overview: ".kick-findings li", ledger: ".kick-ledger tbody tr", explorer: ".kick-explorer-table table" };

describe("first view without DuckDB-WASM", () => {
  for (const path of Object.keys(FIRST_VIEWS)) {
    it(`${path}: drawn from the build's answers, which equal DuckDB-WASM's own`, async () => {
      const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
      const watch = await watchPage(page, site.server.url);
      site.server.requests.length = 0;
      await page.goto(`${site.server.url}/${path === "index" ? "" : path}`);
      await page.locator(FIRST[path] ?? ".kick-chart svg").first().waitFor({ timeout: 120_000 });
      if (path !== "explorer") await scrollToEnd(page);
      else await page.waitForLoadState("networkidle");
      expect(await asked(page)).toEqual([]);
      // The explorer starts DuckDB-WASM as it opens, for its filters; every other page never fetches it.
      if (path !== "explorer") expect(wasmFetched()).toBe(false);

      const checked = await page.evaluate(() => (globalThis as unknown as { kickAnswerStats: { check: () => Promise<Checked[]> } }).kickAnswerStats.check());
      expect(checked.length).toBeGreaterThan(0);
      expect(wasmFetched()).toBe(true);
      for (const { sql, answered, live } of checked) expect(canonical(answered), sql).toEqual(canonical(live));
      expectClean(watch);
      await page.close();
    }, 300_000);
  }

  it("an address asking for a value the store lacks: the page names it and shows the default view, still from the answers", async () => {
    const sqlOf = async (search: string) => {
      const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
      const watch = await watchPage(page, site.server.url);
      await page.goto(`${site.server.url}/quantization-vs-pruning${search}`);
      const sql = page.locator('[data-figure-sql="bits-vs-score"] code');
      await sql.waitFor({ state: "attached", timeout: 120_000 });
      const warning = page.locator('[data-controls="bits-vs-score"] .kick-url-error');
      const result = { sql: await sql.textContent(), warning: (await warning.count()) ? await warning.textContent() : null, asked: await asked(page) };
      expectClean(watch);
      await page.close();
      return result;
    };
    const plain = await sqlOf("");
    const bad = await sqlOf("?bits-vs-score.metric=no-such-metric");
    expect(plain.warning).toBeNull();
    expect(bad.warning).toContain('bits-vs-score.metric="no-such-metric" is not an option of Metric here');
    expect(bad.sql).toBe(plain.sql);
    expect(bad.asked).toEqual([]);
  }, 300_000);

  it("a control changed starts DuckDB-WASM once, and the chart follows", async () => {
    const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const watch = await watchPage(page, site.server.url);
    site.server.requests.length = 0;
    await page.goto(`${site.server.url}/quantization-vs-pruning`);
    const sql = page.locator('[data-figure-sql="bits-vs-score"] code');
    await sql.waitFor({ state: "attached", timeout: 120_000 });
    const before = await sql.textContent();
    const select = page.locator('[data-controls="bits-vs-score"] select[name="task"]');
    await select.selectOption({ index: (await select.locator("option").count()) - 1 });
    await page.waitForFunction((s) => document.querySelector('[data-figure-sql="bits-vs-score"] code')?.textContent !== s, before, { timeout: 120_000 });
    expect((await asked(page)).length).toBeGreaterThan(0);
    expect(site.server.requests.filter((r) => r.path.includes("duckdb") && r.path.endsWith(".wasm")).length).toBe(1);
    expectClean(watch);
    await page.close();
  }, 300_000);
});
