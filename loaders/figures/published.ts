// Figure files for the published LLM-KICK Table 3 chart, one per task, for papers and slides.
import { sparsityChart } from "../../src/components/sparsity-chart.js";
import { loadTable3 } from "../published/llm-kick-table3.js";
import { FIGURE_STYLE, renderSvg } from "./render.js";

export const TABLE3_FIGURE_TASKS: Record<string, string> = {
  factoid_qa: "Factoid QA exact match (%)",
  mmlu: "MMLU accuracy",
  summarization_large_coherence: "Long-story coherence (GPT-4, /10)",
  instruction_following: "Instruction following (GPT-4, /10)",
};

export async function table3FigureSvg(task: string): Promise<string> {
  const label = TABLE3_FIGURE_TASKS[task];
  if (!label) throw new Error(`unknown Table 3 task "${task}"; expected one of ${Object.keys(TABLE3_FIGURE_TASKS).join(", ")}`);
  const rows = (await loadTable3()).filter((row) => row.task === task);
  return renderSvg((document) => sparsityChart(rows, { ...FIGURE_STYLE, label, document, legend: "inline" }));
}
