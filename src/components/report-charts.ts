// The report's chart functions. Each takes the rows of its SQL (src/components/report-figures.ts)
// and explicit sizes, and returns an <svg> (legend "inline", for figure files and print) or a
// <figure> with Plot's HTML legend (pages). Pages call them in the browser; loaders/figures/report.ts
// calls the very same functions with a JSDOM document to write the SVG/PNG figure files.
import * as Plot from "@observablehq/plot";
import { colorScale } from "./palette.js";

export type Row = Record<string, unknown>;

export interface ChartOptions {
  width: number;
  height?: number;
  /** A DOM Document to render into (JSDOM on the server); the page's own by default. */
  document?: Document;
  /** "html": Plot's swatch legend (pages). "inline": legend drawn inside the SVG (figure files). */
  legend?: "html" | "inline";
  fontFamily?: string;
  fontSize?: number;
  /** Axis label of the score. */
  yLabel?: string;
  /** Whether lower scores are better (perplexity); flips nothing but the wording of labels. */
  lowerIsBetter?: boolean;
  /** The score of guessing (report-verdict.ts): drawn as a "chance" line, and the y-axis then starts at 0. */
  chance?: number | null;
}

const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));
const defaultHeight = (width: number) => Math.round(Math.min(440, Math.max(300, width * 0.55)));

function base(options: ChartOptions, extra: Record<string, unknown>): Plot.PlotOptions {
  return {
    width: options.width,
    height: options.height ?? defaultHeight(options.width),
    document: options.document,
    marginTop: 24,
    // Room for the x tick labels and, below them, the axis label at the charts' 12 px (Plot's default 30 px is for 10 px).
    marginBottom: Math.round((options.fontSize ?? 12) * 2.6 + 8),
    style: { fontFamily: options.fontFamily ?? "system-ui, sans-serif", fontSize: `${options.fontSize ?? 12}px`, background: "transparent" },
    ...extra,
  } as Plot.PlotOptions;
}

/** Legend drawn inside the SVG, top-left, one line per series (survives export as bare SVG). */
function inlineLegend(color: { domain: string[]; range: string[] }, fontSize: number, top = 4): Plot.Markish[] {
  return color.domain.map((name, i) =>
    Plot.text([name], { frameAnchor: "top-left", dx: 6, dy: top + i * (fontSize + 3), text: (d: string) => `● ${d}`, fill: color.range[i], textAnchor: "start", fontWeight: "bold" }),
  );
}

/** Above this many series a legend is hard to match to its lines: the names go at the lines' right ends. */
export const DIRECT_LABELS_ABOVE = 4;
/** Direct labels may take up to this share of the chart's width (else the chart keeps its legend). */
const LABEL_SHARE = 0.4;
/** Width of a label in px: about 0.6 em per character in the sans-serif fonts the charts use. */
const labelWidth = (text: string, fontSize: number) => text.length * fontSize * 0.6;

/**
 * Each series' name at its line's right end, in the series' colour, nudged apart vertically so that no
 * two overlap (Plot places them at the scaled y of the last point; `render` spreads them by at least a
 * line's height, within the plot's height). Null when the names would not fit beside the chart.
 */
function endLabels(data: readonly Row[], o: { x: string; y: string; series: string; width: number; fontSize: number; order: readonly string[] }): { mark: Plot.Markish; marginRight: number } | null {
  const fs = o.fontSize - 1;
  const marginRight = Math.ceil(Math.max(...o.order.map((name) => labelWidth(name, fs))) + 12);
  if (o.order.length <= DIRECT_LABELS_ABOVE || marginRight > o.width * LABEL_SHARE) return null;
  const ends = o.order.flatMap((name) => {
    const mine = data.filter((r) => String(r[o.series]) === name);
    return mine.length ? [mine.reduce((a, r) => (num(r[o.x]) > num(a[o.x]) ? r : a))] : [];
  });
  const gap = fs + 2;
  const mark = Plot.text(ends, {
    x: o.x,
    y: o.y,
    text: (r: Row) => String(r[o.series]),
    fill: o.series,
    dx: 8,
    textAnchor: "start",
    fontSize: fs,
    className: "kick-line-label",
    render(index, scales, values, dimensions, context, next) {
      const y = Array.from(values.y as ArrayLike<number>);
      const order = [...index].sort((a, b) => y[a] - y[b]);
      const top = dimensions.marginTop + gap / 2;
      const bottom = dimensions.height - dimensions.marginBottom - gap / 2;
      let last = -Infinity;
      for (const i of order) last = y[i] = Math.max(y[i], last + gap, top);
      last = Infinity;
      for (const i of order.reverse()) last = y[i] = Math.min(y[i], last - gap, bottom);
      return next!(index, scales, { ...values, y } as typeof values, dimensions, context);
    },
  } as Plot.TextOptions);
  return { mark, marginRight };
}

