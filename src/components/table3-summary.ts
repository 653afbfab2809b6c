// A paragraph of Markdown stating what the published LLM-KICK numbers show, computed from the rows
// (so the sentence and the chart can never disagree), then rendered with `marked`.
import { marked } from "marked";

export interface PublishedPoint {
  task: string;
  method: string;
  sparsity: number;
  value: number;
}

const METHOD_NAMES: Record<string, string> = { magnitude: "magnitude", wanda: "Wanda", sparsegpt: "SparseGPT" };

/** Share of the dense (0%) score kept by each method at `sparsity`, for one task. */
export function retention(rows: readonly PublishedPoint[], task: string, sparsity: number): Map<string, number> {
  const result = new Map<string, number>();
  for (const method of Object.keys(METHOD_NAMES)) {
    const at = (s: number) => rows.find((r) => r.task === task && r.method === method && r.sparsity === s)?.value;
    const dense = at(0);
    const pruned = at(sparsity);
    if (dense !== undefined && pruned !== undefined && dense !== 0) result.set(method, pruned / dense);
  }
  return result;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

function sentence(rows: readonly PublishedPoint[], task: string, label: string, sparsity: number): string {
  const kept = retention(rows, task, sparsity);
  if (kept.size === 0) return "";
  const parts = [...kept].map(([method, share]) => `${METHOD_NAMES[method]} keeps **${pct(share)}**`);
  return `At ${sparsity}% unstructured sparsity, on ${label}, ${parts.join(", ")} of the dense score.`;
}

export function table3Markdown(rows: readonly PublishedPoint[], sparsity = 50): string {
  const lines = [
    sentence(rows, "factoid_qa", "closed-book factoid QA", sparsity),
    sentence(rows, "mmlu", "MMLU", sparsity),
  ].filter(Boolean);
  if (lines.length === 0) return "_No published rows to summarise._";
  return `${lines.join(" ")} LLM-KICK counts a compressed model as *matching* only when it keeps at least 95%.`;
}

export function table3Html(rows: readonly PublishedPoint[], sparsity = 50): string {
  return marked.parse(table3Markdown(rows, sparsity), { async: false });
}

/** The front page's queries over the published table (`table3`): every point, and one task's chart. */
export const TABLE3_SUMMARY_SQL = `SELECT task, method, sparsity, value FROM table3`;
export const TABLE3_DEFAULT_TASK = "factoid_qa";
export const table3Sql = (task: string) => `SELECT method, sparsity, value FROM table3 WHERE task = '${task.replaceAll("'", "''")}' ORDER BY method, sparsity`;
