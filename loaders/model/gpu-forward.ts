/**
 * The transformer on WebGPU: one implementation of the canonical layout (Llama, Mistral, Qwen2/3, OPT, GPT-2,
 * Gemma 2/3, Phi-3)
 * built from kernels/ ops, checked against ReferenceModel and HF's logits. Implements CausalLM (batched
 * forward with padding masks, per-linear input hooks) plus the GPU fast paths generate.ts uses when present:
 * `startDecode` / `startBatchDecode` (a KV cache for one or many sequences: each step runs only the new
 * tokens), `windowNll` and `scoreTargets` (perplexity and log-likelihoods with the cross-entropy on the GPU, so
 * the [T, vocab] logits are never read back).
 */
import {
  add, argmaxRows, attention, createContext, crossEntropy, embedding, layerNorm, matmul, mul, rmsNorm, rope,
  scale, swiglu, geglu, toF16, unary, Tensor, type GpuContext, type RopeTables, attentionWindow, copyRange,
  copyBlock, viewAs,
} from "../../kernels/index.js";
import { checkBatch, positionIds, prefixLength } from "./causal-lm.js";
import type { BatchDecodeSession, CausalLM, DecodeOptions, DecodeSession, ForwardOptions, LinearSite, Logits, TargetPick, TokenBatch } from "./causal-lm.js";
import { layerWindow, type ModelSpec } from "./config.js";
import { GpuWeights, planResidency } from "./gpu-weights.js";
import { checkPrecision, HalfWeights, type Precision } from "./half-weights.js";
import { openModel } from "./load.js";
import { ropeInverseFrequencies } from "./reference-forward.js";
import type { LinearName } from "./weights.js";
import type { CheckpointWeights } from "./weights.js";

export interface GpuModelOptions {
  /** a context to share (kept open on dispose); default: a new one, destroyed on dispose */
  ctx?: GpuContext;
  /** stream layers from disk instead of keeping all weights on the GPU */
  stream?: boolean;
  /** GPU memory available to the model in bytes (default: KICK_GPU_MEMORY, or free RAM for software Vulkan) */
  memoryBytes?: number;
  /** the most tokens one forward will see, for the memory check (default min(maxPositions, 2048)) */
  maxTokens?: number;
  /**
   * "f16": the linear layers and the LM head multiply f16 copies of the weights by f16 copies of their inputs
   * with f32 accumulation (tensor cores where the adapter has them); norms, attention, the residual stream and
   * the logits stay f32. Compression's calibration forwards always run in f32. Default "f32".
   */
  precision?: Precision;
}

/** Per-forward state shared by the layers. */
interface Step {
  B: number;
  T: number;
  N: number;
  /** u32 [B·T] positions for rope (null for learned positions) */
  positions: Tensor | null;
  /** u32 [B, S] key mask (S: the keys attention reads, see KeySpan), absent when none is masked */
  keyMask?: Tensor;
  /** with a cache: which keys attention reads */
  keys?: KeySpan;
  /** rows of the real tokens in the flattened batch (for hooks) */
  realRows: number[];
  cache?: KvCache;
  hook?: ForwardOptions["onLinearInput"];
  /** calibrationLayer: linear inputs handed over as GPU tensors */
  gpuHook?: GpuLinearHook;
  /** the matmuls' operand precision for this forward */
  precision: Precision;
}

/** Sees a linear layer's input [B·T, in] on the GPU; the tensor is valid during the call only. */
export type GpuLinearHook = (site: LinearSite, input: Tensor) => void | Promise<void>;

/**
 * Keys and values of every layer for B sequences decoded in lockstep, [B, capacity, Hkv, D] each, slots
 * [0, length) filled in every row. Padding slots (first feed only) are 0 in `mask`.
 */
interface KvCache {
  k: Tensor[];
  v: Tensor[];
  B: number;
  capacity: number;
  length: number;
  /** [B, capacity]: 1 = a token's slot */
  mask: Uint32Array;
  /** tokens per row so far: the next token's position */
  real: number[];
}

/**
 * The keys attention reads for a feed of T tokens per row (S = length + T):
 * - "fresh": the first feed: this feed's own keys (nothing cached before);
 * - "prefix": one row: the cache's first S slots (a contiguous view);
 * - "capacity": one token per row: every slot, the unfilled ones masked (no copy; the query is last anyway);
 * - "gather": otherwise (several rows and tokens, or a sliding window): the first S slots copied out.
 */
