// "Compress it yourself" in Chromium (SwiftShader's WebGPU): the page compresses kick-s with the settings in its URL
// and evaluates it, and the outcome must equal the sweep's own path run here in Node on the same settings — the
// checkpoint opened from data/models/kick-s, compressed by the sweep registry's method (calibration from
// data/corpus), evaluated on data/tasks — on Dawn's Vulkan adapter: per-layer sparsities equal, perplexity within
// 1e-4 relative (each window too), factoid answers identical, and the results rows' compression columns those of the
// sweep. The page fetches nothing from outside the site. A hand-edited URL shows the spec parser's own message; a
// browser without WebGPU is told what the page needs and still gets the stored curve.
// The calibrated methods (SparseGPT, GPTQ) are slower on SwiftShader: KICK_COMPRESS_YOURSELF_ALL=1
// (`npm run test:browser:compress-yourself`) adds them. Joint SparseGPT + GPTQ is not compared: there the two GPUs'
// last-bit differences move a few quantization near-ties (zeros per layer within 2e-4, reconstruction errors
// within 0.6% relative on 16 × 128 calibration tokens), beyond this test's tolerances.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRun, taskSpecs, type EvaluationSettings } from "../../loaders/browser/compress-and-evaluate.js";
import { evaluateTask } from "../../loaders/evaluate/index.js";
import type { ExampleOut } from "../../loaders/evaluate/common.js";
import { compressLoadedModel } from "../../loaders/compress/loaded-model.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { ModelTokenizer } from "../../loaders/model/tokenizer.js";
import { compressionMethod } from "../../loaders/sweep/compression.js";
import { PLAYGROUND_MODEL_DIR } from "../../src/data/playground-model.js";
import { expectClean, launchChromium, watchPage, type PageWatch } from "./chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";

/** Few items, so that a spec runs in about a minute on SwiftShader on a busy 2-core machine. */
const EVALUATION: EvaluationSettings = { perplexity: { limit: 2, seqLen: 512 }, factoid: { limit: 10 } };
const SMALL = "&ppl=2&factoid=10";

const FAST_SPECS = [
  { search: "?method=magnitude&pattern=unstructured&sparsity=0.5", entry: { method: "magnitude", pattern: "unstructured", sparsity: 0.5 } },
  { search: "?method=rtn&bits=4&group=128", entry: { method: "rtn", bits: 4, groupSize: 128 } },
];
const CALIBRATED_SPECS = [
  { search: "?method=sparsegpt&pattern=unstructured&sparsity=0.5&samples=16&seqlen=128", entry: { method: "sparsegpt", pattern: "unstructured", sparsity: 0.5, calibration: { samples: 16, seqLen: 128 } } },
  { search: "?method=gptq&bits=4&group=128&samples=16&seqlen=128", entry: { method: "gptq", bits: 4, groupSize: 128, calibration: { samples: 16, seqLen: 128 } } },
];
const SPECS = process.env.KICK_COMPRESS_YOURSELF_ALL === "1" ? [...FAST_SPECS, ...CALIBRATED_SPECS] : FAST_SPECS;

interface PageOutcome {
  entry: Record<string, unknown>;
  results: { task: string; subset: string; metric: string; value: number; n: number; ci_low: number | null; ci_high: number | null; method: string; pattern: string; sparsity: number; bits: number | null; group_size: number | null; calib_samples: number | null }[];
  examples: { task: string; examples: ExampleOut[] }[];
  layers: { name: string; sparsity: number; relError: number | null }[];
  seconds: Record<string, number>;
  device: string;
}

/**
 * The sweep's path in Node: open the checkpoint, compress as the registry's method does (compressLoadedModel is its
 * apply, which keeps no report), evaluate from data/tasks.
 */
async function sweepPath(entry: unknown, evaluation: EvaluationSettings) {
  const { entry: normalised, cspec } = parseRun(entry);
  const model = await GpuCausalLM.open(PLAYGROUND_MODEL_DIR, { maxTokens: 2048 });
  try {
    const { model: compressed, result } = await compressLoadedModel({ modelDir: PLAYGROUND_MODEL_DIR, spec: model.spec, model }, cspec);
    const tokenizer = ModelTokenizer.load(PLAYGROUND_MODEL_DIR);
    const tasks = [];
    for (const task of taskSpecs(evaluation)) tasks.push(await evaluateTask(task, { model: compressed, tokenizer, seed: 0 }));
    return { normalised, columns: compressionMethod(normalised).columns(normalised), layers: result.report, tasks };
  } finally {
    await model.dispose();
  }
}

