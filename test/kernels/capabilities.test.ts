// The device layer's f16 toggles and the capability record kept in provenance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GpuContext, dawnFlags, capabilitySummary, deviceProvenance, hasSubgroupMatrix, readCapabilities,
} from "../../kernels/index.js";
import { withContext } from "./helpers.js";

describe("dawnFlags", () => {
  it("adds the f16 toggles and merges every enable-dawn-features list into one", () => {
    expect(dawnFlags([], {})).toEqual(["enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia"]);
    expect(dawnFlags(["backend=null", "enable-dawn-features=dump_shaders"], { KICK_DAWN_FLAGS: "enable-dawn-features=disable_robustness,allow_unsafe_apis" })).toEqual([
      "enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia,dump_shaders,disable_robustness",
      "backend=null",
    ]);
    expect(dawnFlags([], { KICK_F16_TOGGLES: "0" })).toEqual([]);
  });
});

describe("readCapabilities", () => {
  // the shape dawn.node reports on the H100 (issue 26): int8 and f16 configurations
  const info = {
    subgroupMinSize: 32,
    subgroupMaxSize: 32,
    subgroupMatrixConfigs: [
      { componentType: "i8", resultComponentType: "i32", M: 16, N: 16, K: 32 },
      { componentType: "f16", resultComponentType: "f32", M: 16, N: 16, K: 16 },
      { componentType: "f16", resultComponentType: "f32", M: 16, N: 8, K: 16 },
    ],
  } as unknown as GPUAdapterInfo;

  it("keeps the configurations only when the device got the feature", () => {
    const full = readCapabilities(info, ["shader-f16", "subgroups", "chromium-experimental-subgroup-matrix", "timestamp-query", "depth-clip-control"]);
    expect(full.features).toEqual(["timestamp-query", "shader-f16", "subgroups", "chromium-experimental-subgroup-matrix"]);
    expect(hasSubgroupMatrix(full, "f16", "f32", 16, 16, 16)).toBe(true);
    expect(hasSubgroupMatrix(full, "f16", "f16", 16, 16, 16)).toBe(false);
    expect(capabilitySummary(full)).toBe("shader-f16 subgroups[32] subgroup-matrix[i8>i32 16x16x32, f16>f32 16x16x16, f16>f32 16x8x16]");
    const plain = readCapabilities(info, ["subgroups"]);
    expect(plain.subgroupMatrixConfigs).toEqual([]);
    expect(capabilitySummary(plain)).toBe("subgroups[32]");
    expect(capabilitySummary(readCapabilities(undefined, []))).toBe("f32 only");
    // what a run's provenance (the runs table's device column) records
    expect(deviceProvenance({ adapterDescription: "nvidia / hopper", capabilities: plain })).toBe("nvidia / hopper [subgroups[32]]");
  });
});

describe("the context on this machine's adapter", () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await withContext(); });
  afterAll(async () => { await ctx?.destroy(); });

  it("records the optional features the device was created with", () => {
    expect(ctx.capabilities.features.every((f) => ctx.features.has(f))).toBe(true);
    // lavapipe (CI) exposes shader-f16 and subgroups of 8, no subgroup matrices
    if (/llvmpipe/.test(ctx.adapterDescription)) {
      expect(ctx.capabilities.features).toContain("shader-f16");
      expect(capabilitySummary(ctx.capabilities)).toBe("shader-f16 subgroups[8]");
    }
    console.log(`[capabilities] ${ctx.adapterDescription}: ${capabilitySummary(ctx.capabilities)}`);
  });
});
