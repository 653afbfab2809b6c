// TaskSpec: which suite, which items, how they are prompted and scored. Validated at the boundary
// (plan files, the eval command), normalised (defaults filled in), and identified by a canonical id
// and a content hash, so a result can always be traced to exactly what was asked.
import { TASK_VERSION } from "../data/tasks/schema.js";
import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "../model/config.js";

export const TASK_NAMES = ["perplexity", "factoid_qa", "mcq", "icr_qa", "summarization", "long_context", "instruction"] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** Default new-token budgets per task (the answers are short; summaries one sentence). */
export const DEFAULT_MAX_NEW_TOKENS: Record<TaskName, number> = {
  perplexity: 0,
  factoid_qa: 16,
  mcq: 1,
  icr_qa: 32, // LLM-KICK's ICRA-QA: 32 new tokens, first line kept
  summarization: 64,
  long_context: 8,
  instruction: 32,
};

const PROMPT = /^(none|hard:[\s\S]+|soft:[A-Za-z0-9._-]+)$/;

export const TaskSpecInput = z
  .object({
    task: z.enum(TASK_NAMES, { error: (i) => `unknown task ${JSON.stringify(i.input)}; known: ${TASK_NAMES.join(", ")}` }),
    /** task suite version (data/tasks/*.jsonl "version") */
    version: z.literal(TASK_VERSION).default(TASK_VERSION),
    /** which split to evaluate (mcq's dev split holds the k-shot examples) */
    split: z.enum(["test", "dev"]).default("test"),
    /** "ci": only the items marked ci: true (40 per task) */
    items: z.enum(["all", "ci"]).default("all"),
    /** the first N items (after the split/items filter), in file order */
    limit: z.number().int().positive().optional(),
    /** mcq only: in-context examples, the first k of the dev split of the same subject */
    k_shot: z.number().int().min(0).max(5).default(0),
    /** mcq: "generate" (LLM-KICK: generate one letter), "loglik" (lm-eval: log-likelihood over A–D),
     *  "cloze" (OLMES cloze formulation: log-likelihood of each option's text, no letters) */
    scoring: z.array(z.enum(["generate", "loglik", "cloze"])).min(1).optional(),
    /** icr_qa: which settings (closed book on factual items; open book on factual / counterfactual passages) */
    settings: z.array(z.enum(["closed", "open_factual", "open_counterfactual"])).min(1).optional(),
    max_new_tokens: z.number().int().positive().max(4096).optional(),
    /** perplexity: tokens per window (default: the model's context, at most 2048) */
    seq_len: z.number().int().min(2).optional(),
    /** 0: greedy decoding (default); > 0: seeded sampling at this temperature (LLM-KICK used 0.7 for free text) */
    temperature: z.number().min(0).max(5).default(0),
    /** none | hard:<text prepended verbatim to every prompt> | soft:<id> (learned soft prompt) */
    prompt: z.string().regex(PROMPT, 'expected "none", "hard:<text>" or "soft:<id>"').default("none"),
    /** bootstrap resamples for the CIs of non-binary metrics */
    bootstrap: z.number().int().min(100).max(100_000).default(1000),
    /** the suites' folder when not kick's own data/tasks (kick tasks import): its content hash (tasks-dir.ts), set from --tasks-dir */
    tasks_sha256: z.string().regex(/^[0-9a-f]{16}$/, "16 hex digits (set from --tasks-dir)").optional(),
  })
  .strict();
export type TaskSpecInput = z.input<typeof TaskSpecInput>;
export type TaskSpec = z.output<typeof TaskSpecInput> & { max_new_tokens: number };

