/**
 * Test-side TCP segment builder and decoder, written from RFC 9293 independently of
 * runtime/net/tcp so the stack is checked against a second reading.
 */
import { onesComplement } from "../net/packets";

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface TcpSpec {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  /** Raw option bytes, padded here to a multiple of four. */
  options?: number[];
  data?: Uint8Array;
  corruptChecksum?: boolean;
  /** Overrides the data offset field (in 32-bit words). */
  dataOffsetWords?: number;
}

const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export function mssOption(mss: number): number[] {
  return [2, 4, ...u16(mss)];
}

export function windowScaleOption(shift: number): number[] {
  return [1, 3, 3, shift];
}

export function tcpSegment(source: number, destination: number, spec: TcpSpec): Uint8Array {
  const options = [...(spec.options ?? [])];
  while (options.length % 4 !== 0) options.push(0);
  const data = spec.data ?? new Uint8Array(0);
  const headerLength = 20 + options.length;
  const segment = new Uint8Array(headerLength + data.length);
  segment.set([...u16(spec.sourcePort), ...u16(spec.destinationPort), ...u32(spec.seq >>> 0), ...u32((spec.ack ?? 0) >>> 0)]);
  segment[12] = (spec.dataOffsetWords ?? headerLength / 4) << 4;
  segment[13] = spec.flags;
  segment.set(u16(spec.window ?? 65535), 14);
  segment.set(options, 20);
  segment.set(data, headerLength);
  const pseudo = new Uint8Array([...u32(source), ...u32(destination), 0, 6, ...u16(segment.length)]);
  const whole = new Uint8Array(pseudo.length + segment.length);
  whole.set(pseudo);
  whole.set(segment, pseudo.length);
  segment.set(u16(onesComplement(whole) ^ (spec.corruptChecksum ? 1 : 0)), 16);
  return segment;
}

export interface DecodedTcp {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  mss: number | null;
  windowScale: number | null;
  data: Uint8Array;
  checksumOk: boolean;
}

export function decodeTcp(source: number, destination: number, segment: Uint8Array): DecodedTcp {
  const r16 = (o: number): number => (segment[o] << 8) | segment[o + 1];
  const r32 = (o: number): number => ((segment[o] << 24) | (segment[o + 1] << 16) | (segment[o + 2] << 8) | segment[o + 3]) >>> 0;
  const headerLength = (segment[12] >>> 4) * 4;
  let mss: number | null = null;
  let windowScale: number | null = null;
  for (let o = 20; o < headerLength; ) {
    const kind = segment[o];
    if (kind === 0) break;
    if (kind === 1) {
      o++;
      continue;
    }
    if (kind === 2) mss = r16(o + 2);
    if (kind === 3) windowScale = segment[o + 2];
    o += segment[o + 1];
  }
  const pseudo = new Uint8Array([...u32(source), ...u32(destination), 0, 6, ...u16(segment.length)]);
  const whole = new Uint8Array(pseudo.length + segment.length);
  whole.set(pseudo);
  whole.set(segment, pseudo.length);
  return {
    sourcePort: r16(0),
    destinationPort: r16(2),
    seq: r32(4),
    ack: r32(8),
    flags: segment[13],
    window: r16(14),
    mss,
    windowScale,
    data: segment.slice(headerLength),
    checksumOk: onesComplement(whole) === 0,
  };
}

/** "SYN|ACK"-style text for readable assertions. */
export function flagNames(flags: number): string {
  const names: [number, string][] = [
    [SYN, "SYN"],
    [FIN, "FIN"],
    [RST, "RST"],
    [PSH, "PSH"],
    [ACK, "ACK"],
  ];
  return names
    .filter(([bit]) => (flags & bit) !== 0)
    .map(([, name]) => name)
    .join("|");
}
