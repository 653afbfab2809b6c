// kick's WebGPU runtime and kernels. Import from here: the runtime, every op and its reference.
export { createContext, GpuContext, type ContextOptions, type Binding, type BufferRange } from "./runtime/context.js";
export { acquireDevice, dawnFlags, type DeviceOptions } from "./runtime/device.js";
export { capabilitySummary, type DeviceCapabilities, type SubgroupMatrixConfig } from "./runtime/capabilities.js";
export { KernelError } from "./runtime/errors.js";
export { Tensor, type DType } from "./runtime/tensor.js";
export { matmul, chooseTile, chooseSgmatTile, canUseSubgroupMatrix, parseTile, type MatmulOptions } from "./ops/matmul.js";
export { toF16, toF32 } from "./ops/cast.js";
export { attention, type AttentionOptions } from "./ops/attention.js";
export * from "./ops/elementwise.js";
export { reduceRows, sumRows, maxRows, argmaxRows } from "./ops/reduce.js";
export { softmax, logSoftmax } from "./ops/softmax.js";
export { rmsNorm, layerNorm } from "./ops/norm.js";
export { rope, createRopeTables, type RopeTables, type RopeConfig, type RopeScaling } from "./ops/rope.js";
export { embedding } from "./ops/embedding.js";
export { crossEntropy } from "./ops/cross_entropy.js";
export { topk } from "./ops/topk.js";
export * as reference from "./reference/index.js";