/** Validates a task spec (object or bare task name) and fills in the defaults. `where` names the source in errors. */
export function parseTaskSpec(input: unknown, where = "task spec"): TaskSpec {
  const raw = typeof input === "string" ? { task: input } : input;
  const parsed = TaskSpecInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join(".") || "(spec)";
    throw new Error(`${where}: field "${field}": ${issue.message}`);
  }
  const s = parsed.data;
  const fail = (field: string, msg: string) => {
    throw new Error(`${where}: field "${field}": ${msg}`);
  };
  if (s.k_shot > 0 && s.task !== "mcq") fail("k_shot", `k-shot examples exist only for mcq (task is ${s.task})`);
  if (s.k_shot > 0 && s.split === "dev") fail("k_shot", "k-shot examples come from the dev split, so the evaluated split must be test");
  if (s.scoring && s.task !== "mcq") fail("scoring", `only mcq has scoring modes (task is ${s.task})`);
  if (s.settings && s.task !== "icr_qa") fail("settings", `only icr_qa has settings (task is ${s.task})`);
  if (s.seq_len !== undefined && s.task !== "perplexity") fail("seq_len", `only perplexity takes seq_len (task is ${s.task})`);
  if (s.split === "dev" && s.task !== "mcq") fail("split", `only mcq has a dev split (task is ${s.task})`);
  if (s.items === "ci" && s.split === "dev") fail("items", "ci items are a subset of the test split");
  if (s.task === "perplexity" && s.max_new_tokens !== undefined) fail("max_new_tokens", "perplexity generates nothing");
  const out: TaskSpec = {
    ...s,
    max_new_tokens: s.max_new_tokens ?? DEFAULT_MAX_NEW_TOKENS[s.task],
    ...(s.task === "mcq" ? { scoring: [...new Set(s.scoring ?? ["generate", "loglik"])].sort() as ("generate" | "loglik" | "cloze")[] } : {}),
    ...(s.task === "icr_qa"
      ? { settings: [...new Set(s.settings ?? ["closed", "open_factual", "open_counterfactual"])].sort() as NonNullable<TaskSpec["settings"]> }
      : {}),
  };
  return out;
}

/** Canonical JSON of a normalised spec: sorted keys, defaults present, so equal specs give equal text. */
export const taskSpecJson = (spec: TaskSpec): string => canonicalJson(spec);

/** sha256 of the canonical JSON, 16 hex characters. */
export const taskSpecHash = (spec: TaskSpec): string => createHash("sha256").update(taskSpecJson(spec)).digest("hex").slice(0, 16);

/** A short readable id, e.g. "mcq@1/test/ci/k5/limit20/loglik+generate"; the hash is the key, this is for people. */
export function taskSpecId(spec: TaskSpec): string {
  const parts = [`${spec.task}@${spec.version}`, spec.split, spec.items];
  if (spec.limit !== undefined) parts.push(`limit${spec.limit}`);
  if (spec.task === "mcq") parts.push(`k${spec.k_shot}`, spec.scoring!.join("+"));
  if (spec.task === "icr_qa") parts.push(spec.settings!.join("+"));
  if (spec.seq_len !== undefined) parts.push(`seq${spec.seq_len}`);
  if (spec.task !== "perplexity" && spec.max_new_tokens !== DEFAULT_MAX_NEW_TOKENS[spec.task]) parts.push(`new${spec.max_new_tokens}`);
  if (spec.temperature > 0) parts.push(`t${spec.temperature}`);
  if (spec.tasks_sha256 !== undefined) parts.push(`tasks-${spec.tasks_sha256.slice(0, 8)}`);
  if (spec.prompt !== "none") parts.push(spec.prompt.startsWith("hard:") ? `hard-${createHash("sha256").update(spec.prompt).digest("hex").slice(0, 8)}` : spec.prompt);
  return parts.join("/");
}

/** The results table's prompt column: none | hard | soft:<id>. */
export const promptColumn = (spec: TaskSpec): string => (spec.prompt.startsWith("hard:") ? "hard" : spec.prompt);

/** The text prepended to every prompt ("" for none). Soft prompts are applied by evaluateTask when given a prompts folder. */
export function hardPromptPrefix(spec: TaskSpec): string {
  if (spec.prompt === "none") return "";
  if (spec.prompt.startsWith("hard:")) return spec.prompt.slice("hard:".length);
  throw new Error(
    `task spec field "prompt": soft prompt "${spec.prompt}" requested, but soft prompts are not supported yet ` +
      `by this caller (evaluateTask applies them only when given EvalContext.promptsDir, the folder of loaders/prompt's prompts); use "none" or "hard:<text>"`,
  );
}
