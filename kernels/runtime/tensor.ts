// A tensor is a GPU buffer plus a row-major shape and a dtype. Buffers come from the
// context's pool; release() hands them back (the data must not be used afterwards).
export type DType = "f32" | "u32" | "i32";

export const bytesPerElement = 4; // every dtype kick's kernels take is 32-bit

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
    return this.size * bytesPerElement;
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
