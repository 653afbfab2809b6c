// kick study all the way to the site (npm run test:study:site; skipped in npm test, whose browser project already
// builds the whole site once: a second build costs 5-7 min on 2 cores). The tiny Llama fixture with an imported
// JSONL benchmark goes through the study into a built site in a temporary --out, which is served on 127.0.0.1:
// the explorer page, in Chromium, lists the model's runs, offline and without errors.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main as studyMain } from "../../loaders/cli/study.js";
import { main as tasksMain } from "../../loaders/cli/tasks.js";
import { expectClean, launchChromium, watchPage } from "../browser/chromium.js";
import { serveStatic } from "../browser/static-server.js";
import { captureCli } from "../sweep/capture-cli.js";

const FIX = resolve(fileURLToPath(new URL("../fixtures", import.meta.url)));

describe("kick study builds a site that shows the model (KICK_STUDY_SITE=1)", () => {
  it("the explorer of the built site lists the study's model and its runs", async (ctx) => {
    if (process.env.KICK_STUDY_SITE !== "1") ctx.skip("a second whole-site build (5–20 min on 2 cores): npm run test:study:site runs it");
    const dir = mkdtempSync(join(tmpdir(), "kick-study-site-"));
    const tasks = join(dir, "tasks");
    const imported = await captureCli(() => tasksMain(["import", "--format", "jsonl", "--task", "mcq", join(FIX, "tasks-import/jsonl/arc-like.jsonl"), "--out", tasks]));
    expect(imported.code, imported.err).toBe(0);
    const site = join(dir, "site");
    const args = ["--model", join(FIX, "models/llama"), "--name", "my-llama", "--plan", join(FIX, "study/tiny-study.json"), "--tasks-dir", tasks];
    const study = await captureCli(() => studyMain([...args, "--store", join(dir, "store"), "--out", site]));
    expect(study.code, study.err).toBe(0);
    expect(study.err).toContain(`site written to ${site}`);

    const server = await serveStatic(site);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const watch = await watchPage(page, server.url);
      await page.goto(`${server.url}/explorer.html`);
      await page.locator(".kick-explorer-table table").waitFor({ timeout: 120_000 });
      expect(await page.locator(".kick-explorer-table").innerText()).toContain("my-llama");
      // the explorer's filters offer what the store holds: the model, the plan's methods and tasks
      const options = async (i: number) => page.locator('[data-controls="explorer"] select').nth(i).locator("option").allInnerTexts();
      expect(await options(0)).toEqual(["(all models)", "my-llama"]);
      expect(await options(1)).toEqual(["(all methods)", "dense", "magnitude", "rtn"]);
      expect(await options(3)).toEqual(["(all tasks)", "Factoid QA (closed book)", "Multiple choice (MMLU-style)", "Perplexity"]);
      expectClean(watch);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