type KeySpan = "fresh" | "prefix" | "capacity" | "gather";

export class GpuCausalLM implements CausalLM {
  private rope: RopeTables | null = null;
  /** the sliding layers' rope tables when their base differs (Gemma 3) */
  private ropeLocal: RopeTables | null = null;

  private constructor(
    readonly spec: ModelSpec,
    readonly ctx: GpuContext,
    private readonly weights: GpuWeights,
    private readonly ownsCtx: boolean,
    private readonly source: CheckpointWeights,
    private readonly ownsSource: boolean,
    readonly precision: Precision,
    /** f16 weight copies (precision f16 only) */
    private readonly half: HalfWeights | null,
  ) {}

  /** Opens a checkpoint directory (validated before any GPU work) and uploads its weights. */
  static async open(dir: string, opts: GpuModelOptions = {}): Promise<GpuCausalLM> {
    const opened = await openModel(dir);
    try {
      return await GpuCausalLM.create(opened.spec, opened.weights, opts, true);
    } catch (e) {
      await opened.weights.close();
      throw e;
    }
  }

  static async create(spec: ModelSpec, source: CheckpointWeights, opts: GpuModelOptions = {}, ownsSource = false): Promise<GpuCausalLM> {
    const ctx = opts.ctx ?? (await createContext());
    const precision = opts.precision ?? "f32";
    try {
      checkPrecision(ctx, precision);
      const residency = planResidency(ctx, spec, { stream: opts.stream, memoryBytes: opts.memoryBytes, tokens: opts.maxTokens, halfCopies: precision === "f16" });
      const weights = await GpuWeights.load(ctx, source, residency);
      const half = precision === "f16" ? new HalfWeights(ctx, residency === "resident") : null;
      return new GpuCausalLM(spec, ctx, weights, !opts.ctx, source, ownsSource, precision, half);
    } catch (e) {
      if (!opts.ctx) await ctx.destroy();
      throw e;
    }
  }

  // ---- compression (loaders/compress/driver.ts) ----------------------------------------------
  // The reference pipeline's order (SparseGPT's llama_sequential): the driver keeps the hidden
  // states entering the current layer for every calibration batch on the GPU, runs that one layer
  // to gather statistics, compresses it, runs it again to get the next layer's inputs: two layer
  // passes per layer, not a forward through layers 0..l for each l.

  /** The hidden states entering layer 0 of a calibration batch (full-length sequences), [B·T, hidden] on the GPU. */
  calibrationInputs(ids: number[][]): Tensor {
    const { mask } = checkBatch({ ids }, this.spec.vocabSize);
    const step = this.prepare(ids, mask);
    step.precision = "f32"; // calibration statistics stay f32 whatever the evaluation's precision
    try {
      return this.embed(ids, step);
    } finally {
      this.endStep(step);
    }
  }

  /**
   * Decoder layer l on x, the hidden states entering it for the batch `ids`; each linear input is
   * handed to `hook` on the GPU. Returns the layer's output; x is consumed unless `keep`.
   */
  async calibrationLayer(ids: number[][], l: number, x: Tensor, hook: GpuLinearHook | null, keep: boolean): Promise<Tensor> {
    const { mask } = checkBatch({ ids }, this.spec.vocabSize);
    const step = this.prepare(ids, mask);
    step.precision = "f32";
    if (hook) step.gpuHook = hook;
    let input = x;
    if (keep) {
      input = this.ctx.empty(x.shape);
      copyRange(this.ctx, x, 0, input, 0, x.size);
    }
    try {
      const lw = await this.weights.layer(l);
      try {
        return await this.block(l, input, step, lw.w);
      } finally {
        lw.done();
      }
    } finally {
      this.endStep(step);
    }
  }

  /** Overwrites a resident weight (canonical name) in place: every later forward uses the new values. */
  replaceWeight(name: string, data: Float32Array): void {
    if (this.weights.residency !== "resident") throw new Error(`replaceWeight(${name}): the model streams its layers from disk; compression needs it resident`);
    const t = this.weights.get(name);
    if (t.size !== data.length) throw new Error(`replaceWeight(${name}): ${data.length} values for a tensor of shape [${t.shape.join(", ")}]`);
    this.ctx.flush(); // recorded commands still read the old values
    this.ctx.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    this.half?.invalidate(t);
  }

  get residency() {
    return this.weights.residency;
  }

