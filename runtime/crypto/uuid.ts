/** RFC 9562 version 4 UUIDs (crypto.randomUUID) from a source of random bytes. */
const UUID_BYTES = 16;
const VERSION_BYTE = 6;
const VARIANT_BYTE = 8;
const VERSION_4 = 0x40;
const VARIANT_RFC = 0x80;
const LOW_NIBBLE_MASK = 0x0f;
const LOW_SIX_BITS_MASK = 0x3f;
/** Where the hyphens go: after bytes 4, 6, 8 and 10. */
const GROUP_ENDS = [4, 6, 8, 10];

export function randomUuid(fill: (bytes: Uint8Array) => void): string {
  const bytes = new Uint8Array(UUID_BYTES);
  fill(bytes);
  bytes[VERSION_BYTE] = (bytes[VERSION_BYTE] & LOW_NIBBLE_MASK) | VERSION_4;
  bytes[VARIANT_BYTE] = (bytes[VARIANT_BYTE] & LOW_SIX_BITS_MASK) | VARIANT_RFC;
  let text = "";
  bytes.forEach((byte, index) => {
    if (GROUP_ENDS.includes(index)) text += "-";
    text += byte.toString(16).padStart(2, "0");
  });
  return text;
}
