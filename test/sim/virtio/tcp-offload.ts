/**
 * What a host does with TCP over IPv4 for a virtio-net device's segmentation offloads: cut a
 * large segment the driver sent into MSS-sized ones (HOST_TSO4), and coalesce in-order segments of
 * one flow into one large segment for the driver (GUEST_TSO4). Written from RFC 791 (IPv4) and
 * RFC 9293 (TCP) header layouts; Ethernet II frames without VLAN tags.
 */

const ETHERNET_HEADER = 14;
const ETHERTYPE_OFFSET = 12;
const ETHERTYPE_IPV4 = 0x0800;
const IP_VERSION_IHL = 0;
const IP_TOTAL_LENGTH = 2;
const IP_IDENTIFICATION = 4;
const IP_FRAGMENT = 6;
const IP_PROTOCOL = 9;
const IP_CHECKSUM = 10;
const IP_SOURCE = 12;
const IP_DESTINATION = 16;
const IP_MORE_FRAGMENTS_AND_OFFSET = 0x3fff;
const PROTOCOL_TCP = 6;
const TCP_SOURCE_PORT = 0;
const TCP_DESTINATION_PORT = 2;
const TCP_SEQ = 4;
const TCP_ACK = 8;
const TCP_DATA_OFFSET = 12;
const TCP_FLAGS = 13;
const TCP_WINDOW = 14;
export const TCP_CHECKSUM = 16;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_PSH = 0x08;
const TCP_ACK_FLAG = 0x10;
const TCP_URG = 0x20;
const TCP_CWR = 0x80;
/** The 16-bit total length field bounds every IPv4 packet, a coalesced one included. */
export const MAX_IPV4_PACKET = 0xffff;

/** Where the headers of a TCP/IPv4 frame lie. */
export interface TcpFrameLayout {
  /** Offset of the IPv4 header. */
  readonly ip: number;
  /** Offset of the TCP header (the checksum start). */
  readonly tcp: number;
  /** Offset of the payload: the length of all headers. */
  readonly payload: number;
  /** End of the IPv4 packet inside the frame. */
  readonly end: number;
}

/** The layout of an unfragmented TCP/IPv4 frame, or undefined for anything else or a malformed one. */
export function tcpFrameLayout(frame: Uint8Array): TcpFrameLayout | undefined {
  if (frame.length < ETHERNET_HEADER + 20 || read16(frame, ETHERTYPE_OFFSET) !== ETHERTYPE_IPV4) return undefined;
  const ip = ETHERNET_HEADER;
  const ihl = (frame[ip + IP_VERSION_IHL] & 0x0f) * 4;
  if (frame[ip + IP_VERSION_IHL] >> 4 !== 4 || ihl < 20 || frame[ip + IP_PROTOCOL] !== PROTOCOL_TCP) return undefined;
  if ((read16(frame, ip + IP_FRAGMENT) & IP_MORE_FRAGMENTS_AND_OFFSET) !== 0) return undefined;
  const end = ip + read16(frame, ip + IP_TOTAL_LENGTH);
  const tcp = ip + ihl;
  if (end > frame.length || tcp + 20 > end) return undefined;
  const payload = tcp + (frame[tcp + TCP_DATA_OFFSET] >> 4) * 4;
  if (payload > end) return undefined;
  return { ip, tcp, payload, end };
}

/**
 * Cuts a TCP/IPv4 frame into segments of `mss` payload bytes each behind a copy of its headers:
 * IPv4 length, identification (counting up) and checksum, TCP sequence number, flags (FIN and PSH
 * on the last segment only, CWR on the first only) and checksum made for each.
 */
