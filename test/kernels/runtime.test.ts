import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { createContext, type GpuContext, add, scale, matmul } from "../../kernels/index.js";
import { runGpuJob, GpuJobError } from "../../kernels/node/child.js";
import { withContext } from "./helpers.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe("runtime", () => {
  it("requests the adapter's limits (lavapipe: 128 MiB bindings, 32 KiB workgroup memory)", () => {
    expect(ctx.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(ctx.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    expect(ctx.maxBinding).toBe(ctx.limits.maxStorageBufferBindingSize);
  });
  it("uploads, reads back, and keeps dtypes", async () => {
    const f = ctx.upload([1.5, -2], [2]);
    const u = ctx.upload(new Uint32Array([7, 4000000000]), [2]);
    expect(u.dtype).toBe("u32");
    expect([...(await ctx.read(f))]).toEqual([1.5, -2]);
    expect([...(await ctx.read(u))]).toEqual([7, 4000000000]);
  });
  it("records a chain of 200 dispatches and submits them together; results are in order", async () => {
    let x = ctx.upload([1, 2, 3], [3]);
    const one = ctx.upload([1, 1, 1], [3]);
    const before = ctx.dispatchCount;
    for (let i = 0; i < 200; i++) {
      const y = add(ctx, x, one);
      x.release(); // returned to the pool while the recorded dispatch still reads it: later writes come after
      x = y;
    }
    expect(ctx.dispatchCount - before).toBe(200);
    expect([...(await ctx.readF32(x))]).toEqual([201, 202, 203]);
  });
  it("reuses released buffers from the pool", () => {
    const a = ctx.empty([1000]);
    const buf = a.buffer;
    a.release();
    const b = ctx.empty([1000]);
    expect(b.buffer).toBe(buf);
  });
  it("an upload into a pooled buffer does not overwrite data that pending dispatches read", async () => {
    const a = ctx.upload([1, 2], [2]);
    const y = scale(ctx, a, 10); // recorded, not submitted
    a.release();
    const b = ctx.upload([100, 200], [2]); // likely the same buffer as a
    expect([...(await ctx.readF32(y))]).toEqual([10, 20]);
    expect([...(await ctx.readF32(b))]).toEqual([100, 200]);
  });
  it("times dispatches with timestamp queries when the adapter has them", async () => {
    const a = ctx.upload(new Float32Array(64 * 64).fill(1), [64, 64]);
    const ms = await ctx.gpuTimeMs(() => { matmul(ctx, a, a).release(); });
    if (ctx.features.has("timestamp-query")) expect(ms).toBeGreaterThan(0);
    else expect(ms).toBeNull();
  });
  it("KICK_ADAPTER that matches nothing fails listing the adapters", async () => {
    await expect(createContext({ adapter: "no-such-gpu-xyz" })).rejects.toThrow(/device: no adapter matches KICK_ADAPTER="no-such-gpu-xyz"; available: .*Fix: set KICK_ADAPTER/);
  });
  it("turns WebGPU validation errors into exceptions at the next readback", async () => {
    const bad = ctx.pipeline("test:bad-bind", () => "@group(0) @binding(0) var<storage, read_write> X: array<f32>; @compute @workgroup_size(1) fn main() { X[0] = 1.0; }");
    const t = ctx.empty([4]);
    ctx.dispatch({ pipeline: bad, bindings: [t, t], workgroups: [1] }); // one binding too many
    await expect(ctx.read(t)).rejects.toThrow(/webgpu: \d+ WebGPU error\(s\): .*[Bb]inding/);
  });
});

describe("child-process GPU jobs", () => {
  it("runs a GPU job in a child and returns its output", async () => {
    const r = await runGpuJob(fixture("matmul-job.ts"), [], { timeoutMs: 60_000 });
    expect(JSON.parse(r.stdout.trim().split("\n").pop()!)).toEqual([19, 22, 43, 50]);
  });
  it("reports a crash with its signal and stderr, after retrying", async () => {
    const err = await runGpuJob(fixture("crash.ts"), [], { retries: 1, timeoutMs: 60_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(GpuJobError);
    expect(err.result.signal).toBe("SIGSEGV");
    expect(err.result.attempts).toBe(2);
    expect(err.message).toMatch(/crashed with SIGSEGV after 2 attempt\(s\)[\s\S]*about to crash/);
  });
  it("without a Vulkan driver, fails with one message that says how to install one", async () => {
    const r = await runGpuJob(fixture("no-adapter.ts"), [], {
      env: { VK_DRIVER_FILES: "/nonexistent.json", VK_ICD_FILENAMES: "/nonexistent.json", KICK_ADAPTER: undefined },
      throwOnFailure: false, timeoutMs: 60_000,
    });
    expect(r.code).toBe(3);
    expect(r.crashed).toBe(false);
    expect(r.stderr).toMatch(/device: no WebGPU adapter found\. Fix: install a Vulkan driver: .*mesa-vulkan-drivers/);
  });
});
