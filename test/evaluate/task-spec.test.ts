// TaskSpec validation, defaults, canonical id and hash, and clear errors.
import { TASK_VERSION } from "../../loaders/data/tasks/schema.js";
import { describe, expect, it } from "vitest";
import { evaluateTask } from "../../loaders/evaluate/index.js";
import { hardPromptPrefix, parseTaskSpec, taskSpecHash, taskSpecId, taskSpecJson } from "../../loaders/evaluate/task-spec.js";
import { OracleModel } from "./oracle.js";

describe("TaskSpec", () => {
  it("fills defaults; the canonical JSON and hash do not depend on key order or spelled-out defaults", () => {
    const a = parseTaskSpec({ task: "mcq", k_shot: 5, items: "ci" });
    const b = parseTaskSpec({ items: "ci", scoring: ["loglik", "generate"], k_shot: 5, task: "mcq", split: "test", prompt: "none" });
    expect(a).toMatchObject({ task: "mcq", version: TASK_VERSION, split: "test", k_shot: 5, max_new_tokens: 1, temperature: 0, prompt: "none", scoring: ["generate", "loglik"] });
    expect(taskSpecJson(a)).toBe(taskSpecJson(b));
    expect(taskSpecHash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(taskSpecHash(a)).toBe(taskSpecHash(b));
    expect(taskSpecHash(parseTaskSpec({ task: "mcq", k_shot: 4, items: "ci" }))).not.toBe(taskSpecHash(a));
    expect(taskSpecId(a)).toBe(`mcq@${TASK_VERSION}/test/ci/k5/generate+loglik`);
    expect(parseTaskSpec("factoid_qa")).toEqual(parseTaskSpec({ task: "factoid_qa" }));
  });

  it("names the field and value of a bad spec", () => {
    expect(() => parseTaskSpec({ task: "trivia" }, "plan p.json: tasks[2]")).toThrow(/plan p\.json: tasks\[2\]: field "task": unknown task "trivia"; known: perplexity, factoid_qa/);
    expect(() => parseTaskSpec({ task: "factoid_qa", k_shot: 3 })).toThrow(/field "k_shot": k-shot examples exist only for mcq/);
    expect(() => parseTaskSpec({ task: "mcq", k_shot: 9 })).toThrow(/field "k_shot"/);
    expect(() => parseTaskSpec({ task: "mcq", shots: 3 })).toThrow(/shots/);
    expect(() => parseTaskSpec({ task: "mcq", prompt: "hard" })).toThrow(/field "prompt": expected "none", "hard:<text>" or "soft:<id>"/);
    expect(() => parseTaskSpec({ task: "perplexity", max_new_tokens: 3 })).toThrow(/field "max_new_tokens"/);
    expect(() => parseTaskSpec({ task: "icr_qa", scoring: ["loglik"] })).toThrow(/field "scoring": only mcq/);
  });

  it("accepts hard prompts verbatim and refuses soft prompts clearly, before any work", async () => {
    expect(hardPromptPrefix(parseTaskSpec({ task: "mcq", prompt: "hard:Be careful.\n" }))).toBe("Be careful.\n");
    const soft = parseTaskSpec({ task: "mcq", prompt: "soft:c4-100" });
    const model = new OracleModel();
    await expect(evaluateTask(soft, { model, tokenizer: model.tokenizer, seed: 0 })).rejects.toThrow(/soft prompt "soft:c4-100" requested, but soft prompts are not supported yet/);
    expect(model.forwards).toBe(0);
  });
});
