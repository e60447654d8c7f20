// The kernel's native byte loops must agree with the portable TypeScript versions.
import { nativeByteLoops } from "../../../kernel/byte-loops";
import { crc32Portable } from "../../../runtime/kv/crc32";
import { sumBytesPortable } from "../../../runtime/net/checksum";
import { expectEqual, expectTrue, type TestRegistry } from "../harness";

const SIZES = [0, 1, 2, 3, 19, 20, 1499, 1500, 4096, 65537];
const SEED = 0x2545f491;

function patterned(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = SEED;
  for (let i = 0; i < size; i++) {
    state = Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

export function byteLoopSuite(t: TestRegistry): void {
  t.test("native checksum sums, copy-and-sum and CRC-32 equal the TypeScript versions", () => {
    const native = nativeByteLoops;
    expectTrue(native !== undefined, "the kernel offers native byte loops");
    for (const size of SIZES) {
      const bytes = patterned(size + 3);
      expectEqual(native!.sum16(bytes, 3, size, 7), sumBytesPortable(bytes, 3, size, 7), `sum16 of ${size} bytes`);
      expectEqual(native!.crc32(bytes, 3, size, 0), crc32Portable(bytes.subarray(3, 3 + size)), `crc32 of ${size} bytes`);
      const copy = new Uint8Array(size + 5);
      expectEqual(native!.copySum16(bytes, 3, copy, 5, size, 7), sumBytesPortable(bytes, 3, size, 7), `copySum16 of ${size} bytes`);
      expectTrue(copy.subarray(5).every((b, i) => b === bytes[3 + i]), `copySum16 copied ${size} bytes`);
    }
  });

  t.test("native byte loops reject ranges outside the array", () => {
    let threw = false;
    try {
      nativeByteLoops!.sum16(new Uint8Array(4), 2, 3, 0);
    } catch (error) {
      threw = error instanceof RangeError;
    }
    expectTrue(threw, "RangeError for a range past the end");
  });
}
