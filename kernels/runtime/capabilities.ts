// What the device offers beyond core WebGPU: f16 shaders, subgroups and subgroup matrices
// (tensor cores). Kernels pick their path from this; runs record it in their provenance.

/** The features kick asks for wherever the adapter offers them. */
export const OPTIONAL_FEATURES = ["timestamp-query", "shader-f16", "subgroups", "chromium-experimental-subgroup-matrix"] as const;

/**
 * Dawn toggles that expose them in Node: subgroup matrices are an experimental (unsafe) API, and
 * Dawn keeps f16 off on NVIDIA's Vulkan driver unless asked (then subgroup matrices gain their
 * f16 configurations). Off with KICK_F16_TOGGLES=0.
 */
export const F16_TOGGLES = ["allow_unsafe_apis", "vulkan_enable_f16_on_nvidia"];

/** One subgroup-matrix configuration of the adapter (dawn.node's GPUSubgroupMatrixConfig). */
export interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

export interface DeviceCapabilities {
  /** The optional features the device was created with. */
  features: string[];
  subgroupMinSize: number;
  subgroupMaxSize: number;
  /** Empty where the device lacks chromium-experimental-subgroup-matrix. */
  subgroupMatrixConfigs: SubgroupMatrixConfig[];
}

/** Reads the capabilities from the adapter info and the features the device got. */
export function readCapabilities(info: GPUAdapterInfo | undefined, deviceFeatures: Iterable<string>): DeviceCapabilities {
  const got = new Set(deviceFeatures);
  const features = OPTIONAL_FEATURES.filter((f) => got.has(f));
  const raw = info as unknown as { subgroupMinSize?: number; subgroupMaxSize?: number; subgroupMatrixConfigs?: SubgroupMatrixConfig[] } | undefined;
  const configs = got.has("chromium-experimental-subgroup-matrix") ? [...(raw?.subgroupMatrixConfigs ?? [])] : [];
  return {
    features,
    subgroupMinSize: raw?.subgroupMinSize ?? 0,
    subgroupMaxSize: raw?.subgroupMaxSize ?? 0,
    subgroupMatrixConfigs: configs.map(({ componentType, resultComponentType, M, N, K }) => ({ componentType, resultComponentType, M, N, K })),
  };
}

export const hasSubgroupMatrix = (c: DeviceCapabilities, component: string, result: string, M: number, N: number, K: number) =>
  c.subgroupMatrixConfigs.some((x) => x.componentType === component && x.resultComponentType === result && x.M === M && x.N === N && x.K === K);

/**
 * A one-line summary for provenance, e.g.
 * "shader-f16 subgroups[32] subgroup-matrix[f16>f32 16x16x16, i8>i32 16x16x32]"; "f32 only" when none.
 */
export function capabilitySummary(c: DeviceCapabilities): string {
  const parts: string[] = [];
  if (c.features.includes("shader-f16")) parts.push("shader-f16");
  if (c.features.includes("subgroups"))
    parts.push(`subgroups[${c.subgroupMinSize === c.subgroupMaxSize ? c.subgroupMaxSize : `${c.subgroupMinSize}-${c.subgroupMaxSize}`}]`);
  if (c.subgroupMatrixConfigs.length)
    parts.push(`subgroup-matrix[${c.subgroupMatrixConfigs.map((x) => `${x.componentType}>${x.resultComponentType} ${x.M}x${x.N}x${x.K}`).join(", ")}]`);
  return parts.length ? parts.join(" ") : "f32 only";
}

/** The device as a run's provenance records it: the adapter and, in brackets, its capabilities. */
export const deviceProvenance = (ctx: { adapterDescription: string; capabilities: DeviceCapabilities }) =>
  `${ctx.adapterDescription} [${capabilitySummary(ctx.capabilities)}]`;