export function segmentTcp(frame: Uint8Array, layout: TcpFrameLayout, mss: number): Uint8Array[] {
  const { ip, tcp, payload, end } = layout;
  const segments: Uint8Array[] = [];
  const identification = read16(frame, ip + IP_IDENTIFICATION);
  const seq = read32(frame, tcp + TCP_SEQ);
  const flags = frame[tcp + TCP_FLAGS];
  for (let at = payload, n = 0; at < end || n === 0; at += mss, n++) {
    const length = Math.min(mss, end - at);
    const segment = new Uint8Array(payload + length);
    segment.set(frame.subarray(0, payload));
    segment.set(frame.subarray(at, at + length), payload);
    write16(segment, ip + IP_TOTAL_LENGTH, segment.length - ip);
    write16(segment, ip + IP_IDENTIFICATION, (identification + n) & 0xffff);
    const last = at + length >= end;
    segment[tcp + TCP_FLAGS] = flags & ~(last ? 0 : TCP_FIN | TCP_PSH) & ~(n === 0 ? 0 : TCP_CWR);
    write32(segment, tcp + TCP_SEQ, (seq + (at - payload)) >>> 0);
    fillIpChecksum(segment, ip, tcp);
    fillTcpChecksum(segment, ip, tcp);
    segments.push(segment);
  }
  return segments;
}

/** A segment the coalescer made: the frame and the MSS its parts had. */
export interface CoalescedSegment {
  readonly frame: Uint8Array;
  /** Payload bytes of the first part; 0 when the frame was passed through as it came. */
  readonly mss: number;
  /** How many received segments it holds. */
  readonly parts: number;
}

/**
 * Merges runs of consecutive segments of one TCP/IPv4 flow, each with a payload, valid checksums,
 * only ACK and PSH set (PSH ending a run), the same ACK number, window and header length, and
 * contiguous sequence numbers, into one segment of at most MAX_IPV4_PACKET bytes. Everything else
 * passes through as it came. The merged segment's TCP checksum field holds the pseudo-header sum
 * only, as a device leaves it for NEEDS_CSUM.
 */
export function coalesceTcp(frames: readonly Uint8Array[]): CoalescedSegment[] {
  const out: CoalescedSegment[] = [];
  let run: Uint8Array[] = [];
  let runLayout: TcpFrameLayout | undefined;
  let runBytes = 0;
  const flush = () => {
    if (run.length === 1 || runLayout === undefined) for (const frame of run) out.push({ frame, mss: 0, parts: 1 });
    else out.push({ frame: merge(run, runLayout), mss: runLayout.end - runLayout.payload, parts: run.length });
    run = [];
    runLayout = undefined;
    runBytes = 0;
  };
  for (const frame of frames) {
    const layout = mergeable(frame);
    if (layout === undefined) {
      flush();
      out.push({ frame, mss: 0, parts: 1 });
      continue;
    }
    const length = layout.end - layout.payload;
    if (runLayout === undefined || !continues(run[run.length - 1], runLayout, frame, layout) || runBytes + length > MAX_IPV4_PACKET - (runLayout.payload - runLayout.ip)) flush();
    if (runLayout === undefined) runLayout = layout;
    run.push(frame);
    runBytes += length;
    if ((frame[layout.tcp + TCP_FLAGS] & TCP_PSH) !== 0) flush();
  }
  flush();
  return out;
}

function mergeable(frame: Uint8Array): TcpFrameLayout | undefined {
  const layout = tcpFrameLayout(frame);
  if (layout === undefined || layout.end === layout.payload) return undefined;
  const flags = frame[layout.tcp + TCP_FLAGS];
  if ((flags & (TCP_FIN | TCP_SYN | TCP_RST | TCP_URG | TCP_CWR)) !== 0 || (flags & TCP_ACK_FLAG) === 0) return undefined;
  if (!checksumOk(frame, layout.ip, layout.tcp, layout.tcp, layout.end) || ipChecksum(frame, layout.ip, layout.tcp) !== 0) return undefined;
  return layout;
}