/** The "chance" reference line, where guessing scores above 0 (a line at 0 would only repeat the axis). */
const chanceRule = (chance: number | null | undefined) => (chance ? [{ value: chance, label: "chance" }] : []);

/** A chart frame with a message instead of marks: the selection or the store has no rows. */
export function emptyChart(message: string, options: ChartOptions): SVGSVGElement | HTMLElement {
  return Plot.plot(
    base(options, {
      height: Math.min(options.height ?? 200, 200),
      x: { axis: null, domain: [0, 1] },
      y: { axis: null, domain: [0, 1] },
      marks: [Plot.frame({ stroke: "#bbb", strokeDasharray: "3,3" }), Plot.text([message], { x: 0.5, y: 0.5, text: (d: string) => d, lineWidth: Math.max(20, options.width / 8) })],
    }),
  );
}

interface LineCIOptions extends ChartOptions {
  x: string;
  y?: string;
  lo?: string;
  hi?: string;
  series: string;
  xLabel: string;
  xType?: "linear" | "log" | "point";
  /** A tick count, or the tick values themselves (e.g. the settings an ablation measured). */
  xTicks?: number | number[];
  /** Horizontal reference lines, e.g. the dense score. */
  rules?: { value: number; label: string }[];
  /** Series order (colours follow it); by default sorted as they appear. */
  seriesOrder?: string[];
  yPercent?: boolean;
  yZero?: boolean;
}

