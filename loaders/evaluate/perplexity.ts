// Perplexity on held-out text, by the reference recipe (GPTQ / SparseGPT / LLM-KICK's lib/eval.py):
// the documents of a source are joined with "\n\n" and tokenized as one stream, cut into
// non-overlapping windows of seq_len tokens (the remainder shorter than a window is dropped), and
// perplexity = exp(mean over windows of the window's mean token NLL). Reported per held-out source and
// for all windows together ("all"), with the window length recorded. The interval is a seeded bootstrap
// over windows of the mean NLL, mapped through exp.
import { type EvalContext, type ExampleOut, expRow, groupBy, infoRow, logLikelihoods, meanRow, type MetricRow, subSeed, type TaskResult } from "./common.js";
import { klDivergenceRows } from "./kl-divergence.js";
import { selectItems } from "./suite.js";
import { hardPromptPrefix, type TaskSpec } from "./task-spec.js";

/** Mean NLL of each window after the prompt tokens (at least the first token is context), batched. */
async function windowNlls(ctx: EvalContext, windows: number[][], prefix: number[], onProgress: (done: number) => void): Promise<number[]> {
  const from = Math.max(prefix.length, 1);
  const requests = windows.map((w) => {
    const seq = [...prefix, ...w];
    return { context: seq.slice(0, from), continuation: seq.slice(from) };
  });
  const { scores } = await logLikelihoods(ctx, requests, onProgress);
  return scores.map((s, i) => -s.logLikelihood / requests[i].continuation.length);
}

export async function evaluatePerplexity(spec: TaskSpec, ctx: EvalContext): Promise<TaskResult> {
  const items = selectItems({ ...spec, task: "perplexity" }, ctx.tasksDir);
  const prefixText = hardPromptPrefix(spec);
  const prefix = prefixText ? ctx.tokenizer.encode(prefixText) : [];
  const limit = ctx.model.spec.maxPositions;
  const seqLen = spec.seq_len ?? Math.min(limit, 2048) - prefix.length;
  if (seqLen < 2) throw new Error(`perplexity: the hard prompt takes ${prefix.length} of the model's ${limit} positions, leaving no window`);
  if (seqLen + prefix.length > limit) {
    throw new Error(`perplexity: field "seq_len": ${seqLen}${prefix.length ? ` + ${prefix.length} prompt tokens` : ""} exceeds the model's context of ${limit} tokens`);
  }
  const bySource = groupBy(items, (x) => x.source);
  const results: MetricRow[] = [];
  const examples: ExampleOut[] = [];
  const all: number[] = [];
  let tokens = 0;
  let done = 0;
  const streams = [...bySource].map(([source, docs]) => {
    const stream = ctx.tokenizer.encode(docs.map((d) => d.text).join("\n\n"));
    const windows: number[][] = [];
    for (let w = 0; w + 1 <= Math.floor(stream.length / seqLen); w++) windows.push(stream.slice(w * seqLen, (w + 1) * seqLen));
    return { source, windows, streamTokens: stream.length };
  });
  const total = streams.reduce((a, s) => a + s.windows.length, 0);
  if (total === 0) throw new Error(`perplexity: no source has one window of ${seqLen} tokens; lower seq_len or select more items`);
  const row = (subset: string, nlls: number[]) => expRow(meanRow(subset, "perplexity", nlls, subSeed(ctx.seed, `perplexity/${subset}`), spec.bootstrap));
  for (const { source, windows, streamTokens } of streams) {
    if (windows.length === 0) {
      results.push(infoRow(source, "windows", 0, 0));
      continue;
    }
    const nlls = await windowNlls(ctx, windows, prefix, (n) => ctx.onProgress?.(done + n, total));
    done += windows.length;
    nlls.forEach((nll, i) => examples.push({ example_id: `${source}/window/${i}`, prediction: "", reference: "", correct: null, logprob: -nll }));
    results.push(row(source, nlls), infoRow(source, "stream_tokens", streamTokens, streamTokens));
    all.push(...nlls);
    tokens += windows.length * (seqLen + prefix.length);
  }
  results.push(row("all", all), infoRow("all", "seq_len", seqLen, all.length));
  // against the dense model of the same weights (a compressed run in a sweep); a hard prompt changes the
  // context the dense log-probs were computed in, so none then
  if (ctx.dense && prefix.length === 0) results.push(...(await klDivergenceRows(ctx, streams, spec.bootstrap)));
  return { task: "perplexity", results, examples, tokens };
}
