// A tensor is a GPU buffer plus a row-major shape and a dtype. Buffers come from the
// context's pool; release() hands them back (the data must not be used afterwards).
// f16 tensors (shader-f16 adapters only) hold IEEE half floats, two per 32-bit word.
export type DType = "f32" | "u32" | "i32" | "f16";

export const elementBytes = (dtype: DType) => (dtype === "f16" ? 2 : 4);

/** Bytes a tensor occupies: rounded up to whole 32-bit words (storage bindings are multiples of 4). */
export const tensorBytes = (n: number, dtype: DType) => Math.ceil((n * elementBytes(dtype)) / 4) * 4;

export interface TensorOwner {
  releaseBuffer(buffer: GPUBuffer): void;
}

export class Tensor {
  readonly size: number;
  private released = false;
  constructor(
    readonly owner: TensorOwner,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }
  get byteSize(): number {
    return tensorBytes(this.size, this.dtype);
  }
  get isReleased(): boolean {
    return this.released;
  }
  /** Returns the buffer to the pool. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.releaseBuffer(this.buffer);
  }
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