/** Lines with dots and a 95% interval per series: the shape of most report charts. */
function lineCI(rows: readonly Row[], o: LineCIOptions): SVGSVGElement | HTMLElement {
  const y = o.y ?? "value", lo = o.lo ?? "ci_low", hi = o.hi ?? "ci_high";
  const data = rows.filter((r) => Number.isFinite(num(r[y])) && (o.xType === "point" || Number.isFinite(num(r[o.x]))));
  if (!data.length) return emptyChart("No rows for this selection in the results store.", o);
  const series = o.seriesOrder ?? [...new Set(data.map((r) => String(r[o.series])))];
  const color = colorScale(series);
  const inline = o.legend === "inline";
  const fs = o.fontSize ?? 12;
  const withCI = data.filter((r) => Number.isFinite(num(r[lo])) && Number.isFinite(num(r[hi])));
  const marks: Plot.Markish[] = [Plot.gridY(), Plot.gridX({ strokeOpacity: 0.05 })];
  const scored = o.chance !== null && o.chance !== undefined;
  for (const rule of [...(o.rules ?? []), ...chanceRule(o.chance)]) {
    marks.push(
      Plot.ruleY([rule.value], { stroke: "#555", strokeDasharray: "4,3" }),
      Plot.text([rule], { frameAnchor: "right", y: (d: { value: number }) => d.value, text: (d: { label: string }) => d.label, dy: -6, textAnchor: "end", fill: "#555" } as Plot.TextOptions),
    );
  }
  if (o.xType === "point") {
    marks.push(Plot.ruleX(withCI, { x: o.x, y1: lo, y2: hi, stroke: o.series, strokeOpacity: 0.55, strokeWidth: 2 }));
  } else {
    marks.push(Plot.areaY(withCI, { x: o.x, y1: lo, y2: hi, fill: o.series, fillOpacity: 0.13, z: o.series, curve: "linear" }));
  }
  marks.push(
    Plot.lineY(data, { x: o.x, y, stroke: o.series, z: o.series, strokeWidth: 1.8 }),
    Plot.dot(data, { x: o.x, y, fill: o.series, r: 3, tip: !inline, title: (r: Row) => `${r[o.series]}\n${o.xLabel}: ${r[o.x]}\n${o.yLabel ?? y}: ${num(r[y]).toPrecision(4)}${Number.isFinite(num(r[lo])) ? `\n95% CI ${num(r[lo]).toPrecision(3)}–${num(r[hi]).toPrecision(3)}` : ""}` }),
  );
  // Every score 0 (a task the models cannot do at all): say so, or the flat lines read as "no effect".
  if (data.every((r) => num(r[y]) === 0)) {
    marks.push(Plot.text(["Every score here is 0: the models are at the floor on this task, so this chart cannot show an effect of compression."], { frameAnchor: "middle", text: (d: string) => d, lineWidth: Math.max(12, (o.width - 90) / fs / 1.6), fill: "#333", stroke: "white", strokeWidth: 3, fontWeight: "bold" }));
  }
  const labels = o.xType === "point" ? null : endLabels(data, { x: o.x, y, series: o.series, width: o.width, fontSize: fs, order: series });
  if (labels) marks.push(labels.mark);
  else if (inline) marks.push(...inlineLegend(color, fs));
  return Plot.plot(
    base(o, {
      marginTop: 24,
      marginLeft: 52,
      ...(labels ? { marginRight: labels.marginRight } : {}),
      x: { label: o.xLabel, type: o.xType ?? "linear", ticks: o.xTicks, ...(Array.isArray(o.xTicks) ? { tickFormat: (d: number) => String(d), ...(o.xType === "log" ? { base: 2 } : {}) } : {}), grid: false, ...(o.xType === "point" ? { domain: [...new Set(data.map((r) => r[o.x]))] } : {}) },
      // A score with a chance level is drawn from 0, so a small difference does not fill the chart.
      y: { label: o.yLabel ?? y, grid: false, zero: o.yZero ?? scored, percent: o.yPercent ?? false, nice: true },
      color: { ...color, legend: !inline && !labels },
      marks,
    }),
  );
}

/** Perplexity page: change vs dense (%) of perplexity and of a task score, against sparsity. */
export function perplexityGapChart(rows: readonly Row[], options: ChartOptions): SVGSVGElement | HTMLElement {
  return lineCI(rows, {
    ...options,
    x: "sparsity",
    y: "change",
    lo: "lo",
    hi: "hi",
    series: "series",
    xLabel: "Sparsity (%)",
    yLabel: options.yLabel ?? "Change vs dense (%)",
    rules: [{ value: 0, label: "dense" }],
    seriesOrder: [...new Set(rows.map((r) => String(r.series)))].sort(),
  });
}

