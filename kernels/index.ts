// kick's WebGPU runtime and kernels. Import from here: the runtime, every op (forward, compression,
// backward) and the references. Deep imports are for a kernel's internals (WGSL generators, tiles)
// in its own tests and benchmarks.

// ---- runtime ----
export { createContext, GpuContext, type ContextOptions, type Binding, type BufferRange, type DispatchArgs } from "./runtime/context.js";
export { acquireDevice, dawnFlags, type DeviceOptions } from "./runtime/device.js";
export {
  capabilitySummary, deviceProvenance, hasSubgroupMatrix, readCapabilities,
  type DeviceCapabilities, type SubgroupMatrixConfig,
} from "./runtime/capabilities.js";
export { KernelError } from "./runtime/errors.js";
export { Tensor, type DType } from "./runtime/tensor.js";
export { viewAs, matView, type MatView } from "./runtime/views.js";
export { readTuning, type Tuning } from "./runtime/tuning.js";

// ---- forward ops ----
export * from "./ops/matmul.js";
export * from "./ops/cast.js";
export * from "./ops/attention.js";
export * from "./ops/attention_sgmat.js";
export * from "./ops/attention_window.js";
export * from "./ops/elementwise.js";
export * from "./ops/reduce.js";
export * from "./ops/softmax.js";
export * from "./ops/norm.js";
export * from "./ops/rope.js";
export * from "./ops/embedding.js";
export * from "./ops/cross_entropy.js";
export * from "./ops/topk.js";
export * from "./ops/copy_range.js";

// ---- compression: pruning, quantization, the linear algebra under SparseGPT/GPTQ ----
export * from "./ops/linalg.js";
export * from "./ops/prune.js";
export * from "./ops/ria.js";
export * from "./ops/quant.js";
export * from "./ops/quant_awq.js";
export * from "./ops/gptq.js";

// ---- backward (training) ----
export * from "./backward/adamw.js";
export * from "./backward/attention.js";
export * from "./backward/cross_entropy.js";
export * from "./backward/embedding.js";
export * from "./backward/linear.js";
export * from "./backward/rms_norm.js";
export * from "./backward/rope.js";
export * from "./backward/sum_leading.js";
export * from "./backward/sum_squares.js";
export * from "./backward/swiglu.js";
export * from "./backward/reference.js";

// ---- plain-TypeScript references of the forward ops ----
export * as reference from "./reference/index.js";
