// Non-finite numbers are never results: a NaN weight, or an overflow inside the forward pass, must fail the
// work loudly instead of turning into a plausible perplexity or an accuracy of 0 (softmax, argmax and the
// evaluators' comparisons all silently absorb NaN). Weights are checked as they are read (safetensors.ts);
// a model's outputs through `finiteOutputs`, which evaluation wraps around every model it scores.
import type { BatchDecodeSession, CausalLM, DecodeSession } from "./causal-lm.js";

/** Index of the first NaN or ±Infinity in `data`, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** A model produced NaN or ±Infinity: the work that needed it must fail, not be recorded. */
export class NonFiniteError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "NonFiniteError";
  }
}

/** Throws a NonFiniteError naming `what` and the first bad value's position in a [rows, vocab] array. */
export function checkFiniteLogits(data: Float32Array, vocab: number, what: string): void {
  const i = firstNonFinite(data);
  if (i < 0) return;
  throw new NonFiniteError(`${what}: logit ${data[i]} at row ${Math.floor(i / vocab)}, token id ${i % vocab} (non-finite logits: NaN weights or an overflow in the forward pass)`);
}

function checkFiniteNumber(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new NonFiniteError(`${what} is ${value} (non-finite logits: NaN weights or an overflow in the forward pass)`);
  return value;
}

/**
 * The same model, except that every output (logits of forward and of both decode sessions, scored targets,
 * window NLLs) is checked and a non-finite one throws a NonFiniteError. Other members pass through unchanged.
 */
export function finiteOutputs<M extends CausalLM>(model: M): M {
  const guard = (name: string, value: unknown): unknown => {
    if (typeof value !== "function") return value;
    const fn = value as (...args: unknown[]) => unknown;
    switch (name) {
      case "forward":
        return async (...args: unknown[]) => {
          const out = await (fn.apply(model, args) as ReturnType<CausalLM["forward"]>);
          checkFiniteLogits(out.data, out.vocab, "forward");
          return out;
        };
      case "startDecode":
      case "startBatchDecode":
        return (...args: unknown[]) => {
          const session = fn.apply(model, args) as DecodeSession | BatchDecodeSession;
          const feed = session.feed.bind(session) as (...a: unknown[]) => Promise<Float32Array>;
          const vocab = model.spec.vocabSize;
          return {
            ...("rows" in session ? { rows: session.rows } : {}),
            feed: async (...a: unknown[]) => {
              const logits = await feed(...a);
              checkFiniteLogits(logits, vocab, `${name} feed`);
              return logits;
            },
            close: () => session.close(),
          };
        };
      case "scoreTargets":
        return async (...args: unknown[]) => {
          const scored = await (fn.apply(model, args) as ReturnType<NonNullable<CausalLM["scoreTargets"]>>);
          scored.forEach((s, i) => checkFiniteNumber(s.logProb, `scoreTargets: log-probability of pick ${i}`));
          return scored;
        };
      case "windowNll":
        return async (...args: unknown[]) => checkFiniteNumber(await (fn.apply(model, args) as Promise<number>), "windowNll: the window's mean NLL");
      default:
        return fn.bind(model);
    }
  };
  return new Proxy(model, { get: (target, prop) => guard(String(prop), Reflect.get(target, prop, target)) });
}