/** Quantization vs pruning: score against effective bits per weight, one line per method family. */
export function bitsChart(rows: readonly Row[], options: ChartOptions): SVGSVGElement | HTMLElement {
  const kinds = ["dense", "quantized", "pruned", "pruned + quantized"].filter((k) => rows.some((r) => r.kind === k));
  if (!rows.length) return emptyChart("No rows for this selection in the results store.", options);
  const color = colorScale(kinds);
  const inline = options.legend === "inline";
  const dense = rows.find((r) => r.kind === "dense");
  const marks: Plot.Markish[] = [Plot.gridY(), Plot.gridX({ strokeOpacity: 0.05 })];
  if (dense) marks.push(Plot.ruleY([num(dense.value)], { stroke: "#555", strokeDasharray: "4,3" }));
  for (const rule of chanceRule(options.chance)) marks.push(Plot.ruleY([rule.value], { stroke: "#999", strokeDasharray: "2,3" }), Plot.text([rule], { frameAnchor: "right", y: "value", text: "label", dy: -6, textAnchor: "end", fill: "#777" }));
  marks.push(
    Plot.ruleX(rows, { x: "bpw", y1: "ci_low", y2: "ci_high", stroke: "kind", strokeOpacity: 0.5, strokeWidth: 2 }),
    Plot.line(rows.filter((r) => r.kind !== "dense"), { x: "bpw", y: "value", z: "series", stroke: "kind", sort: "bpw", strokeOpacity: 0.7 }),
    Plot.dot(rows, { x: "bpw", y: "value", fill: "kind", symbol: "kind", r: 3.5, tip: !inline, title: (r: Row) => `${r.variant}\n${num(r.bpw).toFixed(2)} bits/weight\n${options.yLabel ?? "score"}: ${num(r.value).toPrecision(4)}` }),
  );
  if (inline) marks.push(...inlineLegend(color, options.fontSize ?? 12));
  return Plot.plot(
    base(options, {
      marginLeft: 52,
      x: { label: "Effective bits per weight", type: "log", base: 2, domain: [Math.min(1, ...rows.map((r) => num(r.bpw))) , 16], ticks: [1, 2, 3, 4, 6, 8, 12, 16], tickFormat: (d: number) => String(d) },
      y: { label: options.yLabel ?? "score", nice: true, zero: options.chance !== null && options.chance !== undefined },
      color: { ...color, legend: !inline },
      symbol: { domain: kinds, legend: false },
      marks,
    }),
  );
}

/** N:M page: share of the dense score kept, per task, for unstructured 50% and each N:M pattern. */
export function nmChart(rows: readonly Row[], options: ChartOptions): SVGSVGElement | HTMLElement {
  if (!rows.length) return emptyChart("No N:M rows for this selection in the results store.", options);
  const patterns = [...new Set(rows.map((r) => String(r.pattern)))].sort((a, b) => (a === "unstructured" ? -1 : b === "unstructured" ? 1 : a.localeCompare(b)));
  const tasks = [...new Set(rows.map((r) => String(r.label)))];
  const color = colorScale(patterns);
  const inline = options.legend === "inline";
  const height = options.height ?? Math.max(260, 40 + tasks.length * patterns.length * 16 + tasks.length * 10);
  return Plot.plot(
    base({ ...options, height }, {
      marginLeft: Math.min(160, Math.max(120, options.width * 0.34)),
      marginRight: 16,
      marginTop: inline ? 16 + patterns.length * ((options.fontSize ?? 12) + 3) : 24,
      x: { label: "Share of the dense score kept (%)", domain: [0, Math.max(110, ...rows.map((r) => num(r.hi)).filter(Number.isFinite))], grid: true },
      y: { label: null, domain: tasks },
      fy: { axis: null, domain: patterns },
      color: { ...color, legend: !inline },
      marks: [
        Plot.barX(rows, Plot.groupY({ x: "max" }, { y: "label", x: "retained", fill: "pattern", fy: "pattern", insetTop: 1, insetBottom: 1 })),
        Plot.ruleX([95], { stroke: "#333", strokeDasharray: "4,3" }),
        Plot.ruleX([100], { stroke: "#999" }),
        Plot.ruleY(rows, { y: "label", fy: "pattern", x1: "lo", x2: "hi", stroke: "#222", strokeWidth: 1.2 }),
        ...(inline ? [Plot.text(patterns, { fy: (d: string) => d, frameAnchor: "top-right", text: (d: string) => d, dy: 2, dx: -4, fontWeight: "bold", fill: (d: string) => color.range[patterns.indexOf(d)] })] : []),
        ...(inline ? [] : [Plot.tip(rows, Plot.pointerY({ y: "label", fy: "pattern", x: "retained", title: (r: Row) => `${r.label} · ${r.variant}\n${num(r.retained).toFixed(1)}% of dense`, anchor: "left" }))]),
        Plot.text([patterns[0]], { fy: (d: string) => d, x: 95, frameAnchor: "top", dy: -14, dx: 2, textAnchor: "end", text: () => "matching (95%)", fill: "#333", fontSize: (options.fontSize ?? 12) - 1 }),
      ],
    }),
  );
}