/** Whether `next` continues the run that `last` ends (same flow, ACK, window and headers, next sequence number). */
function continues(last: Uint8Array, first: TcpFrameLayout, next: Uint8Array, layout: TcpFrameLayout): boolean {
  const lastLayout = tcpFrameLayout(last) as TcpFrameLayout;
  if (layout.payload !== first.payload || layout.tcp !== first.tcp) return false;
  for (const offset of [IP_SOURCE, IP_DESTINATION]) if (read32(last, first.ip + offset) !== read32(next, layout.ip + offset)) return false;
  for (const offset of [TCP_SOURCE_PORT, TCP_DESTINATION_PORT, TCP_WINDOW]) if (read16(last, first.tcp + offset) !== read16(next, layout.tcp + offset)) return false;
  if (read32(last, first.tcp + TCP_ACK) !== read32(next, layout.tcp + TCP_ACK)) return false;
  const expected = (read32(last, first.tcp + TCP_SEQ) + (lastLayout.end - lastLayout.payload)) >>> 0;
  return read32(next, layout.tcp + TCP_SEQ) === expected;
}

function merge(run: Uint8Array[], layout: TcpFrameLayout): Uint8Array {
  const { ip, tcp, payload } = layout;
  const total = run.reduce((sum, frame) => sum + (read16(frame, ip + IP_TOTAL_LENGTH) + ip - payload), payload);
  const merged = new Uint8Array(total);
  merged.set(run[0].subarray(0, payload));
  let at = payload;
  for (const frame of run) {
    const end = ip + read16(frame, ip + IP_TOTAL_LENGTH);
    merged.set(frame.subarray(payload, end), at);
    at += end - payload;
  }
  const last = run[run.length - 1];
  merged[tcp + TCP_FLAGS] = last[tcp + TCP_FLAGS];
  write16(merged, ip + IP_TOTAL_LENGTH, total - ip);
  fillIpChecksum(merged, ip, tcp);
  write16(merged, tcp + TCP_CHECKSUM, fold(pseudoHeaderSum(merged, ip, total - tcp)));
  return merged;
}

/** Whether the transport checksum over bytes[from, end) with the pseudo-header comes out right. */
export function checksumOk(bytes: Uint8Array, ip: number, tcp: number, from: number, end: number): boolean {
  return fold(sum16(bytes, from, end, pseudoHeaderSum(bytes, ip, end - tcp))) === 0xffff;
}

/**
 * Whether the TCP checksum field holds the pseudo-header sum for the segment's TCP length and
 * nothing else, as NEEDS_CSUM asks (either zero of one's complement counts).
 */
export function holdsPseudoHeaderSum(frame: Uint8Array, layout: TcpFrameLayout): boolean {
  const expected = fold(pseudoHeaderSum(frame, layout.ip, layout.end - layout.tcp));
  const field = read16(frame, layout.tcp + TCP_CHECKSUM);
  return field === expected || (field | expected) === 0xffff && (field === 0 || expected === 0);
}

function fillIpChecksum(frame: Uint8Array, ip: number, tcp: number): void {
  write16(frame, ip + IP_CHECKSUM, 0);
  write16(frame, ip + IP_CHECKSUM, ipChecksum(frame, ip, tcp));
}

function ipChecksum(frame: Uint8Array, ip: number, end: number): number {
  return ~fold(sum16(frame, ip, end, 0)) & 0xffff;
}

function fillTcpChecksum(frame: Uint8Array, ip: number, tcp: number): void {
  write16(frame, tcp + TCP_CHECKSUM, 0);
  write16(frame, tcp + TCP_CHECKSUM, ~fold(sum16(frame, tcp, frame.length, pseudoHeaderSum(frame, ip, frame.length - tcp))) & 0xffff);
}

function pseudoHeaderSum(frame: Uint8Array, ip: number, tcpLength: number): number {
  return sum16(frame, ip + IP_SOURCE, ip + IP_DESTINATION + 4, 0) + PROTOCOL_TCP + tcpLength;
}

function sum16(bytes: Uint8Array, from: number, end: number, sum: number): number {
  for (let i = from; i < end; i += 2) sum += (bytes[i] << 8) | (i + 1 < end ? bytes[i + 1] : 0);
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

function read16(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 8) | bytes[at + 1];
}

function write16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value & 0xff;
}

function read32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function write32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}
