/**
 * Math.random bytes, for hosts without an entropy device. Not cryptographic: good enough for
 * identifiers, sequence numbers and locally administered MAC addresses.
 */
export function mathRandomFill(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
}