  async dispose(): Promise<void> {
    this.half?.release();
    this.weights.release();
    for (const r of [this.rope, this.ropeLocal]) {
      r?.cos.release();
      r?.sin.release();
    }
    if (this.ownsSource) await this.source.close();
    if (this.ownsCtx) await this.ctx.destroy();
  }

  // ---- CausalLM ---------------------------------------------------------------------------------
  async forward(batch: TokenBatch, opts: ForwardOptions = {}): Promise<Logits> {
    const { B, T, mask } = checkBatch(batch, this.spec.vocabSize);
    const P = prefixLength(opts, this.spec.hiddenSize, T, mask);
    const step = this.prepare(batch.ids, mask, opts.onLinearInput);
    try {
      const prefix = P ? { embeds: opts.prefixEmbeds!, P, B, T } : undefined;
      const logits = this.head(await this.hidden(batch.ids, step, prefix), step);
      const data = await this.ctx.readF32(logits);
      logits.release();
      return { data, batch: B, length: T, vocab: this.spec.vocabSize };
    } finally {
      this.endStep(step);
    }
  }

  /**
   * Mean NLL of tokens[from..] each predicted from the tokens before it (generate.ts's window recipe), with
   * the log-softmax and gather on the GPU: only T losses come back.
   */
  async windowNll(tokens: number[], from: number): Promise<number> {
    const { mask } = checkBatch({ ids: [tokens] }, this.spec.vocabSize);
    const T = tokens.length;
    const start = Math.max(from, 1);
    if (start >= T) throw new Error(`windowNll: nothing to score (from ${from}, ${T} tokens)`);
    // row r predicts token r + 1; rows before start - 1 and the last row are ignored (loss 0)
    const targets = new Uint32Array(T).fill(0xffffffff);
    for (let r = start - 1; r < T - 1; r++) targets[r] = tokens[r + 1];
    const step = this.prepare([tokens], mask);
    let l: Float32Array;
    try {
      const logits = this.head(await this.hidden([tokens], step), step);
      const tg = this.ctx.upload(targets, [T]);
      const loss = crossEntropy(this.ctx, logits, tg);
      l = await this.ctx.readF32(loss);
      [logits, tg, loss].forEach((t) => t.release());
    } finally {
      this.endStep(step);
    }
    let sum = 0;
    for (let r = start - 1; r < T - 1; r++) sum += l[r];
    return sum / (T - start);
  }

  /**
   * For each pick, log p(target) after the row's tokens up to `position`, and whether target is the argmax:
   * only the picked rows go through the LM head, and only two numbers per pick come back.
   */
  async scoreTargets(batch: TokenBatch, picks: readonly TargetPick[]): Promise<{ logProb: number; isArgmax: boolean }[]> {
    const { T, mask } = checkBatch(batch, this.spec.vocabSize);
    if (picks.length === 0) return [];
    for (const p of picks)
      if (!(p.row >= 0 && p.row < batch.ids.length && p.position >= 0 && p.position < T && mask[p.row][p.position]))
        throw new Error(`scoreTargets: pick (row ${p.row}, position ${p.position}) is not a token of the batch`);
    checkBatch({ ids: [picks.map((p) => p.target)] }, this.spec.vocabSize);
    const step = this.prepare(batch.ids, mask);
    try {
      const x = await this.hidden(batch.ids, step);
      const rows = this.ctx.upload(Uint32Array.from(picks, (p) => p.row * T + p.position), [picks.length]);
      const picked = embedding(this.ctx, x, rows); // a row gather
      [x, rows].forEach((t) => t.release());
      const logits = this.head(picked, step);
      const tg = this.ctx.upload(Uint32Array.from(picks, (p) => p.target), [picks.length]);
      const nll = crossEntropy(this.ctx, logits, tg);
      const am = argmaxRows(this.ctx, logits);
      const l = await this.ctx.readF32(nll);
      const a = (await this.ctx.read(am)) as Uint32Array;
      [logits, tg, nll, am].forEach((t) => t.release());
      return picks.map((p, i) => ({ logProb: -l[i], isArgmax: a[i] === p.target }));
    } finally {
      this.endStep(step);
    }
  }

  /** A KV-cached decoding session for one sequence of at most `capacity` tokens (a batch of one row). */
  readonly decodePrefix = true;

