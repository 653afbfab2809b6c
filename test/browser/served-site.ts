// The usual set-up of a browser test file: dist/ served on 127.0.0.1 and Chromium launched before
// its tests, both closed after them. Read `site.server` and `site.browser` inside tests.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { launchChromium } from "./chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";

export function servedSite(): { server: StaticServer; browser: Browser } {
  const site = {} as { server: StaticServer; browser: Browser };
  beforeAll(async () => {
    site.server = await serveStatic(`${process.cwd()}/dist`);
    site.browser = await launchChromium();
  });
  afterAll(async () => {
    await site.browser?.close();
    await site.server?.close();
  });
  return site;
}
