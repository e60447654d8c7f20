/**
 * Test-side packet builders and decoders, written independently of runtime/net so that the
 * stack is checked against a second reading of the RFCs rather than against itself.
 */

export const BROADCAST = new Uint8Array([255, 255, 255, 255, 255, 255]);

export function ip(text: string): number {
  return text.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function u16(value: number): number[] {
  return [(value >>> 8) & 0xff, value & 0xff];
}

function u32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** RFC 1071 checksum, the straightforward way. */
export function onesComplement(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function ethernet(destination: Uint8Array, source: Uint8Array, etherType: number, payload: Uint8Array): Uint8Array {
  return concat(destination, source, u16(etherType), payload);
}

export interface Ipv4Spec {
  source: number;
  destination: number;
  protocol: number;
  payload: Uint8Array;
  id?: number;
  moreFragments?: boolean;
  /** In bytes; must be a multiple of 8. */
  fragmentOffset?: number;
  version?: number;
  headerLength?: number;
  totalLength?: number;
  corruptChecksum?: boolean;
}

export function ipv4Packet(spec: Ipv4Spec): Uint8Array {
  const headerLength = spec.headerLength ?? 20;
  const header = new Uint8Array(Math.max(headerLength, 20));
  header.set([((spec.version ?? 4) << 4) | (headerLength / 4), 0]);
  header.set(u16(spec.totalLength ?? header.length + spec.payload.length), 2);
  header.set(u16(spec.id ?? 1), 4);
  header.set(u16((spec.moreFragments ? 0x2000 : 0) | ((spec.fragmentOffset ?? 0) / 8)), 6);
  header.set([64, spec.protocol], 8);
  header.set(u32(spec.source), 12);
  header.set(u32(spec.destination), 16);
  header.set(u16(onesComplement(header) ^ (spec.corruptChecksum ? 1 : 0)), 10);
  return concat(header, spec.payload);
}

export interface UdpSpec {
  source: number;
  destination: number;
  sourcePort: number;
  destinationPort: number;
  data: Uint8Array;
  checksum?: "valid" | "zero" | "corrupt";
  length?: number;
}

export function udpSegment(spec: UdpSpec): Uint8Array {
  const length = 8 + spec.data.length;
  const segment = concat(u16(spec.sourcePort), u16(spec.destinationPort), u16(spec.length ?? length), [0, 0], spec.data);
  if (spec.checksum === "zero") return segment;
  const pseudo = concat(u32(spec.source), u32(spec.destination), [0, 17], u16(length), segment);
  const sum = onesComplement(pseudo) || 0xffff;
  segment.set(u16(spec.checksum === "corrupt" ? sum ^ 0x0100 : sum), 6);
  return segment;
}

export function icmpMessage(type: number, code: number, rest: number[], data: Uint8Array, corrupt = false): Uint8Array {
  const message = concat([type, code, 0, 0], rest, data);
  message.set(u16(onesComplement(message) ^ (corrupt ? 1 : 0)), 2);
  return message;
}

export function arpPacket(operation: number, senderMac: Uint8Array, senderIp: number, targetMac: Uint8Array, targetIp: number): Uint8Array {
  return concat(u16(1), u16(0x0800), [6, 4], u16(operation), senderMac, u32(senderIp), targetMac, u32(targetIp));
}

export interface DecodedFrame {
  destination: Uint8Array;
  source: Uint8Array;
  etherType: number;
  payload: Uint8Array;
}

export function decodeFrame(frame: Uint8Array): DecodedFrame {
  return { destination: frame.slice(0, 6), source: frame.slice(6, 12), etherType: (frame[12] << 8) | frame[13], payload: frame.slice(14) };
}

export interface DecodedIpv4 {
  source: number;
  destination: number;
  protocol: number;
  id: number;
  moreFragments: boolean;
  fragmentOffset: number;
  ttl: number;
  headerChecksumOk: boolean;
  payload: Uint8Array;
}

export function decodeIpv4(packet: Uint8Array): DecodedIpv4 {
  const headerLength = (packet[0] & 0x0f) * 4;
  const totalLength = (packet[2] << 8) | packet[3];
  const flags = (packet[6] << 8) | packet[7];
  const read32 = (o: number): number => ((packet[o] << 24) | (packet[o + 1] << 16) | (packet[o + 2] << 8) | packet[o + 3]) >>> 0;
  return {
    source: read32(12),
    destination: read32(16),
    protocol: packet[9],
    id: (packet[4] << 8) | packet[5],
    moreFragments: (flags & 0x2000) !== 0,
    fragmentOffset: (flags & 0x1fff) * 8,
    ttl: packet[8],
    headerChecksumOk: onesComplement(packet.subarray(0, headerLength)) === 0,
    payload: packet.slice(headerLength, totalLength),
  };
}

/** True when a UDP segment's checksum verifies over the pseudo-header. */
export function udpChecksumOk(source: number, destination: number, segment: Uint8Array): boolean {
  return onesComplement(concat(u32(source), u32(destination), [0, 17], u16(segment.length), segment)) === 0;
}
