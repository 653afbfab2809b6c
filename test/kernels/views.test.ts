import { describe, expect, it } from "vitest";
import { KernelError, Tensor, matView, viewAs } from "../../kernels/index.js";

// A tensor over a stand-in buffer: views only read the buffer's size, never touch the device.
function owned(shape: number[], bytes: number) {
  const released: unknown[] = [];
  const buffer = { size: bytes } as GPUBuffer;
  return { t: new Tensor({ releaseBuffer: (b) => released.push(b) }, buffer, shape, "f32"), released };
}

describe("tensor views", () => {
  it("viewAs shares the buffer with a new shape, and releasing the view leaves the owner's buffer alone", () => {
    const { t, released } = owned([4, 6], 96);
    const v = viewAs(t, [2, 2, 6]);
    expect(v.buffer).toBe(t.buffer);
    expect(v.shape).toEqual([2, 2, 6]);
    expect(v.size).toBe(24);
    v.release();
    expect(released).toEqual([]);
    t.release();
    expect(released).toEqual([t.buffer]);
  });
  it("viewAs may cover a prefix of the buffer (a KV cache's filled slots), not more than it holds", () => {
    const { t } = owned([8, 4], 128);
    expect(viewAs(t, [3, 4]).size).toBe(12);
    expect(() => viewAs(t, [9, 4])).toThrow(KernelError);
    expect(() => viewAs(t, [9, 4])).toThrow(/\[9,4\] f32 does not fit the 128-byte buffer/);
  });
  it("matView defaults to the whole matrix: offset 0, rows of the last dimension", () => {
    const { t } = owned([5, 7], 140);
    expect(matView(t)).toEqual({ t, off: 0, ld: 7 });
    expect(matView(t, 9, 3)).toEqual({ t, off: 9, ld: 3 });
  });
});