  startDecode(capacity: number, opts: DecodeOptions = {}): DecodeSession {
    const session = this.startBatchDecode(1, capacity, opts);
    return { feed: (tokens: number[]) => session.feed([tokens]), close: () => session.close() };
  }

  /**
   * KV-cached decoding of `rows` sequences in lockstep, each of at most `capacity` slots (padding included).
   * The first feed may be padded (mask); with `prefixEmbeds` its first P positions take the soft prompt.
   */
  startBatchDecode(rows: number, capacity: number, opts: DecodeOptions = {}): BatchDecodeSession {
    const s = this.spec;
    const pre = opts.prefixEmbeds;
    const P = pre ? pre.length / s.hiddenSize : 0;
    if (pre && (!Number.isInteger(P) || P < 1)) throw new Error(`prefixEmbeds: ${pre.length} values are not [P, ${s.hiddenSize}]`);
    if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(capacity) || capacity < 1)
      throw new Error(`decode: rows (${rows}) and capacity (${capacity}) must be positive integers`);
    const shape = [rows, capacity, s.numKvHeads, s.headDim];
    const cache: KvCache = {
      k: Array.from({ length: s.numLayers }, () => this.ctx.empty(shape)),
      v: Array.from({ length: s.numLayers }, () => this.ctx.empty(shape)),
      B: rows,
      capacity,
      length: 0,
      mask: new Uint32Array(rows * capacity),
      real: new Array<number>(rows).fill(0),
    };
    let closed = false;
    return {
      rows,
      feed: async (ids: number[][], mask?: number[][]) => {
        if (closed) throw new Error("decode session closed");
        if (ids.length !== rows) throw new Error(`decode: ${ids.length} rows fed to a session of ${rows}`);
        const T = ids[0]?.length ?? 0;
        if (T === 0) throw new Error("decode: feed at least one token");
        if (cache.length + T > capacity) throw new Error(`decode: ${cache.length + T} tokens exceed the session's capacity ${capacity}`);
        if (mask && cache.length > 0) throw new Error("decode: a mask (padding) is allowed on the first feed only");
        const m = checkBatch({ ids, attentionMask: mask }, s.vocabSize).mask;
        const first = cache.length === 0;
        if (first && P > T) throw new Error(`decode: the first feed has ${T} tokens, fewer than the ${P} prefix positions`);
        if (first && P) prefixLength({ prefixEmbeds: pre }, s.hiddenSize, T, m);
        const step = this.prepare(ids, m, undefined, cache);
        try {
          const x = await this.hidden(ids, step, first && P ? { embeds: pre!, P, B: rows, T } : undefined);
          // only each row's last position goes through the LM head
          let last = x;
          if (T > 1) {
            const h = s.hiddenSize;
            last = this.ctx.empty([rows, h]);
            copyBlock(this.ctx, 1, h, { t: x, off: (T - 1) * h, ld: h }, { t: last, off: 0, ld: h }, { count: rows, s: T * h, d: h });
            x.release();
          }
          const logits = this.head(last, step);
          const data = await this.ctx.readF32(logits);
          logits.release();
          cache.length += T;
          m.forEach((r, b) => (cache.real[b] += r.filter((v) => v).length));
          return data;
        } finally {
          this.endStep(step);
        }
      },
      close: () => {
        if (closed) return;
        closed = true;
        [...cache.k, ...cache.v].forEach((t) => t.release());
      },
    };
  }

  /** Which keys a feed of T tokens per row reads (see KeySpan), and how many. */
  private keySpan(cache: KvCache, T: number): { keys: KeySpan; S: number } {
    const { B, length, capacity } = cache;
    const window = this.spec.slidingWindow;
    if (length === 0) return { keys: "fresh", S: T };
    if (B === 1) return { keys: "prefix", S: length + T };
    // the window kernel puts the query at slot S - 1, so the capacity view is only for windows that cover it
    if (T === 1 && (window === null || window >= capacity)) return { keys: "capacity", S: capacity };
    return { keys: "gather", S: length + T };
  }

  // ---- the transformer ------------------------------------------------------------------------
  private prepare(ids: number[][], mask: number[][], hook?: ForwardOptions["onLinearInput"], cache?: KvCache): Step {
    const s = this.spec;
    const B = ids.length, T = ids[0].length, N = B * T;
    const pos = mask.map(positionIds).map((row, b) => row.map((p) => p + (cache?.real[b] ?? 0)));
    // a loop, not Math.max(...pos.flat()): a prefill of B × T > ~125k tokens (kick-s's default batch on
    // long_context / summarization) overflows the stack when spread into a call
    let maxPos = 0;
    for (const row of pos) for (const p of row) if (p + 1 > maxPos) maxPos = p + 1;
    if (s.positions.type === "learned" && maxPos > s.maxPositions)
      throw new Error(`position ${maxPos - 1} is beyond the model's ${s.maxPositions} learned positions`);
    let positions: Tensor | null = null;
    if (s.positions.type === "rope") {
      this.ensureRope(maxPos);
      positions = this.ctx.upload(Uint32Array.from(pos.flat()), [B, T]);
    } else {
      positions = this.ctx.upload(Uint32Array.from(pos.flat(), (p) => p + (s.positions.type === "learned" ? s.positions.offset : 0)), [N]);
    }
    const realRows = hook ? mask.flat().flatMap((m, i) => (m ? [i] : [])) : [];
    if (!cache) {
      const padded = mask.some((r) => r.some((m) => !m));
      const keyMask = padded ? this.ctx.upload(Uint32Array.from(mask.flat()), [B, T]) : undefined;
      return { B, T, N, positions, keyMask, realRows, hook, precision: this.precision };
    }
    // record this feed's slots, then mask the keys attention will read
    mask.forEach((r, b) => r.forEach((m, t) => (cache.mask[b * cache.capacity + cache.length + t] = m ? 1 : 0)));
    const { keys, S } = this.keySpan(cache, T);
    const km = new Uint32Array(B * S);
    for (let b = 0; b < B; b++) km.set(cache.mask.subarray(b * cache.capacity, b * cache.capacity + S), b * S);
    const keyMask = km.includes(0) ? this.ctx.upload(km, [B, S]) : undefined;
    return { B, T, N, positions, keyMask, keys, realRows, cache, hook, precision: this.precision };
  }

  private endStep(step: Step): void {
    step.positions?.release();
    step.keyMask?.release();
  }

  /** Rope tables from the reference's f32 inverse frequencies (as HF computes them), grown on demand. */
  private ensureRope(positions: number): void {
    if (this.rope && this.rope.maxPositions >= positions) return;
    const s = this.spec;
    const n = Math.max(positions, s.maxPositions, this.rope ? 2 * this.rope.maxPositions : 0);
    this.rope = this.ropeTables(n, ropeInverseFrequencies(s), this.rope);
    if (s.localRope) this.ropeLocal = this.ropeTables(n, ropeInverseFrequencies(s, s.localRope), this.ropeLocal);
  }

  private ropeTables(n: number, inv: Float64Array, old: RopeTables | null): RopeTables {
    const s = this.spec;
    const half = s.headDim / 2;
    const cos = new Float32Array(n * half), sin = new Float32Array(n * half);
    for (let p = 0; p < n; p++)
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(inv[i] * p);
        cos[p * half + i] = Math.cos(angle);
        sin[p * half + i] = Math.sin(angle);
      }
    old?.cos.release();
    old?.sin.release();
    return { cos: this.ctx.upload(cos, [n, half]), sin: this.ctx.upload(sin, [n, half]), headDim: s.headDim, maxPositions: n };
  }

  /** Hidden states after the final norm, [N, hidden]. */
  private async hidden(ids: number[][], step: Step, prefix?: { embeds: Float32Array; P: number; B: number; T: number }): Promise<Tensor> {
    const s = this.spec;
    let x = this.embed(ids, step, prefix);
    for (let l = 0; l < s.numLayers; l++) {
      const lw = await this.weights.layer(l);
      try {
        x = await this.block(l, x, step, lw.w);
      } finally {
        lw.done();
      }
    }
    if (s.finalNorm) x = this.replace(x, this.norm(x, (n) => this.weights.get(`final_norm.${n}`)));
    return x;
  }

  /** Token embeddings (+ soft-prompt rows, + learned positions): the input of layer 0. */
  private embed(ids: number[][], step: Step, prefix?: { embeds: Float32Array; P: number; B: number; T: number }): Tensor {
    const s = this.spec, ctx = this.ctx;
    const idT = ctx.upload(Uint32Array.from(ids.flat()), [step.N]);
    let x = embedding(ctx, this.weights.get("embed"), idT);
    idT.release();
    // HF scales the token embeddings only (a soft prompt is given as inputs_embeds, unscaled): before the prefix
    if (s.embedScale !== undefined) x = this.replace(x, scale(ctx, x, s.embedScale));
    if (prefix) {
      // soft prompt: the first P rows of every sequence take the prefix embeddings
      const h = s.hiddenSize, pT = ctx.upload(prefix.embeds, [prefix.P, h]);
      for (let b = 0; b < prefix.B; b++) copyRange(ctx, pT, 0, x, b * prefix.T * h, prefix.P * h);
      pT.release();
    }
    if (s.positions.type === "learned") {
      const pe = embedding(ctx, this.weights.get("pos_embed"), step.positions!);
      x = this.replace(x, add(ctx, x, pe));
      pe.release();
    }
    return x;
  }

  private head(x: Tensor, step: Step): Tensor {
    const w = this.spec.tiedEmbeddings ? this.weights.get("embed") : this.weights.get("lm_head");
    let out = this.linearMatmul(x, w, step);
    x.release();
    const cap = this.spec.logitSoftcap;
    if (cap !== undefined) {
      // cap · tanh(logits / cap)
      out = this.replace(out, scale(this.ctx, out, 1 / cap));
      out = this.replace(out, unary(this.ctx, "tanh", out));
      out = this.replace(out, scale(this.ctx, out, cap));
    }
    return out;
  }

  /** x · wᵀ (nn.Linear layout), f32 result; at precision f16 on f16 copies of both. */
  private linearMatmul(x: Tensor, w: Tensor, step: Step): Tensor {
    if (step.precision === "f32" || !this.half) return matmul(this.ctx, x, w, { transB: true });
    const w16 = this.half.get(w), x16 = toF16(this.ctx, x);
    const y = matmul(this.ctx, x16, w16.t, { transB: true });
    x16.release(); // safe while the recorded matmul still reads them (see Tensor.release)
    w16.done();
    return y;
  }

  /** Releases `old` and returns `next` (keeps the layer code linear). */
  private replace(old: Tensor, next: Tensor): Tensor {
    old.release();
    return next;
  }

  private norm(x: Tensor, w: (name: "weight" | "bias") => Tensor | undefined): Tensor {
    const { type, eps } = this.spec.norm;
    return type === "rms" ? rmsNorm(this.ctx, x, w("weight")!, eps) : layerNorm(this.ctx, x, w("weight")!, w("bias")!, eps);
  }

  private async block(l: number, x: Tensor, step: Step, W: (name: string) => Tensor | undefined): Promise<Tensor> {
    const s = this.spec, ctx = this.ctx;
    const pre = s.normPlacement === "pre";
    const norm = (name: string, t: Tensor) => this.norm(t, (n) => W(`${name}.${n}`));
    const linear = async (name: LinearName, input: Tensor): Promise<Tensor> => {
      const w = W(`${name}.weight`)!;
      if (step.hook) await this.callHook(l, name, input, w, step);
      if (step.gpuHook) await step.gpuHook({ layer: l, linear: name, inFeatures: w.shape[1], outFeatures: w.shape[0] }, input);
      const y = this.linearMatmul(input, w, step);
      const b = W(`${name}.bias`);
      return b ? this.replace(y, add(ctx, y, b)) : y;
    };

    // attention block
    const a = pre ? norm("attn_norm", x) : x;
    const q = await linear("q", a);
    const k = await linear("k", a);
    const v = await linear("v", a);
    if (a !== x) a.release();
    // q/k norms (Qwen3, Gemma 3): each head's vector normalised, before rope
    const headNorm = (t: Tensor, name: string) => {
      const y = norm(name, ctx.reshape(t, [t.size / s.headDim, s.headDim]));
      t.release();
      return new Tensor(ctx, y.buffer, t.shape, "f32"); // same buffer, released through the pool
    };
    const qn = s.qkNorm ? headNorm(q, "q_norm") : q;
    const kn = s.qkNorm ? headNorm(k, "k_norm") : k;
    const ctxOut = this.attend(l, qn, kn, v, step);
    [qn, kn, v].forEach((t) => t.release());
    let o = await linear("o", ctxOut);
    ctxOut.release();
    if (s.sandwichNorm) o = this.replace(o, norm("post_attn_norm", o));
    o = this.replace(o, add(ctx, o, x));
    x.release();
    x = pre ? o : this.replace(o, norm("attn_norm", o));

    // MLP block
    const m = pre ? norm("mlp_norm", x) : x;
    let h: Tensor;
    if (s.mlp === "gated") {
      const g = await linear("gate", m);
      const u = await linear("up", m);
      h = s.activation === "silu" ? swiglu(ctx, g, u) : s.activation === "gelu" ? geglu(ctx, g, u) : this.gatedOther(g, u);
      g.release();
      u.release();
    } else {
      const u = await linear("up", m);
      h = this.replace(u, this.activate(u));
    }
    if (m !== x) m.release();
    let d = await linear("down", h);
    h.release();
    if (s.sandwichNorm) d = this.replace(d, norm("post_mlp_norm", d));
    d = this.replace(d, add(ctx, d, x));
    x.release();
    return pre ? d : this.replace(d, norm("mlp_norm", d));
  }

  private activate(x: Tensor): Tensor {
    const op = { silu: "silu", relu: "relu", gelu: "gelu", gelu_tanh: "geluTanh" } as const;
    return unary(this.ctx, op[this.spec.activation], x);
  }

  private gatedOther(g: Tensor, u: Tensor): Tensor {
    const a = this.activate(g);
    const out = mul(this.ctx, a, u);
    a.release();
    return out;
  }

  private attend(l: number, q2: Tensor, k2: Tensor, v2: Tensor, step: Step): Tensor {
    const s = this.spec, ctx = this.ctx;
    const { B, T } = step;
    const H = s.numHeads, KV = s.numKvHeads, D = s.headDim;
    let q = viewAs(q2, [B, T, H, D]);
    let k = viewAs(k2, [B, T, KV, D]);
    const rot: Tensor[] = [];
    const window = layerWindow(s, l);
    const tables = this.ropeLocal && window !== null ? this.ropeLocal : this.rope;
    if (tables) {
      q = rope(ctx, q, tables, { positions: step.positions! });
      k = rope(ctx, k, tables, { positions: step.positions! });
      rot.push(q, k);
    }
    let v = viewAs(v2, [B, T, KV, D]);
    if (step.cache) {
      // append this feed to every row at slot `length` (one strided copy per tensor), then pick the keys
      const c = step.cache, w = KV * D, S = c.length + T;
      const append = (src: Tensor, dst: Tensor) =>
        copyBlock(ctx, T, w, { t: src, off: 0, ld: w }, { t: dst, off: c.length * w, ld: w }, { count: B, s: T * w, d: c.capacity * w });
      append(k, c.k[l]);
      append(v, c.v[l]);
      if (step.keys === "prefix" || step.keys === "capacity") {
        const rows = step.keys === "prefix" ? S : c.capacity;
        k = viewAs(c.k[l], [B, rows, KV, D]);
        v = viewAs(c.v[l], [B, rows, KV, D]);
      } else if (step.keys === "gather") {
        const gather = (src: Tensor) => {
          const out = ctx.empty([B, S, KV, D]);
          copyBlock(ctx, S, w, { t: src, off: 0, ld: w }, { t: out, off: 0, ld: w }, { count: B, s: c.capacity * w, d: S * w });
          rot.push(out);
          return out;
        };
        k = gather(c.k[l]);
        v = gather(c.v[l]);
      }
    }
    let sc = s.attnScale ?? 1 / Math.sqrt(D);
    if (s.scaleAttnByInverseLayer) sc /= l + 1;
    const S = k.shape[1];
    const softcap = s.attnSoftcap;
    const out =
      window !== null && window < S
        ? attentionWindow(ctx, q, k, v, { window, keyMask: step.keyMask, scale: sc, softcap })
        : attention(ctx, q, k, v, { keyMask: step.keyMask, scale: sc, softcap });
    rot.forEach((t) => t.release());
    return new Tensor(ctx, out.buffer, [B * T, H * D], "f32"); // same buffer, released through the pool
  }

  /** Reads a linear layer's input back and hands the real-token rows to the hook. */
  private async callHook(l: number, name: LinearName, input: Tensor, w: Tensor, step: Step): Promise<void> {
    const [outF, inF] = w.shape;
    const all = await this.ctx.readF32(input);
    const rows = step.realRows.length === step.N ? all : new Float32Array(step.realRows.length * inF);
    if (rows !== all) step.realRows.forEach((r, i) => rows.set(all.subarray(r * inF, (r + 1) * inF), i * inF));
    step.hook!({ layer: l, linear: name, inFeatures: inF, outFeatures: outF }, rows, step.realRows.length);
  }
}
