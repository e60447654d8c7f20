// How much DMA memory each disk's bounce buffers take, by the machine's memory.
import { describe, expect, it } from "vitest";
import { bounceOptions } from "../../runtime/block/bounce-size";

const PAGES_PER_MIB = 256;
const KIB = 1024;

describe("disk bounce buffers", () => {
  it("are 8 x 256 KiB on machines of 32 MiB and more", () => {
    for (const mib of [32, 256, 4096]) expect(bounceOptions(mib * PAGES_PER_MIB)).toEqual({ bounceBuffers: 8, bounceBufferBytes: 256 * KIB });
  });

  it("take a sixteenth of a smaller machine's memory, in whole pages", () => {
    expect(bounceOptions(8 * PAGES_PER_MIB)).toEqual({ bounceBuffers: 8, bounceBufferBytes: 64 * KIB });
    expect(bounceOptions(10 * PAGES_PER_MIB - 3)).toEqual({ bounceBuffers: 8, bounceBufferBytes: 76 * KIB });
  });

  it("never go below one page each", () => {
    expect(bounceOptions(64)).toEqual({ bounceBuffers: 8, bounceBufferBytes: 4 * KIB });
  });
});
