// An embed on someone else's page: the module is imported from the site (one origin) into a host
// page (another origin, a second port), loads DuckDB-WASM, its worker and the results from the site,
// and returns the chart with its attribution caption. It works when the site sends
// `Access-Control-Allow-Origin` (docs/report.md § Embedding a chart), and fails without it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIGURES } from "../../src/components/report-figures.js";
import { launchChromium } from "./chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const NAME = "bits-vs-score";
let site: StaticServer;
let siteWithoutCors: StaticServer;
let host: StaticServer;
let hostDir: string;
let browser: Browser;

beforeAll(async () => {
  site = await serveStatic(`${process.cwd()}/dist`, { "access-control-allow-origin": "*" });
  siteWithoutCors = await serveStatic(`${process.cwd()}/dist`);
  hostDir = await mkdtemp(join(tmpdir(), "kick-embed-host-"));
  await writeFile(join(hostDir, "index.html"), `<!doctype html><meta charset="utf-8"><title>host</title><main id="chart"></main>`);
  host = await serveStatic(hostDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const server of [site, siteWithoutCors, host]) await server?.close();
  if (hostDir) await rm(hostDir, { recursive: true, force: true });
});

/** The host page, with every request that is neither the host's nor `siteUrl`'s aborted and recorded. */
async function hostPage(siteUrl: string): Promise<{ page: Page; errors: string[]; outside: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const outside: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if ([host.url, siteUrl].some((o) => url.startsWith(o)) || /^(blob|data):/.test(url)) return route.continue();
    outside.push(url);
    return route.abort("internetdisconnected");
  });
  await page.goto(`${host.url}/`);
  return { page, errors, outside };
}

/** Imports the embed module from `siteUrl` in the host page and appends the chart it returns. */
const embed = (page: Page, siteUrl: string) =>
  // A string, so vitest does not rewrite the page's dynamic import().
  page.evaluate(`(async () => {
    const module = await import(${JSON.stringify(`${siteUrl}/embed/${NAME}.js`)});
    const node = await module.chart({width: 480});
    document.querySelector("#chart").append(node);
    const caption = node.querySelector("figcaption");
    return {marks: node.querySelectorAll("svg circle, svg path").length, caption: caption?.textContent ?? null,
      href: caption?.querySelector("a")?.href ?? null, notice: node.classList.contains("kick-store-error") ? node.textContent : null};
  })()`) as Promise<{ marks: number; caption: string | null; href: string | null; notice: string | null }>;

describe("embedding a chart on another origin", () => {
  it("works where the site sends Access-Control-Allow-Origin, and carries the figure's title, source and a link to the view", async () => {
    expect(new URL(host.url).origin).not.toBe(new URL(site.url).origin);
    const { page, errors, outside } = await hostPage(site.url);
    const result = await embed(page, site.url);
    expect(result.notice).toBeNull();
    expect(result.marks).toBeGreaterThan(0);
    expect(result.caption).toContain(FIGURES[NAME].title);
    expect(result.caption).toContain(`Source: kick, ${site.url}/`);
    expect(result.caption).toMatch(/results sha256 [0-9a-f]{12}/);
    expect(result.href).toMatch(new RegExp(`^${site.url}/${FIGURES[NAME].page}\\?${NAME}\\.`));
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });

  it("fails without that header (the browser refuses the cross-origin module)", async () => {
    const { page } = await hostPage(siteWithoutCors.url);
    await expect(embed(page, siteWithoutCors.url)).rejects.toThrow(/Failed to fetch dynamically imported module|CORS|import/i);
    await page.close();
  });
});
