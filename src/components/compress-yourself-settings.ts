// "Compress it yourself": which settings each method is offered, and the page's settings as URL parameters.
// The controls offer only what a method accepts; validation itself is the spec parser's (the runtime's parseRun),
// so a hand-edited URL (?method=rtn&pattern=2:4) reaches the parser unchanged and the page shows its message.

export const PAGE_METHODS = ["magnitude", "wanda", "sparsegpt", "rtn", "gptq", "sparsegpt+gptq"] as const;
export type PageMethod = (typeof PAGE_METHODS)[number];

export interface MethodOffer {
  label: string;
  /** patterns offered (empty: the method does not prune) */
  patterns: string[];
  /** quantization group sizes offered (empty: the method does not quantize); −1 = one group per row */
  groups: number[];
  /** uses calibration windows */
  calibrated: boolean;
}

export const METHOD_OFFERS: Record<PageMethod, MethodOffer> = {
  magnitude: { label: "Magnitude pruning", patterns: ["unstructured", "2:4", "4:8"], groups: [], calibrated: false },
  wanda: { label: "Wanda", patterns: ["unstructured", "2:4", "4:8"], groups: [], calibrated: true },
  sparsegpt: { label: "SparseGPT", patterns: ["unstructured", "2:4", "4:8"], groups: [], calibrated: true },
  rtn: { label: "RTN (round to nearest)", patterns: [], groups: [-1, 32, 64, 128], calibrated: false },
  gptq: { label: "GPTQ", patterns: [], groups: [-1, 32, 64, 128], calibrated: true },
  // the joint path is the reference's wbits path: per-row groups, unstructured only (loaders/compress/spec.ts)
  "sparsegpt+gptq": { label: "SparseGPT + GPTQ (joint)", patterns: ["unstructured"], groups: [-1], calibrated: true },
};

export const BITS = [2, 3, 4, 8];
export const SPARSITIES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
export const CALIBRATION_SAMPLES = [8, 16, 32, 64, 128];
export const CALIBRATION_SEQ_LENS = [128, 256, 512];
/** held-out perplexity documents (the stored sweep uses all 200, in windows of 512 tokens) */
export const PERPLEXITY_ITEMS = [2, 10, 50, 200];
/** factoid questions (the stored sweep uses all 3026) */
export const FACTOID_ITEMS = [10, 50, 150, 500, 3026];
export const PERPLEXITY_SEQ_LEN = 512;

export interface PageSettings {
  /** the compression entry handed to the spec parser, as a sweep plan would hold it */
  entry: Record<string, unknown>;
  evaluation: { perplexity: { limit: number; seqLen: number }; factoid: { limit: number } };
}

const DEFAULTS = { method: "magnitude", sparsity: 0.5, bits: 4, group: 128, samples: 128, seqlen: 512, ppl: 10, factoid: 150 };

/** A number when the text is one, else the text itself (so the parser names the bad value). */
const value = (text: string): number | string => (text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text);

const isMethod = (m: string): m is PageMethod => (PAGE_METHODS as readonly string[]).includes(m);

/** The page's settings from its URL parameters; missing ones take the method's defaults. */
export function settingsFromSearch(search: string): PageSettings {
  const p = new URLSearchParams(search);
  const get = (k: keyof typeof DEFAULTS): number | string => (p.has(k) ? value(p.get(k)!) : DEFAULTS[k]);
  const method = p.get("method") ?? DEFAULTS.method;
  const offer = isMethod(method) ? METHOD_OFFERS[method] : null;
  const entry: Record<string, unknown> = { method };
  const pattern = p.get("pattern") ?? (offer?.patterns.length ? "unstructured" : null);
  if (pattern !== null) entry.pattern = pattern;
  if (p.has("sparsity") || (offer?.patterns.length && pattern === "unstructured")) entry.sparsity = get("sparsity");
  if (p.has("bits") || offer?.groups.length) entry.bits = get("bits");
  if (p.has("group") || offer?.groups.length) entry.groupSize = p.has("group") ? get("group") : offer!.groups.includes(DEFAULTS.group) ? DEFAULTS.group : offer!.groups[0];
  if (p.has("samples") || p.has("seqlen") || offer?.calibrated) entry.calibration = { samples: get("samples"), seqLen: get("seqlen") };
  return {
    entry,
    evaluation: { perplexity: { limit: get("ppl") as number, seqLen: PERPLEXITY_SEQ_LEN }, factoid: { limit: get("factoid") as number } },
  };
}

/** URL parameters of settings (the inverse of settingsFromSearch for what the controls produce). */
export function searchOfSettings(s: PageSettings): string {
  const p = new URLSearchParams();
  const e = s.entry;
  p.set("method", String(e.method));
  if (e.pattern !== undefined) p.set("pattern", String(e.pattern));
  if (e.sparsity !== undefined) p.set("sparsity", String(e.sparsity));
  if (e.bits !== undefined) p.set("bits", String(e.bits));
  if (e.groupSize !== undefined) p.set("group", String(e.groupSize));
  const c = e.calibration as { samples: unknown; seqLen: unknown } | undefined;
  if (c) {
    p.set("samples", String(c.samples));
    p.set("seqlen", String(c.seqLen));
  }
  p.set("ppl", String(s.evaluation.perplexity.limit));
  p.set("factoid", String(s.evaluation.factoid.limit));
  return `?${p}`;
}

/** Settings after a control changed: switching method keeps what the new method accepts and drops the rest. */
export function withControl(s: PageSettings, key: string, text: string): PageSettings {
  const p = new URLSearchParams(searchOfSettings(s));
  p.set(key, text);
  if (key === "method" && isMethod(text)) {
    const offer = METHOD_OFFERS[text];
    if (!offer.patterns.includes(p.get("pattern") ?? "")) p.delete("pattern");
    if (!offer.patterns.length) p.delete("sparsity");
    if (!offer.groups.length) (p.delete("bits"), p.delete("group"));
    else if (!offer.groups.includes(Number(p.get("group")))) p.delete("group");
    if (!offer.calibrated) (p.delete("samples"), p.delete("seqlen"));
  }
  if (key === "pattern" && text !== "unstructured") p.delete("sparsity");
  return settingsFromSearch(`?${p}`);
}
