// Non-owning views of a tensor's buffer: the one place kernels and model code reshape or stride
// into a buffer without copying it. A view's release() is a no-op; the tensor it was made from
// still owns (and releases) the buffer, so a view must not outlive it.
import { fail, shapeStr } from "./errors.js";
import { Tensor, tensorBytes, numel } from "./tensor.js";

const notOwned = { releaseBuffer: () => {} };

/**
 * The buffer of `t` seen with another shape. The shape may cover fewer elements than `t` (a prefix,
 * as a KV cache's filled slots), never more than the buffer holds.
 */
export function viewAs(t: Tensor, shape: readonly number[]): Tensor {
  if (tensorBytes(numel(shape), t.dtype) > t.buffer.size)
    fail("view", `${shapeStr(shape)} ${t.dtype} does not fit the ${t.buffer.size}-byte buffer of a ${shapeStr(t.shape)} tensor`, "view at most the elements the tensor holds");
  return new Tensor(notOwned, t.buffer, shape, t.dtype);
}

/** A strided view of a row-major matrix inside a tensor: element (r, c) is t[off + r·ld + c]. */
export interface MatView {
  t: Tensor;
  off: number;
  ld: number;
}

/** Rows of `ld` elements from element `off` on; ld defaults to the tensor's last dimension. */
export const matView = (t: Tensor, off = 0, ld = t.shape[t.shape.length - 1]!): MatView => ({ t, off, ld });
