/**
 * Word views over DMA memory shared with a device, for the hot paths (ring descriptors, indices,
 * request headers). Storing to or loading from a typed-array element is one interpreter opcode,
 * while each DataView call is a property lookup and a native call: about 700 guest instructions
 * under QuickJS, which made the split ring's descriptor writes a tenth of a block request's cost.
 *
 * Typed arrays use the machine's byte order and virtio's rings and headers are little-endian (legacy
 * devices use the guest's order, which on x86 is little-endian too), so these views are only right
 * on a little-endian machine: x86, and every host the simulator runs on. The constructor checks.
 * Word indices are byte offsets shifted right (`at >>> 1`, `at >>> 2`): every field they reach is
 * naturally aligned in its structure, and the structures are aligned in their regions.
 */
export class LeWords {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;

  constructor(buffer: ArrayBuffer) {
    if (!LITTLE_ENDIAN) throw new Error("virtio memory views need a little-endian machine");
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer, 0, buffer.byteLength >>> 1);
    this.u32 = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * Stores a 64-bit little-endian value below 2^53 at 32-bit word `word`. A store to a Uint32Array
 * keeps the value modulo 2^32, truncating any fraction: the low word is the value itself, the high
 * word the value divided by 2^32.
 */
export function storeU64(u32: Uint32Array, word: number, value: number): void {
  u32[word] = value;
  u32[word + 1] = value / TWO_POW_32;
}

/** The 64-bit little-endian value at 32-bit word `word` (exact below 2^53). */
export function loadU64(u32: Uint32Array, word: number): number {
  return u32[word + 1] * TWO_POW_32 + u32[word];
}