/** Score against compression level (sparsity % or bits), one line per subset (setting, length bin …). */
export function levelChart(rows: readonly Row[], options: ChartOptions & { xLabel?: string }): SVGSVGElement | HTMLElement {
  const order = [...new Set(rows.map((r) => String(r.series)))];
  return lineCI(rows, { ...options, x: "level", series: "series", xLabel: options.xLabel ?? String(rows[0]?.level_label ?? "Compression level"), seriesOrder: order });
}

/** Compressed large vs dense small: score against parameters kept (log), one line per model. */
export function sizeChart(rows: readonly Row[], options: ChartOptions): SVGSVGElement | HTMLElement {
  const models = [...new Set(rows.map((r) => String(r.model)))];
  const chart = lineCI(rows, { ...options, x: "params_kept", series: "model", xLabel: "Parameters kept (non-zero weights)", xType: "log", seriesOrder: models });
  return chart;
}

/** Knowledge retention: score against how often a fact was seen in training, per compression level. */
export function exposureChart(rows: readonly Row[], options: ChartOptions): SVGSVGElement | HTMLElement {
  return lineCI(rows, { ...options, x: "exposure", series: "series", xLabel: "Times the fact was seen in training", xType: "log", seriesOrder: [...new Set(rows.map((r) => String(r.series)))] });
}

/** Ablations (calibration samples, k-shot): score against the ablated setting, one line per variant. */
export function ablationChart(rows: readonly Row[], options: ChartOptions & { xLabel: string; xType?: "linear" | "log" }): SVGSVGElement | HTMLElement {
  // Ticks at the measured settings (8, 32, 128, 512 samples; k = 0, 1, 3, 5), not at 0.5-shot or unlabelled log ticks.
  const ticks = [...new Set(rows.map((r) => num(r.x)).filter((v) => Number.isFinite(v) && (options.xType !== "log" || v > 0)))].sort((a, b) => a - b);
  return lineCI(rows, { ...options, x: "x", series: "series", xTicks: ticks.length ? ticks : undefined, seriesOrder: [...new Set(rows.map((r) => String(r.series)))] });
}

/** Soft-prompt recovery: per compressed variant, the score with no prompt, a hard prompt and soft prompts. */
export function softPromptChart(rows: readonly Row[], options: ChartOptions): SVGSVGElement | HTMLElement {
  if (!rows.some((r) => String(r.prompt_kind).includes("soft"))) return emptyChart("No soft-prompt runs in the results store yet.", options);
  const kinds = ["no prompt", "hard prompt", "best soft prompt"].filter((k) => rows.some((r) => r.prompt_kind === k));
  const color = colorScale(kinds);
  const inline = options.legend === "inline";
  const variants = [...new Set(rows.filter((r) => r.variant !== "dense").map((r) => String(r.variant)))];
  const dense = rows.find((r) => r.variant === "dense");
  const fs = options.fontSize ?? 12;
  const marginLeft = Math.min(220, Math.max(130, options.width * 0.45));
  // Rows tall enough for labels that wrap (narrow screens: up to three lines).
  const labelLines = Math.max(1, ...variants.map((v) => Math.ceil((v.length * 0.6) / ((marginLeft - 14) / fs))));
  const rowHeight = Math.max(34, labelLines * (fs + 2) + 12);
  const height = options.height ?? Math.max(240, 70 + variants.length * rowHeight + (inline ? kinds.length * (fs + 3) : 0));
  const data = rows.filter((r) => r.variant !== "dense");
  return Plot.plot(
    base({ ...options, height }, {
      marginLeft,
      marginTop: inline ? 20 + kinds.length * (fs + 3) : 24,
      x: { label: options.yLabel ?? "score", nice: true, grid: true },
      y: { label: null, domain: variants },
      color: { ...color, legend: !inline },
      marks: [
        // Long labels wrap rather than run off the left edge on phones.
        // lineWidth is in ems (about two characters each), not characters.
        Plot.axisY({ label: null, lineWidth: (marginLeft - 14) / fs, tickSize: 3 }),
        ...(dense ? [Plot.ruleX([num(dense.value)], { stroke: "#555", strokeDasharray: "4,3" }), Plot.text(["dense"], { x: num(dense.value), frameAnchor: "bottom", dy: -2, dx: 4, textAnchor: "start", text: (d: string) => d, fill: "#555" })] : []),
        ...kinds.flatMap((kind, k) => {
          const mine = data.filter((r) => r.prompt_kind === kind);
          const dy = (k - (kinds.length - 1) / 2) * 7;
          return [
            Plot.ruleY(mine, { y: "variant", x1: "ci_low", x2: "ci_high", stroke: "prompt_kind", strokeOpacity: 0.55, strokeWidth: 2, dy }),
            Plot.dot(mine, { y: "variant", x: "value", fill: "prompt_kind", r: 4, dy, tip: !inline, title: (r: Row) => `${r.variant} · ${r.prompt_kind}${r.prompt_id ? ` (${r.prompt_id})` : ""}\n${num(r.value).toPrecision(4)}` }),
          ];
        }),
        ...(inline ? inlineLegend(color, fs, -(14 + kinds.length * (fs + 3))) : []),
      ],
    }),
  );
}

