// Launches Debian's Chromium through playwright-core (Playwright's own browser download cannot
// work here), with the flags that keep it from calling Google's services on a closed network.
import { chromium, type Browser, type Page, type Request, type Response } from "playwright-core";
import { existsSync } from "node:fs";
import { expect } from "vitest";

export const CHROMIUM_PATH = process.env.KICK_CHROMIUM ?? "/usr/bin/chromium";

/** Flags that give headless Chromium a WebGPU adapter without a GPU (its built-in SwiftShader). */
export const WEBGPU_FLAGS = ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--disable-vulkan-surface", "--ignore-gpu-blocklist"];

export async function launchChromium({ webgpu = false } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run \`npm run setup\` (installs Debian's chromium) or set KICK_CHROMIUM`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      ...(webgpu ? WEBGPU_FLAGS : []),
    ],
  });
}

export interface PageWatch {
  consoleErrors: string[];
  /** Requests to anywhere but the site's own origin; each is aborted, as on a cut network. */
  outsideRequests: string[];
  failedRequests: string[];
  /** "404 URL" for every answer of the site with an HTTP error: a request the site itself cannot answer. */
  errorResponses: string[];
}

/** Records console errors and blocks (and records) every request that leaves `origin`. */
export async function watchPage(page: Page, origin: string): Promise<PageWatch> {
  const watch: PageWatch = { consoleErrors: [], outsideRequests: [], failedRequests: [], errorResponses: [] };
  page.on("console", (message) => {
    if (message.type() === "error") watch.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => watch.consoleErrors.push(`pageerror: ${error.message}`));
  page.on("requestfailed", (request: Request) => {
    if (request.url().startsWith(origin)) watch.failedRequests.push(request.url());
  });
  page.on("response", (response: Response) => {
    if (response.url().startsWith(origin) && response.status() >= 400) watch.errorResponses.push(`${response.status()} ${response.url()}`);
  });
  await page.context().route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("blob:") || url.startsWith("data:")) return route.continue();
    watch.outsideRequests.push(url);
    return route.abort("internetdisconnected");
  });
  return watch;
}

/** The page stayed on the site, the site answered every request, and nothing logged an error. */
export function expectClean(watch: PageWatch): void {
  expect(watch.outsideRequests).toEqual([]);
  expect(watch.errorResponses).toEqual([]);
  expect(watch.failedRequests).toEqual([]);
  expect(watch.consoleErrors).toEqual([]);
}
