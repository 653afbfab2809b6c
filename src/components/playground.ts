// The playground: a question from the task suites (or typed), answered greedily by the dense model and a compressed
// variant in the reader's browser (onnxruntime-web), side by side with the reference answer, per-token
// probabilities, model size and tokens/s. Plain DOM, so the page stays a few lines.
import { Tokenizer } from "@huggingface/tokenizers";
import { type BackendChoice, type GenerationResult, chooseBackend, greedyGenerate, loadSession } from "./playground-runtime.js";

export interface PlaygroundManifest {
  model: { label: string; architecture: string; parameters: number; layers: number; hidden: number; vocab: number };
  maxPositions: number;
  maxNewTokens: number;
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  eosTokenIds: number[];
  tokenizerConfig: Record<string, unknown>;
  promptTemplate: string;
  variants: { id: string; file: string; label: string; bits: number; groupSize: number | null; bytes: number }[];
  /** how the 4-bit variant was made (spec id of kick's quantizer, embedding treatment) */
  quantization: { id: string; embedding: string };
  questions: { id: string; task: string; question: string; prompt: string; answer: string; promptTokens: number }[];
}

export interface PlaygroundOptions {
  manifest: PlaygroundManifest;
  /** model file name → URL (FileAttachment(...).href) */
  files: Record<string, string>;
  tokenizerJson: Record<string, unknown>;
  /** false: wasm even when WebGPU is there (the page's ?backend=wasm) */
  allowWebGpu?: boolean;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

const kb = (bytes: number) => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} KB`);

export function playground(opts: PlaygroundOptions): HTMLElement {
  const { manifest } = opts;
  const tokenizer = new Tokenizer(opts.tokenizerJson, { ...manifest.tokenizerConfig, chat_template: undefined });
  const root = el("div", { className: "kick-playground" });
  const backendNote = el("p", { className: "kick-pg-backend" }, "Checking for WebGPU…");
  const question = el("select", { className: "kick-pg-question" });
  manifest.questions.forEach((q, i) => question.append(el("option", { value: String(i) }, `${q.question}`)));
  const custom = el("input", { className: "kick-pg-custom", type: "text", placeholder: "…or type your own question", size: 60 });
  const variant = el("select", { className: "kick-pg-variant" });
  for (const v of manifest.variants.filter((v) => v.id !== "dense")) variant.append(el("option", { value: v.id }, v.label));
  const run = el("button", { className: "kick-pg-run", type: "button", disabled: true }, "Answer with both models");
  const prompt = el("pre", { className: "kick-pg-prompt" });
  const reference = el("p", { className: "kick-pg-reference" });
  const results = el("div", { className: "kick-pg-results grid grid-cols-2" });
  const error = el("p", { className: "kick-pg-error" });
  root.append(
    backendNote,
    el("p", {}, el("label", {}, "Question from the task suites (factoid QA, CI items): ", question)),
    el("p", {}, custom),
    el("p", {}, el("label", {}, "Compressed variant: ", variant), " ", run),
    prompt,
    reference,
    results,
    error,
  );

  let choice: BackendChoice | null = null;
  chooseBackend(opts.allowWebGpu ?? true).then((c) => {
    choice = c;
    backendNote.textContent = `onnxruntime-web: ${c.reason}.`;
    backendNote.dataset.backend = c.backend;
    run.disabled = false;
  });

  const column = (variantId: string, title: string) => {
    const v = manifest.variants.find((x) => x.id === variantId)!;
    const box = el("div", { className: "card kick-pg-result" });
    box.dataset.variant = variantId;
    box.append(el("h3", {}, title), el("p", { className: "kick-pg-size" }, `${v.label} · model file ${kb(v.bytes)}`));
    const answer = el("p", { className: "kick-pg-answer" }, "…");
    const tokens = el("div", { className: "kick-pg-tokens" });
    const timing = el("p", { className: "kick-pg-timing" });
    box.append(answer, tokens, timing);
    results.append(box);
    return { v, box, answer, tokens, timing };
  };

  async function answerWith(col: ReturnType<typeof column>, ids: number[]): Promise<GenerationResult> {
    const url = opts.files[col.v.file];
    if (!url) throw new Error(`no URL for model file ${col.v.file}`);
    col.timing.textContent = `loading ${kb(col.v.bytes)}…`;
    const { session, bytes, loadMs } = await loadSession(url, choice!.backend);
    const result = await greedyGenerate(session, manifest, ids, {
      maxNewTokens: manifest.maxNewTokens,
      eosTokenIds: manifest.eosTokenIds,
      onToken: (step) => {
        const text = tokenizer.decode([step.id], { skip_special_tokens: false });
        const chip = el("span", { className: "kick-pg-token", title: `token ${step.id}: p = ${step.prob.toFixed(4)}` }, `${JSON.stringify(text)} ${step.prob.toFixed(2)}`);
        chip.style.cssText = `display:inline-block;margin:1px;padding:0 3px;border-radius:3px;font:12px monospace;background:rgba(70,130,180,${(0.15 + 0.85 * step.prob).toFixed(2)})`;
        col.tokens.append(chip);
      },
    });
    const newIds = result.steps.map((s) => s.id);
    // The models keep writing past the answer ("\nQ: …", as in their training text): the answer is the first line;
    // every generated token is still shown below with its probability.
    const full = tokenizer.decode(newIds, { skip_special_tokens: true });
    col.answer.textContent = full.split("\n")[0].trim() || "(empty)";
    col.answer.title = full;
    col.box.dataset.tokens = newIds.join(",");
    col.box.dataset.tokensPerSecond = result.tokensPerSecond.toFixed(2);
    col.timing.textContent =
      `${result.steps.length} tokens (${result.stoppedBy === "eos" ? "stopped at end of sequence" : "length limit"}) in ${result.ms.toFixed(0)} ms: ` +
      `${result.tokensPerSecond.toFixed(1)} tokens/s (prompt ${result.promptMs.toFixed(0)} ms) · loaded ${kb(bytes)} in ${loadMs.toFixed(0)} ms · ${choice!.backend}`;
    return result;
  }

  run.addEventListener("click", async () => {
    run.disabled = true;
    delete root.dataset.state;
    error.textContent = "";
    results.replaceChildren();
    const typed = custom.value.trim();
    const item = typed ? null : manifest.questions[Number(question.value)];
    const text = item ? item.prompt : manifest.promptTemplate.replace("{question}", typed);
    prompt.textContent = text;
    reference.textContent = item ? `Reference answer: ${item.answer}` : "Reference answer: (typed question: none)";
    try {
      const ids = tokenizer.encode(text, { add_special_tokens: true }).ids;
      if (ids.length + manifest.maxNewTokens > manifest.maxPositions) {
        throw new Error(`the prompt has ${ids.length} tokens; this model takes at most ${manifest.maxPositions - manifest.maxNewTokens} before generating ${manifest.maxNewTokens}`);
      }
      const dense = column("dense", "Dense");
      const compressed = column(variant.value, "Compressed");
      // one after the other, so tokens/s are not shared between two running models
      await answerWith(dense, ids);
      await answerWith(compressed, ids);
      root.dataset.state = "done";
    } catch (e) {
      error.textContent = `Could not run the models: ${(e as Error).message}`;
      root.dataset.state = "error";
    } finally {
      run.disabled = false;
    }
  });
  return root;
}
