// Device acquisition for Node (Dawn via the `webgpu` package) and the browser (navigator.gpu).
// Requests the adapter's largest limits so big weights fit; picks an adapter by KICK_ADAPTER.
import { fail } from "./errors.js";
import { F16_TOGGLES, OPTIONAL_FEATURES } from "./capabilities.js";

export interface DeviceOptions {
  /** Substring of the adapter description/vendor/architecture to pick (default: env KICK_ADAPTER). */
  adapter?: string;
  /** Extra Dawn instance flags for Node, e.g. "enable-dawn-features=allow_unsafe_apis". */
  dawnFlags?: string[];
  powerPreference?: GPUPowerPreference;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  adapterDescription: string;
  isSoftware: boolean;
  /** Keeps the Dawn instance alive (Node exits once it is collected). */
  instance: unknown;
}

const NO_ADAPTER_FIX =
  "install a Vulkan driver: on Debian bookworm `apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1` " +
  "(Mesa >= 23; the stock 22.3 lavapipe is rejected by Dawn), or run `npm run setup`; on an NVIDIA host set " +
  "VK_DRIVER_FILES to the driver's nvidia_icd.json (see scripts/gpu-host)";

const isNode = typeof process !== "undefined" && !!process.versions?.node;

/**
 * The Dawn instance flags: the f16 toggles (unless KICK_F16_TOGGLES=0) merged with the caller's
 * and KICK_DAWN_FLAGS, every `enable-dawn-features=` list joined into one (Dawn keeps only one).
 */
export function dawnFlags(extra: string[], env: Record<string, string | undefined> = process.env): string[] {
  const all = [...extra, ...(env.KICK_DAWN_FLAGS ?? "").split(" ").filter(Boolean)];
  const enable = new Set(env.KICK_F16_TOGGLES === "0" ? [] : F16_TOGGLES);
  const rest: string[] = [];
  for (const f of all) {
    const m = /^enable-dawn-features=(.*)$/.exec(f);
    if (m) for (const t of m[1].split(",").filter(Boolean)) enable.add(t);
    else rest.push(f);
  }
  return enable.size ? [`enable-dawn-features=${[...enable].join(",")}`, ...rest] : rest;
}

async function getGpu(flags: string[]): Promise<{ gpu: GPU; instance: unknown }> {
  if (!isNode) {
    if (typeof navigator === "undefined" || !("gpu" in navigator))
      fail("device", "this browser has no navigator.gpu", "use a browser with WebGPU (Chrome >= 113) or enable it with --enable-unsafe-webgpu");
    return { gpu: navigator.gpu, instance: navigator.gpu };
  }
  process.env.XDG_RUNTIME_DIR ??= "/tmp"; // silences Mesa's "XDG_RUNTIME_DIR is invalid"
  const webgpu = (await import("webgpu")) as unknown as {
    create(flags: string[]): GPU;
    globals: Record<string, unknown>;
  };
  // GPUBufferUsage & co. must be globals for code written against the browser API.
  for (const [k, v] of Object.entries(webgpu.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  const gpu = webgpu.create(flags);
  return { gpu, instance: gpu };
}

function describe(info: GPUAdapterInfo | undefined): string {
  if (!info) return "unknown adapter";
  return [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" / ");
}

export async function acquireDevice(opts: DeviceOptions = {}): Promise<AcquiredDevice> {
  const wanted = opts.adapter ?? (isNode ? process.env.KICK_ADAPTER : undefined);
  const { gpu, instance } = await getGpu(isNode ? dawnFlags(opts.dawnFlags ?? []) : []);
  const candidates: GPUAdapter[] = [];
  for (const pref of [opts.powerPreference ?? "high-performance", "low-power"] as GPUPowerPreference[]) {
    const a = await gpu.requestAdapter({ powerPreference: pref });
    if (a) candidates.push(a);
  }
  if (candidates.length === 0) fail("device", "no WebGPU adapter found", NO_ADAPTER_FIX);
  let adapter = candidates[0];
  if (wanted) {
    const match = candidates.find((a) => describe(a.info).toLowerCase().includes(wanted.toLowerCase()));
    if (!match)
      fail(
        "device",
        `no adapter matches KICK_ADAPTER="${wanted}"; available: ${candidates.map((a) => describe(a.info)).join("; ")}`,
        "set KICK_ADAPTER to a substring of one of those names, or unset it",
      );
    adapter = match;
  }
  // Ask for every limit the adapter offers (spec defaults are far too small for LLM weights).
  const requiredLimits: Record<string, number> = {};
  const lim = adapter.limits as unknown as Record<string, number>;
  for (const key of [
    "maxStorageBufferBindingSize",
    "maxBufferSize",
    "maxComputeWorkgroupStorageSize",
    "maxComputeInvocationsPerWorkgroup",
    "maxComputeWorkgroupSizeX",
    "maxComputeWorkgroupSizeY",
    "maxComputeWorkgroupSizeZ",
    "maxComputeWorkgroupsPerDimension",
    "maxStorageBuffersPerShaderStage",
  ]) {
    if (typeof lim[key] === "number") requiredLimits[key] = lim[key];
  }
  const requiredFeatures: GPUFeatureName[] = [];
  for (const f of OPTIONAL_FEATURES as readonly string[]) if (adapter.features.has(f)) requiredFeatures.push(f as GPUFeatureName);
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: "kick" });
  const info = adapter.info;
  const isSoftware =
    info?.architecture === "software" || /llvmpipe|lavapipe|swiftshader/i.test(describe(info)) || info?.vendor === "mesa";
  return { device, adapter, adapterDescription: describe(info), isSoftware, instance };
}
