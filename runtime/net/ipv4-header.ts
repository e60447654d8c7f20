import { read16, read32, write16, write32 } from "./bytes";
import { internetChecksum } from "./checksum";

export const IPV4_HEADER_LENGTH = 20;
export const IPV4_VERSION = 4;
export const IPV4_MAX_DATAGRAM = 65535;
export const DEFAULT_TTL = 64;

export const PROTOCOL_ICMP = 1;
export const PROTOCOL_TCP = 6;
export const PROTOCOL_UDP = 17;

export const VERSION_IHL_OFFSET = 0;
export const TOTAL_LENGTH_OFFSET = 2;
export const IDENTIFICATION_OFFSET = 4;
export const FLAGS_FRAGMENT_OFFSET = 6;
export const TTL_OFFSET = 8;
export const PROTOCOL_OFFSET = 9;
export const HEADER_CHECKSUM_OFFSET = 10;
export const SOURCE_OFFSET = 12;
export const DESTINATION_OFFSET = 16;

export const FLAG_MORE_FRAGMENTS = 0x2000;
export const FRAGMENT_OFFSET_MASK = 0x1fff;
/** Fragment offsets count 8-byte units. */
export const FRAGMENT_UNIT = 8;

export interface Ipv4HeaderFields {
  readonly totalLength: number;
  readonly identification: number;
  /** Flags and fragment offset word. */
  readonly fragment: number;
  readonly protocol: number;
  readonly source: number;
  readonly destination: number;
}

/** Writes an option-less header at `offset`, including its checksum. */
export function writeIpv4Header(bytes: Uint8Array, offset: number, fields: Ipv4HeaderFields): void {
  bytes[offset + VERSION_IHL_OFFSET] = (IPV4_VERSION << 4) | (IPV4_HEADER_LENGTH / 4);
  bytes[offset + 1] = 0;
  write16(bytes, offset + TOTAL_LENGTH_OFFSET, fields.totalLength);
  write16(bytes, offset + IDENTIFICATION_OFFSET, fields.identification);
  write16(bytes, offset + FLAGS_FRAGMENT_OFFSET, fields.fragment);
  bytes[offset + TTL_OFFSET] = DEFAULT_TTL;
  bytes[offset + PROTOCOL_OFFSET] = fields.protocol;
  write16(bytes, offset + HEADER_CHECKSUM_OFFSET, 0);
  write32(bytes, offset + SOURCE_OFFSET, fields.source);
  write32(bytes, offset + DESTINATION_OFFSET, fields.destination);
  write16(bytes, offset + HEADER_CHECKSUM_OFFSET, internetChecksum(bytes, offset, IPV4_HEADER_LENGTH));
}

export function headerLength(bytes: Uint8Array, offset: number): number {
  return (bytes[offset + VERSION_IHL_OFFSET] & 0x0f) * 4;
}

export function readSource(bytes: Uint8Array, offset: number): number {
  return read32(bytes, offset + SOURCE_OFFSET);
}

export function readDestination(bytes: Uint8Array, offset: number): number {
  return read32(bytes, offset + DESTINATION_OFFSET);
}

export function readFragmentWord(bytes: Uint8Array, offset: number): number {
  return read16(bytes, offset + FLAGS_FRAGMENT_OFFSET);
}
