// One colour per method, per model and per setting, used by every chart of the pages, the figure
// files and the embeds, so that "sparsegpt" is the same blue wherever it appears. Variants of one
// method ("sparsegpt 50%", "sparsegpt 70%") share its hue, darker the stronger the compression;
// names this table does not know get a stable colour from their text (never an index into a list,
// which is what gave one method different colours in two charts).
import { METHOD_HUES } from "./method-meta.js";

/** Compression methods (and the dense model) and their named variants: declared with each method (method-meta.ts). */
export const METHOD_COLORS: Record<string, string> = METHOD_HUES;

/** kick's model family, light to dark with size. */
export const MODEL_COLORS: Record<string, string> = {
  "kick-s": "#9ecae1",
  "kick-m": "#4292c6",
  "kick-l": "#08306b",
};

/** Settings and series that are not methods or models. */
export const SETTING_COLORS: Record<string, string> = {
  // retrieval settings
  "closed book": "#d62728",
  "open book": "#1f77b4",
  "open book, counterfactual passage": "#9467bd",
  // kinds of compression
  quantized: "#ff7f0e",
  pruned: "#1f77b4",
  "pruned + quantized": "#6a3d9a",
  // sparsity patterns
  unstructured: "#1f77b4",
  "2:4": "#d62728",
  "4:8": "#ff9896",
  // prompts
  "no prompt": "#7f7f7f",
  "hard prompt": "#bcbd22",
  "best soft prompt": "#2ca02c",
  // multiple-choice formats
  "letter (A–D)": "#7f7f7f",
  "option text (cloze)": "#1f77b4",
  // document-length bins
  "short documents": "#c6dbef",
  "medium documents": "#6baed6",
  "long documents": "#08519c",
  // the perplexity chart's reference series
  "perplexity (rise)": "#3b3b3b",
};

/** Colours for names nobody listed: a fixed ring, indexed by a hash of the name. */
const RING = ["#4e79a7", "#f28e2c", "#e15759", "#76b7b2", "#59a14f", "#edc949", "#af7aa1", "#ff9da7", "#9c755f", "#bab0ab"];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Mixes a #rrggbb colour with black (t < 0) or white (t > 0) by |t|. */
export function shade(hex: string, t: number): string {
  const target = t < 0 ? 0 : 255;
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16);
    return Math.round(c + (target - c) * Math.abs(t))
      .toString(16)
      .padStart(2, "0");
  };
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

/**
 * How strong a variant's compression is, in [0, 1], from its name: "70%" sparsity → 0.7, "4-bit" →
 * 1 − log2(4) / 4 = 0.5 (8-bit 0.25, 3-bit 0.6, 2-bit 0.75), "2:4" → 0.5. Null when the name says
 * nothing (the plain method).
 */
function strength(rest: string): number | null {
  const sparsity = rest.match(/(\d+)%/);
  const bits = rest.match(/(\d+)-bit/);
  const nm = rest.match(/(\d+):(\d+)/);
  const parts = [sparsity ? Number(sparsity[1]) / 100 : null, bits ? 1 - Math.log2(Number(bits[1])) / 4 : null, nm ? 1 - Number(nm[1]) / Number(nm[2]) : null].filter((v): v is number => v !== null);
  return parts.length ? Math.max(...parts) : null;
}

/** A series' colour: its own entry, else its method's hue shaded by the variant's strength, else a stable hashed colour. */
export function colorOf(name: string): string {
  const known = METHOD_COLORS[name] ?? MODEL_COLORS[name] ?? SETTING_COLORS[name];
  if (known) return known;
  // "kick-l · sparsegpt 50%" (soft-prompt labels) → the variant after the model
  const variant = name.includes(" · ") ? name.slice(name.lastIndexOf(" · ") + 3) : name;
  const [method, ...rest] = variant.split(" ");
  const hue = METHOD_COLORS[method];
  if (hue) {
    const s = strength(rest.join(" "));
    // 10% → a light tint, 90% → dark: levels of one method stay apart but read as one family
    return s === null ? hue : shade(hue, Math.max(-0.75, Math.min(0.75, (0.5 - s) * 1.5)));
  }
  return RING[hash(name) % RING.length];
}

/** A Plot colour scale for a list of series (legend order = the list). */
export function colorScale(domain: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: [...domain], range: domain.map(colorOf) };
}
