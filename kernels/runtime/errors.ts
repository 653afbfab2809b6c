// Errors that name the op, the shapes or limits involved, and the fix.
export class KernelError extends Error {
  constructor(op: string, problem: string, fix: string) {
    super(`${op}: ${problem}. Fix: ${fix}`);
    this.name = "KernelError";
  }
}

export function fail(op: string, problem: string, fix: string): never {
  throw new KernelError(op, problem, fix);
}

export const shapeStr = (s: readonly number[]) => `[${s.join(",")}]`;
