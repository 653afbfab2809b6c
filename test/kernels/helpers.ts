// Test helpers: seeded random data and tolerance checks against references.
import { expect } from "vitest";
import { createContext, type GpuContext } from "../../kernels/index.js";

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

export function randInt(n: number, max: number, seed: number): Uint32Array {
  const r = rng(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(r() * max));
}

/** Max |got - want| must be <= atol + rtol * |want| elementwise. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol = 1e-5, rtol = 1e-4, label = ""): void {
  expect(got.length, `${label} length`).toBe(want.length);
  let worst = -1, worstErr = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const ok = err <= atol + rtol * Math.abs(want[i]);
    if (!ok || Number.isNaN(got[i]) !== Number.isNaN(want[i])) {
      if (err > worstErr || Number.isNaN(got[i])) { worst = i; worstErr = err; }
    }
  }
  if (worst >= 0) expect.fail(`${label} mismatch at ${worst}: got ${got[worst]}, want ${want[worst]} (|err| ${worstErr})`);
}

export async function withContext(opts: Parameters<typeof createContext>[0] = {}): Promise<GpuContext> {
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  return createContext(opts);
}