/** Soft-prompt transfer: score of each soft prompt (rows) applied to each compressed variant (columns). */
export function transferChart(rows: readonly Row[], options: ChartOptions): SVGSVGElement | HTMLElement {
  if (!rows.length) return emptyChart("No soft-prompt runs in the results store yet.", options);
  const prompts = [...new Set(rows.map((r) => String(r.prompt)))].sort();
  const variants = [...new Set(rows.map((r) => String(r.variant)))].sort();
  const fs = options.fontSize ?? 12;
  const marginLeft = Math.min(180, Math.max(110, options.width * 0.32));
  // Column labels are long ("kick-l · sparsegpt+gptq 50% 4-bit"): slant them on wide charts, stand
  // them upright on narrow ones, and leave room below for the longest (about 0.6 em per character).
  const narrow = options.width < 520;
  const rotate = narrow ? -90 : -30;
  // Upright column labels on a phone share a column's width: a smaller font keeps neighbours apart.
  const xFont = narrow ? fs - 2 : fs;
  const longest = Math.max(...variants.map((v) => v.length));
  const marginBottom = Math.round(16 + longest * xFont * 0.62 * Math.sin((Math.abs(rotate) * Math.PI) / 180));
  // Rows tall enough for prompt names that wrap in the left margin (about 0.6 em per character).
  const lines = Math.max(1, ...prompts.map((p) => Math.ceil((p.length * 0.6) / ((marginLeft - 24) / fs))));
  const rowHeight = Math.max(30, lines * (fs + 2) + 10);
  return Plot.plot(
    base(options, {
      height: (options.height ?? Math.max(220, 90 + prompts.length * rowHeight)) + Math.max(0, marginBottom - 70),
      marginLeft,
      marginBottom,
      x: { label: null, domain: variants },
      y: { label: "Soft prompt (trained on)", domain: prompts },
      color: { scheme: options.lowerIsBetter ? "blues" : "greens", reverse: !!options.lowerIsBetter, legend: options.legend !== "inline", label: options.yLabel ?? "score" },
      marks: [
        Plot.axisY({ label: "Soft prompt (trained on)", lineWidth: (marginLeft - 24) / fs, tickSize: 3 }),
        Plot.axisX({ label: null, tickRotate: rotate, fontSize: xFont }),
        Plot.cell(rows, { x: "variant", y: "prompt", fill: "value", inset: 1, tip: options.legend !== "inline" }),
        // Values in the cells only where they fit (the tip and the colour carry them on phones).
        ...(options.width >= 520 ? [Plot.text(rows, { x: "variant", y: "prompt", text: (r: Row) => num(r.value).toPrecision(3), fill: "black", fontSize: fs - 1 })] : []),
      ],
    }),
  );
}
