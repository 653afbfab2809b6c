// The kernels' tuning switches: read from the environment once, when a context is created
// (createContext), and kept on the context (`ctx.tuning`), so no op reads process.env and a
// context's kernels do not change under it. ContextOptions.tuning overrides the environment.
// The device choice (KICK_ADAPTER, KICK_DAWN_FLAGS, KICK_F16_TOGGLES) is read in device.ts.
import { fail } from "./errors.js";

export interface Tuning {
  /** KICK_MATMUL_TILE: the f32 matmul tile "BMxBNxBK/TMxTN" (parsed by matmul's chooseTile); default per adapter. */
  matmulTile?: string;
  /** KICK_MATMUL_F16_TILE: the subgroup-matrix tile "BMxBNxBK/WMxWN[:options]"; default by problem size. */
  matmulF16Tile?: string;
  /** KICK_CHOL_BLOCK: the recursive Cholesky's leaf size, 32 or 64; default by workgroup memory. */
  cholBlock?: 32 | 64;
  /** KICK_LAZY_SPAN_BLOCKS: SparseGPT/GPTQ blocks gathered into one lazy-update GEMM, 1..8 (default 4). */
  lazySpanBlocks: number;
  /** KICK_LINALG_SIMPLE_GEMM (any non-empty value): gemmUpdate runs its simple 64×64 kernel, not the strided matmul. */
  simpleGemm: boolean;
}

const processEnv = (): Record<string, string | undefined> => (typeof process !== "undefined" && process.env ? process.env : {});

/** The switches from `env` (default: process.env; none in the browser); a malformed one is an error naming it. */
export function readTuning(env: Record<string, string | undefined> = processEnv()): Tuning {
  const int = (name: string, ok: (n: number) => boolean, want: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || !ok(n)) fail("tuning", `${name}="${raw}" is not ${want}`, `set ${name} to ${want}, or unset it`);
    return n;
  };
  return {
    matmulTile: env.KICK_MATMUL_TILE || undefined,
    matmulF16Tile: env.KICK_MATMUL_F16_TILE || undefined,
    cholBlock: int("KICK_CHOL_BLOCK", (n) => n === 32 || n === 64, "32 or 64") as 32 | 64 | undefined,
    lazySpanBlocks: int("KICK_LAZY_SPAN_BLOCKS", (n) => n >= 1 && n <= 8, "a whole number from 1 to 8") ?? 4,
    simpleGemm: !!env.KICK_LINALG_SIMPLE_GEMM,
  };
}
