// The flips chart: per compressed variant, the share of items that went right → wrong (below 0) and
// wrong → right (above 0) against the dense model, with 95% Wilson intervals, and the net change of
// accuracy (a dot) — which is all an accuracy chart shows, and can sit near 0 while many answers flip.
import * as Plot from "@observablehq/plot";
import { colorOf } from "./palette.js";

type Row = Record<string, unknown>;
const num = (v: unknown) => Number(v);

export const FLIP_SERIES = ["right → wrong", "wrong → right"] as const;

/** Bars of both directions and the net change, one column per variant (rows of the flips table). */
export function flipsChart(rows: readonly Row[], { width, document }: { width: number; document?: Document }): SVGSVGElement | HTMLElement {
  const order = [...rows].sort((a, b) => num(a.flipped) - num(b.flipped)).map((r) => String(r.variant));
  const bars = rows.flatMap((r) => [
    { variant: r.variant, series: FLIP_SERIES[0], share: -num(r.right_to_wrong), lo: -num(r.right_to_wrong_lo), hi: -num(r.right_to_wrong_hi) },
    { variant: r.variant, series: FLIP_SERIES[1], share: num(r.wrong_to_right), lo: num(r.wrong_to_right_lo), hi: num(r.wrong_to_right_hi) },
  ]);
  const net = rows.map((r) => ({ variant: r.variant, change: num(r.accuracy) - num(r.dense_accuracy) }));
  return Plot.plot({
    width,
    height: Math.round(Math.min(420, Math.max(280, width * 0.45))),
    document,
    marginBottom: 90,
    style: { fontFamily: "system-ui, sans-serif", fontSize: "12px", background: "transparent" },
    x: { domain: order, label: null, tickRotate: -40 },
    y: { label: "share of items (%) — below 0: right → wrong; above 0: wrong → right", percent: true, grid: true },
    color: { domain: [...FLIP_SERIES, "net change of accuracy"], range: [...FLIP_SERIES.map(colorOf), "#000000"], legend: true },
    marks: [
      Plot.barY(bars, { x: "variant", y: "share", fill: "series" }),
      Plot.ruleX(bars, { x: "variant", y1: "lo", y2: "hi", stroke: "#555" }),
      Plot.dot(net, { x: "variant", y: "change", fill: () => "net change of accuracy", r: 4, tip: true }),
      Plot.ruleY([0]),
    ],
  });
}

const pct1 = (v: unknown) => `${(num(v) * 100).toFixed(1)}%`;

/**
 * The sentence over the chart: the variant whose answers flip most beyond what its net change shows
 * (largest flipped share minus |net change|), with the share's 95% interval.
 */
export function flipsClaim(rows: readonly Row[]): string | null {
  if (!rows.length) return null;
  const hidden = (r: Row) => num(r.flipped) - Math.abs(num(r.accuracy) - num(r.dense_accuracy));
  // ties (few items) go to the first variant by name, so that every reader of the same rows names the same one
  const r = [...rows].sort((a, b) => hidden(b) - hidden(a) || String(a.variant).localeCompare(String(b.variant)))[0];
  const net = (num(r.accuracy) - num(r.dense_accuracy)) * 100;
  return `${r.variant} on ${r.model}: accuracy ${pct1(r.dense_accuracy)} → ${pct1(r.accuracy)} (${net >= 0 ? "+" : "−"}${Math.abs(net).toFixed(1)} points), ` +
    `while ${pct1(r.flipped)} of the ${r.n} paired items flip (95% interval ${pct1(r.flipped_lo)}–${pct1(r.flipped_hi)}): ${pct1(r.right_to_wrong)} right → wrong, ${pct1(r.wrong_to_right)} wrong → right.`;
}
