// "Compress it yourself": the reader picks a compression spec, the page compresses kick-s on the reader's GPU with
// the loaders' own modules (bundled as data/compress-yourself/runtime.js from loaders/browser/), evaluates held-out
// perplexity and factoid QA, and draws the run over the stored sweep's curve. Plain DOM, as the playground.
import { csvBlob, saveBlob } from "./figure-download.js";
import type { QueryRow } from "./duckdb.js";
import { curveChart, publishedRunSql, storedCurve, type ResultColumns, PAGE_METRICS } from "./compress-yourself-chart.js";
import {
  BITS, CALIBRATION_SAMPLES, CALIBRATION_SEQ_LENS, FACTOID_ITEMS, METHOD_OFFERS, PAGE_METHODS, PERPLEXITY_ITEMS, SPARSITIES,
  type PageMethod, type PageSettings, searchOfSettings, settingsFromSearch, withControl,
} from "./compress-yourself-settings.js";

type Phase = "load" | "compress" | "perplexity" | "factoid_qa";
type Row = Record<string, unknown> & { task: string; subset: string; metric: string; value: number; ci_low: number | null; ci_high: number | null; n: number };

/** What the page uses of the bundled runtime (loaders/browser/compress-and-evaluate.ts). */
interface Runtime {
  parseRun(entry: unknown, where?: string): { entry: Record<string, unknown> };
  compressAndEvaluate(entry: unknown, evaluation: PageSettings["evaluation"], o: {
    model: unknown; site: unknown; modelName: string; signal?: AbortSignal; onProgress?: (p: { phase: Phase; done: number; total: number }) => void;
  }): Promise<{ entry: Record<string, unknown>; results: Row[]; examples: { task: string; examples: unknown[] }[]; seconds: Record<Phase, number>; device: string; layers: unknown[] }>;
  fetchFileStore(urls: Record<string, string>, o?: { signal?: AbortSignal; onBytes?: (name: string, loaded: number, total: number | null) => void }): unknown;
  compressionColumns(entry: Record<string, unknown>): ResultColumns;
}

export interface CompressYourselfOptions {
  /** URL of the bundled runtime (FileAttachment("data/compress-yourself/runtime.js").href) */
  runtime: string;
  modelName: string;
  /** checkpoint file name → URL */
  modelFiles: Record<string, string>;
  /** perplexity.jsonl, factoid_qa.jsonl, calibration.txt → URL */
  siteFiles: Record<string, string>;
  /** the results store (null when it could not be opened: the page then says so) */
  query: ((sql: string) => Promise<QueryRow[]>) | null;
}

const PHASES: { phase: Phase; label: string }[] = [
  { phase: "load", label: "Download kick-s and upload it to the GPU" },
  { phase: "compress", label: "Calibrate and compress, layer by layer" },
  { phase: "perplexity", label: "Held-out perplexity" },
  { phase: "factoid_qa", label: "Factoid QA" },
];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