let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  server = await serveStatic(`${process.cwd()}/dist`);
  browser = await launchChromium({ webgpu: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(search: string): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.newPage();
  const watch = await watchPage(page, server.url);
  await page.goto(`${server.url}/compress-yourself.html${search}`);
  await page.waitForSelector(".kick-compress-yourself[data-ready='true']", { timeout: 120_000 });
  return { page, watch };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("Compress it yourself", () => {
  for (const spec of SPECS) {
    it(`${spec.search}: the page's run equals the sweep's path in Node`, async () => {
      const { page, watch } = await openPage(`${spec.search}${SMALL}`);
      expect(await page.getAttribute(".kick-compress-yourself", "data-webgpu")).toBe("available");
      expect(await page.textContent(".kick-cy-spec-error")).toBe("");
      const started = Date.now();
      await page.click(".kick-cy-run");
      await page.waitForSelector(".kick-compress-yourself:is([data-state='done'], [data-state='failed'])", { timeout: 540_000 });
      const wall = (Date.now() - started) / 1000;
      expect(await page.textContent(".kick-cy-status")).toMatch(/^Done in /);
      const out = JSON.parse((await page.textContent(".kick-cy-run-json"))!) as PageOutcome;
      console.log(`[compress-yourself] ${spec.search}: ${wall.toFixed(1)} s in the page (${JSON.stringify(out.seconds)}) on ${out.device}`);

      const node = await sweepPath(spec.entry, EVALUATION);
      expect(out.entry).toEqual(node.normalised);
      for (const r of out.results) expect(Object.fromEntries(Object.keys(node.columns).map((k) => [k, (r as Record<string, unknown>)[k]]))).toEqual(node.columns);

      // the same zeros in every linear, the same reconstruction errors. Pruning masks are exact selections (equal
      // counts); a quantized weight is zero when its level lands on the zero point, which a last-bit difference
      // between the two GPUs' arithmetic could move for a near-tie
      expect(out.layers.map((l) => l.name)).toEqual(node.layers.map((l) => l.name));
      const quantized = "bits" in spec.entry;
      out.layers.forEach((l, i) => (quantized ? expect(Math.abs(l.sparsity - node.layers[i]!.sparsity)).toBeLessThan(1e-3) : expect(l.sparsity).toBe(node.layers[i]!.sparsity)));
      out.layers.forEach((l, i) => l.relError !== null && expect(relative(l.relError, node.layers[i]!.relError!)).toBeLessThan(1e-3));

      const [ppl, factoid] = node.tasks;
      const pageRow = (task: string, metric: string) => out.results.find((r) => r.task === task && r.subset === "all" && r.metric === metric)!;
      const nodePpl = ppl.results.find((r) => r.subset === "all" && r.metric === "perplexity")!;
      expect(relative(pageRow("perplexity", "perplexity").value, nodePpl.value)).toBeLessThan(1e-4);
      expect(pageRow("perplexity", "perplexity").n).toBe(nodePpl.n);
      const pageWindows = out.examples.find((e) => e.task === "perplexity")!.examples;
      expect(pageWindows.map((w) => w.example_id)).toEqual(ppl.examples.map((w) => w.example_id));
      pageWindows.forEach((w, i) => expect(relative(w.logprob!, ppl.examples[i]!.logprob!)).toBeLessThan(1e-4));

      const pageAnswers = out.examples.find((e) => e.task === "factoid_qa")!.examples;
      expect(pageAnswers.map((e) => [e.example_id, e.prediction, e.correct])).toEqual(factoid.examples.map((e) => [e.example_id, e.prediction, e.correct]));
      for (const r of factoid.results) {
        const p = pageRow("factoid_qa", r.metric);
        if (r.subset === "all") expect([p.value, p.n, p.ci_low, p.ci_high]).toEqual([r.value, r.n, r.ci_low, r.ci_high]);
      }
      expect(await page.locator(".kick-cy-compare tbody tr").count()).toBe(2);
      expect(await page.locator(".kick-cy-json").count()).toBe(1);
      expectClean(watch);
      await page.close();
    }, 600_000);
  }

  it("Cancel stops a run, keeps nothing and offers the run again", async () => {
    const { page, watch } = await openPage(`?method=magnitude&pattern=unstructured&sparsity=0.5${SMALL}`);
    await page.click(".kick-cy-run");
    await page.waitForSelector(".kick-compress-yourself[data-state='running']");
    await page.click(".kick-cy-cancel");
    await page.waitForSelector(".kick-compress-yourself[data-state='cancelled']", { timeout: 300_000 });
    expect(await page.textContent(".kick-cy-status")).toBe("Cancelled: nothing was kept. Run again when you like.");
    expect(await page.locator(".kick-cy-json, .kick-cy-run-json").count()).toBe(0);
    expect(await page.isDisabled(".kick-cy-run")).toBe(false);
    // nothing from outside, no error; the only failed request may be a download the cancel aborted
    expect([watch.outsideRequests, watch.errorResponses, watch.consoleErrors]).toEqual([[], [], []]);
    for (const url of watch.failedRequests) expect(url).toMatch(/\/_file\/data\/(kick-s|compress-yourself)\//);
    await page.close();
  }, 300_000);

  it("a hand-edited URL shows the spec parser's own message and offers no run", async () => {
    const { page, watch } = await openPage(`?method=rtn&pattern=2:4&bits=4&group=128${SMALL}`);
    let message = "";
    try {
      parseRun({ method: "rtn", pattern: "2:4", bits: 4, groupSize: 128 }, "URL");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("pattern");
    expect(await page.textContent(".kick-cy-spec-error")).toBe(message);
    expect(await page.isDisabled(".kick-cy-run")).toBe(true);
    // the controls offer RTN no pattern: the hand-edited value is shown as coming from the URL
    expect(await page.locator("select[name=pattern] option").allTextContents()).toEqual(["2:4 (from the URL)"]);
    expectClean(watch);
    await page.close();
  }, 300_000);

  it("without WebGPU the page says what it needs and offers no run", async () => {
    const plain = await launchChromium();
    try {
      const page = await plain.newPage();
      await page.addInitScript(() => Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined }));
      const watch = await watchPage(page, server.url);
      await page.goto(`${server.url}/compress-yourself.html?method=magnitude&sparsity=0.5${SMALL}`);
      await page.waitForSelector(".kick-compress-yourself[data-ready='true']", { timeout: 120_000 });
      expect(await page.getAttribute(".kick-compress-yourself", "data-webgpu")).toBe("missing");
      expect(await page.textContent(".kick-cy-gpu")).toMatch(/no WebGPU \(navigator\.gpu is missing\).*needs WebGPU.*stored results are shown below/);
      expect(await page.isDisabled(".kick-cy-run")).toBe(true);
      expectClean(watch);
      await page.close();
    } finally {
      await plain.close();
    }
  }, 300_000);
});
