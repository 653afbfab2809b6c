// The GPU context: one device, a buffer pool, a pipeline cache and a pending command encoder
// into which ops record dispatches; nothing is submitted until flush() (or a readback).
import { acquireDevice, type DeviceOptions } from "./device.js";
import { fail, shapeStr } from "./errors.js";
import { Tensor, numel, tensorBytes, type DType, type TensorOwner } from "./tensor.js";
import { readCapabilities, type DeviceCapabilities } from "./capabilities.js";
import { readTuning, type Tuning } from "./tuning.js";
import { viewAs } from "./views.js";
import { declaredBindings } from "./layout.js";

export interface ContextOptions extends DeviceOptions {
  /**
   * Caps the binding size that ops plan with (bytes). Lets tests exercise the code paths that
   * split tensors over several bindings with small shapes. Default: the device's limit.
   */
  maxStorageBufferBindingSize?: number;
  /** Tuning switches over those of the environment (see tuning.ts). */
  tuning?: Partial<Tuning>;
}

/** A storage binding: a whole tensor or a byte range of one. */
export interface BufferRange {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}
export type Binding = Tensor | BufferRange;

export interface DispatchArgs {
  pipeline: GPUComputePipeline;
  /** Bound in order at @group(0) @binding(i); a uniform block, when given, takes the last index. */
  bindings: Binding[];
  uniforms?: ArrayBuffer | ArrayBufferView;
  workgroups: [number, number?, number?];
}

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class GpuContext implements TensorOwner {
  readonly limits: GPUSupportedLimits;
  /** Binding size ops plan with: min(device limit, requested cap). */
  readonly maxBinding: number;
  readonly features: ReadonlySet<string>;
  /** f16, subgroups, subgroup-matrix configurations: what the f16 kernels choose by. */
  readonly capabilities: DeviceCapabilities;
  private pool = new Map<number, GPUBuffer[]>();
  private layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();
  private pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pendingUniforms: GPUBuffer[] = [];
  private freeUniforms: GPUBuffer[] = [];
  private timestampPass: GPUComputePassTimestampWrites | undefined;
  private destroyed = false;
  dispatchCount = 0;
  private errors: string[] = [];

  private constructor(
    readonly device: GPUDevice,
    readonly adapterDescription: string,
    readonly isSoftware: boolean,
    readonly subgroupSize: number,
    info: GPUAdapterInfo | undefined,
    private instance: unknown,
    bindingCap: number | undefined,
    /** The tuning switches, read once at creation. */
    readonly tuning: Readonly<Tuning>,
  ) {
    this.limits = device.limits;
    this.features = new Set([...device.features] as string[]);
    this.capabilities = readCapabilities(info, this.features);
    this.maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, bindingCap ?? Infinity);
    // Validation errors surface asynchronously; keep them and throw at the next read/sync so a
    // failed dispatch never passes for a result.
    device.addEventListener?.("uncapturederror", (e: Event) => {
      const msg = (e as GPUUncapturedErrorEvent).error?.message ?? String(e);
      this.errors.push(msg);
    });
    device.lost?.then((info) => {
      if (!this.destroyed) this.errors.push(`device lost (${info.reason}): ${info.message}`);
    });
  }

  static async create(opts: ContextOptions = {}): Promise<GpuContext> {
    const tuning = { ...readTuning(), ...opts.tuning };
    const a = await acquireDevice(opts);
    const sg = (a.adapter.info as unknown as { subgroupMaxSize?: number })?.subgroupMaxSize ?? 0;
    return new GpuContext(a.device, a.adapterDescription, a.isSoftware, sg, a.adapter.info, a.instance, opts.maxStorageBufferBindingSize, tuning);
  }

  // ---- tensors and the pool -------------------------------------------------------------
  private acquireBuffer(bytes: number): GPUBuffer {
    const size = Math.max(256, Math.ceil(bytes / 256) * 256);
    if (size > this.limits.maxBufferSize)
      fail("tensor", `${bytes} bytes exceed maxBufferSize ${this.limits.maxBufferSize} of ${this.adapterDescription}`, "split the tensor into smaller ones");
    const free = this.pool.get(size);
    if (free && free.length) return free.pop()!;
    return this.device.createBuffer({ size, usage: STORAGE() });
  }

  releaseBuffer(buffer: GPUBuffer): void {
    const list = this.pool.get(buffer.size) ?? [];
    list.push(buffer);
    this.pool.set(buffer.size, list);
  }

  /** Frees pooled (released) buffers' GPU memory. */
  trimPool(): void {
    this.flush();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
  }

  /** An uninitialised tensor (contents are whatever the pooled buffer held). */
  empty(shape: readonly number[], dtype: DType = "f32"): Tensor {
    for (const d of shape)
      if (!Number.isInteger(d) || d < 0) fail("tensor", `bad shape ${shapeStr(shape)}`, "use non-negative integer dimensions");
    return new Tensor(this, this.acquireBuffer(tensorBytes(numel(shape), dtype)), shape, dtype);
  }

  zeros(shape: readonly number[], dtype: DType = "f32"): Tensor {
    const t = this.empty(shape, dtype);
    this.commandEncoder().clearBuffer(t.buffer);
    return t;
  }

  /** A Uint16Array uploads IEEE half floats (their bit patterns) as an f16 tensor. */
  upload(data: Float32Array | Uint32Array | Int32Array | Uint16Array | number[], shape: readonly number[], dtype?: DType): Tensor {
    const arr = Array.isArray(data) ? new Float32Array(data) : data;
    const dt: DType = dtype ?? (arr instanceof Uint32Array ? "u32" : arr instanceof Int32Array ? "i32" : arr instanceof Uint16Array ? "f16" : "f32");
    if ((dt === "f16") !== arr instanceof Uint16Array)
      fail("upload", `dtype ${dt} from a ${arr.constructor.name}`, "upload f16 tensors as Uint16Array bit patterns (or f32 data and cast it with toF16)");
    if (arr.length !== numel(shape))
      fail("upload", `${arr.length} values do not fill shape ${shapeStr(shape)} (${numel(shape)} elements)`, "pass data whose length is the product of the shape");
    const t = this.empty(shape, dt);
    // A pooled buffer may still be read by recorded-but-unsubmitted commands; writeBuffer runs
    // before them on the queue, so submit those first.
    this.flush();
    // writeBuffer takes whole 32-bit words: an odd number of halves is padded
    let src: ArrayBufferView = arr;
    if (arr.byteLength % 4) {
      const padded = new Uint8Array(t.byteSize);
      padded.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
      src = padded;
    }
    if (src.byteLength > 0) this.device.queue.writeBuffer(t.buffer, 0, src.buffer, src.byteOffset, src.byteLength);
    return t;
  }

  /** Copies a tensor's contents back to the CPU (submits pending work); f16 tensors come back as Uint16Array bit patterns (toF32 converts on the GPU). */
  async read(t: Tensor): Promise<Float32Array | Uint32Array | Int32Array | Uint16Array> {
    if (t.isReleased) fail("read", "tensor was released", "read before release()");
    const bytes = t.byteSize;
    const staging = this.device.createBuffer({ size: Math.max(4, Math.ceil(bytes / 4) * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (bytes > 0) this.commandEncoder().copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
    this.flush();
    await staging.mapAsync(GPUMapMode.READ);
    const copy = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    staging.destroy();
    this.throwIfErrors();
    if (t.dtype === "f16") return new Uint16Array(copy, 0, t.size);
    return t.dtype === "u32" ? new Uint32Array(copy) : t.dtype === "i32" ? new Int32Array(copy) : new Float32Array(copy);
  }

  /** Throws the WebGPU errors collected since the last check. */
  throwIfErrors(): void {
    if (!this.errors.length) return;
    const msgs = this.errors.splice(0);
    fail("webgpu", `${msgs.length} WebGPU error(s): ${msgs.slice(0, 3).join(" | ")}`, "see the message; this is a kernel bug or an unsupported input the op did not check");
  }

  async readF32(t: Tensor): Promise<Float32Array> {
    return (await this.read(t)) as Float32Array;
  }

  /** A view of the same buffer with another shape (same element count). */
  reshape(t: Tensor, shape: readonly number[]): Tensor {
    if (numel(shape) !== t.size) fail("reshape", `${shapeStr(t.shape)} cannot become ${shapeStr(shape)}`, "keep the element count");
    return viewAs(t, shape);
  }

  // ---- pipelines and dispatch ----------------------------------------------------------
  /**
   * The compute pipeline cached under `key`, compiled from `wgsl()` on first use. Its bind-group
   * layout is "auto" (the bindings the entry point uses), or with `layout: "declared"` every
   * buffer binding the shader declares (layout.ts), for variants that leave an operand unread.
   */
  pipeline(key: string, wgsl: () => string, o: { entryPoint?: string; layout?: "auto" | "declared" } = {}): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const code = wgsl();
      const module = this.device.createShaderModule({ code, label: key });
      const layout = o.layout === "declared"
        ? this.device.createPipelineLayout({ bindGroupLayouts: [this.device.createBindGroupLayout({ entries: declaredBindings(code, key), label: key })], label: key })
        : "auto";
      p = this.device.createComputePipeline({ layout, compute: { module, entryPoint: o.entryPoint ?? "main" }, label: key });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** Validates WGSL by compiling it; rejects with the compiler's messages. */
  async compileErrors(wgsl: string): Promise<string[]> {
    const m = this.device.createShaderModule({ code: wgsl });
    const info = await m.getCompilationInfo();
    return info.messages.filter((x) => x.type === "error").map((x) => `${x.lineNum}:${x.linePos} ${x.message}`);
  }

  private commandEncoder(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass(this.timestampPass ? { timestampWrites: this.timestampPass } : {});
    }
    return this.pass;
  }

  private uniformBuffer(data: ArrayBuffer | ArrayBufferView): GPUBuffer {
    const bytes = data.byteLength;
    if (bytes > 256) fail("dispatch", `uniform block of ${bytes} bytes`, "keep op parameters under 256 bytes");
    const buf = this.freeUniforms.pop() ?? this.device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const view = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    this.device.queue.writeBuffer(buf, 0, view);
    this.pendingUniforms.push(buf);
    return buf;
  }

  /** Records one dispatch into the pending compute pass. */
  dispatch({ pipeline, bindings, uniforms, workgroups }: DispatchArgs): void {
    if (this.destroyed) fail("dispatch", "context destroyed", "create a new context");
    const [x, y = 1, z = 1] = workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const maxWg = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxWg || y > maxWg || z > maxWg)
      fail("dispatch", `workgroup grid [${x},${y},${z}] exceeds maxComputeWorkgroupsPerDimension ${maxWg}`, "split the op into smaller calls");
    const entries: GPUBindGroupEntry[] = bindings.map((b, i) => {
      if (b instanceof Tensor) {
        if (b.isReleased) fail("dispatch", "a bound tensor was released", "release tensors only after the last op that uses them");
        return { binding: i, resource: { buffer: b.buffer, offset: 0, size: Math.max(4, b.byteSize) } };
      }
      return { binding: i, resource: { buffer: b.buffer, offset: b.offset ?? 0, size: b.size } };
    });
    if (uniforms) entries.push({ binding: bindings.length, resource: { buffer: this.uniformBuffer(uniforms) } });
    let layout = this.layouts.get(pipeline);
    if (!layout) this.layouts.set(pipeline, (layout = pipeline.getBindGroupLayout(0))); // a Dawn call per dispatch otherwise
    const bindGroup = this.device.createBindGroup({ layout, entries });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount++;
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
    }
    // Uniform buffers can be rewritten now: later writeBuffer calls are queued after this submit.
    this.freeUniforms.push(...this.pendingUniforms);
    this.pendingUniforms = [];
  }

  /** Submits and waits until the GPU has finished. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwIfErrors();
  }

  /**
   * GPU time of the dispatches `record` makes, all put in one compute pass with timestamp
   * writes, in milliseconds; null when the adapter has no timestamp-query.
   */
  async gpuTimeMs(record: () => void): Promise<number | null> {
    if (!this.features.has("timestamp-query")) {
      record();
      await this.sync();
      return null;
    }
    this.flush();
    const qs = this.device.createQuerySet({ type: "timestamp", count: 2 });
    this.timestampPass = { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 };
    try {
      record();
    } finally {
      // end the timed pass before any other encoder use
      if (this.pass) {
        this.pass.end();
        this.pass = null;
      }
      this.timestampPass = undefined;
    }
    const resolve = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.commandEncoder();
    enc.resolveQuerySet(qs, 0, 2, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, staging, 0, 16);
    this.flush();
    await staging.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    resolve.destroy();
    qs.destroy();
    return Number(t[1] - t[0]) / 1e6;
  }

  /** Waits for the GPU, then destroys the device. Call once at the end (avoids exit-time crashes). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await this.sync();
    this.destroyed = true;
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    for (const b of this.freeUniforms) b.destroy();
    this.pool.clear();
    this.pipelines.clear();
    this.device.destroy();
    this.instance = null;
  }
}

export const createContext = (opts?: ContextOptions) => GpuContext.create(opts);