const seconds = (s: number) => (s < 90 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`);
const fmt = (x: number | null, digits = 3) => (x === null || !Number.isFinite(x) ? "–" : x.toFixed(digits));
const absolute = (href: string) => new URL(href, document.baseURI).href;
const absoluteAll = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [k, absolute(v)]));

/** Why this browser cannot run the page's compression, or null when it has a WebGPU adapter. */
export async function webGpuMissing(): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return "This browser has no WebGPU (navigator.gpu is missing).";
  try {
    if (!(await gpu.requestAdapter())) return "This browser has WebGPU but gave no GPU adapter (blocklisted GPU or driver, or WebGPU switched off).";
  } catch (e) {
    return `WebGPU failed to give an adapter (${(e as Error).message}).`;
  }
  return null;
}

export function compressYourself(opts: CompressYourselfOptions): HTMLElement {
  const root = el("div", { className: "kick-compress-yourself" });
  const gpuNote = el("p", { className: "kick-cy-gpu" }, "Checking for WebGPU…");
  const form = el("form", { className: "kick-cy-controls" });
  form.style.cssText = "display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; max-width: 900px";
  const specError = el("pre", { className: "kick-cy-spec-error", hidden: true });
  const run = el("button", { type: "button", className: "kick-cy-run", disabled: true }, "Compress and evaluate");
  const cancel = el("button", { type: "button", className: "kick-cy-cancel", disabled: true }, "Cancel");
  const progress = el("div", { className: "kick-cy-progress" });
  const status = el("p", { className: "kick-cy-status" });
  const compare = el("div", { className: "kick-cy-compare" });
  const chart = el("div", { className: "kick-cy-curve" });
  const downloads = el("p", { className: "kick-cy-downloads" });
  const record = el("details", { className: "kick-cy-record" });
  root.append(gpuNote, form, specError, el("p", {}, run, " ", cancel), progress, status, compare, chart, downloads, record);
  root.dataset.state = "idle";

  let settings = settingsFromSearch(location.search);
  let runtime: Runtime | null = null;
  let gpuProblem: string | null = "checking";
  let controller: AbortController | null = null;
  let last: Awaited<ReturnType<Runtime["compressAndEvaluate"]>> | null = null;
  const runtimeReady = import(/* @vite-ignore */ absolute(opts.runtime)) as Promise<Runtime>;

  const select = (key: string, label: string, options: (string | number)[], current: unknown, text: (o: string | number) => string = String) => {
    const s = el("select", { name: key });
    for (const o of options) s.append(el("option", { value: String(o), selected: String(o) === String(current) }, text(o)));
    // a hand-edited value the controls do not offer stays selected, so the parser's message matches what is shown
    if (!options.map(String).includes(String(current))) s.append(el("option", { value: String(current), selected: true }, `${String(current)} (from the URL)`));
    s.addEventListener("change", () => update(withControl(settings, key, s.value)));
    return el("label", {}, `${label} `, s);
  };

  function renderControls() {
    const e = settings.entry;
    const method = String(e.method);
    const offer = (PAGE_METHODS as readonly string[]).includes(method) ? METHOD_OFFERS[method as PageMethod] : null;
    form.replaceChildren(select("method", "Method", [...PAGE_METHODS], method, (m) => METHOD_OFFERS[m as PageMethod].label));
    if (offer?.patterns.length || e.pattern !== undefined) form.append(select("pattern", "Pattern", offer?.patterns ?? [], e.pattern ?? "unstructured"));
    if (e.sparsity !== undefined) form.append(select("sparsity", "Sparsity", SPARSITIES, e.sparsity, (x) => `${Math.round(Number(x) * 100)}%`));
    if (e.bits !== undefined) form.append(select("bits", "Bits", BITS, e.bits));
    if (e.groupSize !== undefined) form.append(select("group", "Group size", offer?.groups ?? [], e.groupSize, (g) => (Number(g) === -1 ? "per row" : String(g))));
    const c = e.calibration as { samples: unknown; seqLen: unknown } | undefined;
    if (c) {
      form.append(select("samples", "Calibration windows", CALIBRATION_SAMPLES, c.samples));
      form.append(select("seqlen", "of tokens", CALIBRATION_SEQ_LENS, c.seqLen));
    }
    form.append(
      select("ppl", "Perplexity documents", PERPLEXITY_ITEMS, settings.evaluation.perplexity.limit),
      select("factoid", "Factoid questions", FACTOID_ITEMS, settings.evaluation.factoid.limit),
    );
  }

  /** Validates the settings with the spec parser; null when they are fine. */
  function specProblem(): string | null {
    if (!runtime) return null;
    try {
      runtime.parseRun(settings.entry, "URL");
    } catch (e) {
      return (e as Error).message;
    }
    const { perplexity, factoid } = settings.evaluation;
    for (const [name, v] of [["ppl", perplexity.limit], ["factoid", factoid.limit]] as const)
      if (!Number.isInteger(v) || v < 1) return `URL: parameter "${name}": expected a positive whole number of items, got ${JSON.stringify(v)}`;
    return null;
  }

  async function update(next: PageSettings) {
    settings = next;
    history.replaceState(null, "", searchOfSettings(settings) + location.hash);
    renderControls();
    const problem = specProblem();
    specError.textContent = problem ?? "";
    specError.hidden = !problem;
    run.disabled = !!problem || !!gpuProblem || !runtime || !!controller;
    await drawCurve(null);
  }

  async function drawCurve(yours: Row[] | null) {
    if (!opts.query || !runtime) return;
    let columns: ResultColumns;
    try {
      columns = runtime.compressionColumns(runtime.parseRun(settings.entry, "URL").entry);
    } catch {
      chart.replaceChildren();
      return;
    }
    let rows: QueryRow[];
    try {
      rows = await storedCurve(opts.query, opts.modelName, columns);
    } catch (e) {
      chart.replaceChildren(el("p", {}, `The stored curve could not be read from the results store: ${(e as Error).message}`));
      return;
    }
    const mine = (yours ?? []).filter((r) => r.subset === "all" && PAGE_METRICS.some((m) => m.task === r.task && m.metric === r.metric));
    chart.replaceChildren(
      rows.length ? curveChart(rows, columns, mine, chart.clientWidth || 720) : el("p", {}, `The stored sweep has no ${columns.method} ${columns.pattern} runs of ${opts.modelName} to draw.`),
    );
  }

  function showProgress(start: number, p: { phase: Phase; done: number; total: number }, phaseStart: Map<Phase, number>) {
    if (!phaseStart.has(p.phase)) phaseStart.set(p.phase, performance.now());
    const items = PHASES.map(({ phase, label }) => {
      const began = phaseStart.get(phase);
      const current = phase === p.phase;
      const idx = PHASES.findIndex((x) => x.phase === p.phase);
      const finished = PHASES.findIndex((x) => x.phase === phase) < idx;
      let line = label;
      if (current && began !== undefined) {
        const elapsed = (performance.now() - began) / 1000;
        const eta = p.done > 0 && p.done < p.total ? ` · about ${seconds((elapsed / p.done) * (p.total - p.done))} left` : "";
        line += `: ${p.done} of ${p.total} · ${seconds(elapsed)}${eta}`;
      } else if (finished) line += ": done";
      return el("li", { className: current ? "kick-cy-current" : "" }, current ? el("progress", { max: Math.max(p.total, 1), value: p.done }) : "", " ", line);
    });
    progress.replaceChildren(el("ol", {}, ...items), el("small", {}, `elapsed ${seconds((performance.now() - start) / 1000)}`));
  }

  async function start() {
    if (!runtime || controller) return;
    controller = new AbortController();
    const { signal } = controller;
    run.disabled = true;
    cancel.disabled = false;
    root.dataset.state = "running";
    status.textContent = "";
    downloads.replaceChildren();
    const started = performance.now();
    const phaseStart = new Map<Phase, number>();
    // download progress of the model's files, in KB
    const onBytes = (_name: string, loaded: number, total: number | null) =>
      showProgress(started, { phase: "load", done: Math.round(loaded / 1024), total: Math.round((total ?? loaded) / 1024) }, phaseStart);
    try {
      const model = runtime.fetchFileStore(absoluteAll(opts.modelFiles), { signal, onBytes });
      const site = runtime.fetchFileStore(absoluteAll(opts.siteFiles), { signal });
      last = await runtime.compressAndEvaluate(settings.entry, settings.evaluation, {
        model, site, modelName: opts.modelName, signal, onProgress: (p) => showProgress(started, p, phaseStart),
      });
      const total = (performance.now() - started) / 1000;
      root.dataset.state = "done";
      const s = last.seconds;
      status.textContent = `Done in ${seconds(total)} on ${last.device}: load ${seconds(s.load)}, compress ${seconds(s.compress)}, perplexity ${seconds(s.perplexity)}, factoid QA ${seconds(s.factoid_qa)}.`;
      await showResult(last);
    } catch (e) {
      const err = e as Error;
      root.dataset.state = err.name === "RunCancelled" || signal.aborted ? "cancelled" : "failed";
      status.textContent = root.dataset.state === "cancelled"
        ? "Cancelled: nothing was kept. Run again when you like."
        : `The run failed: ${err.message}. ${/memory|lost|device/i.test(err.message) ? "The GPU ran out of memory or was lost: close other GPU-heavy tabs and " : ""}press "Compress and evaluate" to retry.`;
      progress.replaceChildren();
    } finally {
      controller = null;
      cancel.disabled = true;
      run.disabled = !!specProblem();
    }
  }

  async function showResult(out: NonNullable<typeof last>) {
    const columns = runtime!.compressionColumns(out.entry);
    const published = opts.query ? await opts.query(publishedRunSql(opts.modelName, columns)) : [];
    const mine = (task: string, metric: string) => out.results.find((r) => r.task === task && r.subset === "all" && r.metric === metric);
    const table = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, "your run"), el("th", {}, "the published run"))));
    const body = el("tbody");
    for (const m of PAGE_METRICS) {
      const y = mine(m.task, m.metric);
      const p = published.find((r) => r.task === m.task);
      const cell = (v: unknown, lo: unknown, hi: unknown, n: unknown) => (v === undefined || v === null ? "not in the stored sweep" : `${fmt(Number(v))} [${fmt(lo === null ? null : Number(lo))}, ${fmt(hi === null ? null : Number(hi))}] (n = ${Number(n)})`);
      body.append(el("tr", { className: `kick-cy-row-${m.task}` }, el("th", {}, m.label), el("td", {}, y ? cell(y.value, y.ci_low, y.ci_high, y.n) : "–"), el("td", {}, p ? cell(p.value, p.ci_low, p.ci_high, p.n) : "not in the stored sweep")));
    }
    table.append(body);
    compare.replaceChildren(
      table,
      el("p", {}, el("small", {}, "95% intervals: percentile bootstrap over windows for perplexity, Wilson for accuracy. The published run used every test item (200 perplexity documents, 3026 questions) and 128 calibration windows of 512 tokens; with fewer items or windows, your numbers estimate the same quantities less precisely.")),
    );
    await drawCurve(out.results);
    const name = `kick-s-${String(out.entry.method).replace(/\+/g, "-")}`;
    const json = el("button", { type: "button", className: "kick-cy-json" }, "Result rows (JSON)");
    json.addEventListener("click", () => saveBlob(new Blob([`${JSON.stringify(out.results, null, 2)}\n`], { type: "application/json" }), `${name}.json`));
    const csv = el("button", { type: "button", className: "kick-cy-csv" }, "Result rows (CSV)");
    csv.addEventListener("click", async () => saveBlob(await csvBlob(out.results), `${name}.csv`));
    downloads.replaceChildren("Download, with the results table's columns: ", json, " ", csv);
    record.replaceChildren(el("summary", {}, "The whole run (JSON: spec, rows, per-example outputs, per-layer report)"), el("pre", { className: "kick-cy-run-json" }, JSON.stringify(out)));
  }

  run.addEventListener("click", () => void start());
  cancel.addEventListener("click", () => controller?.abort());
  renderControls();

  void (async () => {
    gpuProblem = await webGpuMissing();
    gpuNote.textContent = gpuProblem
      ? `${gpuProblem} Compressing here needs WebGPU: a recent Chrome or Edge (113 or later) on a machine with a supported GPU, or Safari 26 / Firefox 141 where WebGPU is on. The stored results are shown below.`
      : "WebGPU is available: the compression and the evaluations run on your GPU, in this tab.";
    root.dataset.webgpu = gpuProblem ? "missing" : "available";
    try {
      runtime = await runtimeReady;
    } catch (e) {
      specError.textContent = `The page's runtime (${opts.runtime}) could not be loaded: ${(e as Error).message}`;
      specError.hidden = false;
      return;
    }
    await update(settings);
    root.dataset.ready = "true";
    if (!opts.query) chart.replaceChildren(el("p", {}, "The results store could not be opened, so the stored curve cannot be drawn."));
  })();
  return root;
}
