/**
 * Structure-aware mutation of Ethernet frames: the fuzzer knows where the IPv4, TCP, UDP and ICMP
 * fields sit, sets them to edge values, cuts and stretches frames, and usually repairs the
 * checksums afterwards so that the damage reaches the layer under test instead of dying at the
 * first checksum check. Written from the RFCs, independently of runtime/net.
 */
import { onesComplement } from "../net/packets";
import type { Prng } from "./prng";

const ETHERNET_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
const PROTOCOL_ICMP = 1;
const PROTOCOL_TCP = 6;
const PROTOCOL_UDP = 17;
const TCP_CHECKSUM = 16;
const UDP_CHECKSUM = 6;
const ICMP_CHECKSUM = 2;
const IPV4_CHECKSUM = 10;

/** Values that sit on the edges of what parsers check. */
const EDGE_BYTES = [0x00, 0x01, 0x02, 0x05, 0x06, 0x0f, 0x10, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff];
const EDGE_WORDS = [0, 1, 2, 8, 20, 40, 60, 64, 536, 1460, 1500, 0x7fff, 0x8000, 0xfffe, 0xffff];

interface Field {
  readonly offset: number;
  readonly width: 1 | 2 | 4;
}

/** Header fields worth setting on purpose, by layer (offsets from the frame's start). */
function fieldsOf(frame: Uint8Array): Field[] {
  const fields: Field[] = [{ offset: 12, width: 2 }];
  if (frame.length < ETHERNET_HEADER + 20 || ((frame[12] << 8) | frame[13]) !== ETHERTYPE_IPV4) return fields;
  const ip = ETHERNET_HEADER;
  for (const [offset, width] of [[0, 1], [1, 1], [2, 2], [4, 2], [6, 2], [8, 1], [9, 1], [12, 4], [16, 4]] as const) fields.push({ offset: ip + offset, width });
  const l4 = ip + (frame[ip] & 0x0f) * 4;
  const protocol = frame[ip + 9];
  if (protocol === PROTOCOL_TCP) {
    for (const [offset, width] of [[0, 2], [2, 2], [4, 4], [8, 4], [12, 1], [13, 1], [14, 2], [18, 2], [20, 1], [21, 1], [22, 2], [23, 1]] as const) fields.push({ offset: l4 + offset, width });
  } else if (protocol === PROTOCOL_UDP) {
    for (const [offset, width] of [[0, 2], [2, 2], [4, 2], [8, 2], [10, 2], [12, 2], [14, 1], [20, 1], [28, 1], [236, 4], [240, 1], [241, 1], [242, 1]] as const) fields.push({ offset: l4 + offset, width });
  } else if (protocol === PROTOCOL_ICMP) {
    for (const [offset, width] of [[0, 1], [1, 1], [4, 2], [6, 2]] as const) fields.push({ offset: l4 + offset, width });
  }
  return fields.filter((f) => f.offset + f.width <= frame.length);
}

function setField(frame: Uint8Array, field: Field, value: number): void {
  for (let i = 0; i < field.width; i++) frame[field.offset + i] = (value >>> (8 * (field.width - 1 - i))) & 0xff;
}

function edgeValue(random: Prng, width: 1 | 2 | 4): number {
  if (width === 1) return random.chance(0.7) ? random.pick(EDGE_BYTES) : random.below(256);
  if (width === 2) return random.chance(0.7) ? random.pick(EDGE_WORDS) : random.below(0x10000);
  return random.chance(0.5) ? random.pick([0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]) : random.next();
}

/** Recomputes the IPv4 header checksum and the TCP, UDP or ICMP one over what the frame holds. */
export function repairChecksums(frame: Uint8Array): void {
  if (frame.length < ETHERNET_HEADER + 20 || ((frame[12] << 8) | frame[13]) !== ETHERTYPE_IPV4) return;
  const ip = ETHERNET_HEADER;
  const headerLength = (frame[ip] & 0x0f) * 4;
  if (headerLength < 20 || ip + headerLength > frame.length) return;
  frame[ip + IPV4_CHECKSUM] = frame[ip + IPV4_CHECKSUM + 1] = 0;
  const headerSum = onesComplement(frame.subarray(ip, ip + headerLength));
  frame[ip + IPV4_CHECKSUM] = headerSum >>> 8;
  frame[ip + IPV4_CHECKSUM + 1] = headerSum & 0xff;
  const totalLength = (frame[ip + 2] << 8) | frame[ip + 3];
  const l4 = ip + headerLength;
  const end = Math.min(frame.length, ip + Math.max(totalLength, headerLength));
  if ((((frame[ip + 6] << 8) | frame[ip + 7]) & 0x3fff) !== 0) return; // a fragment: the sum covers the whole datagram
  const segment = frame.subarray(l4, end);
  const protocol = frame[ip + 9];
  const at = protocol === PROTOCOL_TCP ? TCP_CHECKSUM : protocol === PROTOCOL_UDP ? UDP_CHECKSUM : protocol === PROTOCOL_ICMP ? ICMP_CHECKSUM : -1;
  if (at < 0 || segment.length < at + 2) return;
  segment[at] = segment[at + 1] = 0;
  let sum: number;
  if (protocol === PROTOCOL_ICMP) {
    sum = onesComplement(segment);
  } else {
    const pseudo = new Uint8Array(12 + segment.length);
    pseudo.set(frame.subarray(ip + 12, ip + 20));
    pseudo[9] = protocol;
    pseudo[10] = segment.length >>> 8;
    pseudo[11] = segment.length & 0xff;
    pseudo.set(segment, 12);
    sum = onesComplement(pseudo);
    if (protocol === PROTOCOL_UDP && sum === 0) sum = 0xffff;
  }
  segment[at] = sum >>> 8;
  segment[at + 1] = sum & 0xff;
}

/** A damaged copy of `frame`: one to three mutations, checksums repaired most of the time. */
export function mutateFrame(frame: Uint8Array, random: Prng): Uint8Array {
  let out = frame.slice();
  const rounds = 1 + random.below(3);
  for (let round = 0; round < rounds; round++) {
    switch (random.below(6)) {
      case 0:
      case 1: {
        const fields = fieldsOf(out);
        const field = random.pick(fields);
        setField(out, field, edgeValue(random, field.width));
        break;
      }
      case 2:
        for (let i = 1 + random.below(4); i > 0; i--) out[random.below(out.length)] ^= 1 << random.below(8);
        break;
      case 3:
        out = out.slice(0, random.below(out.length + 1));
        break;
      case 4: {
        const longer = new Uint8Array(out.length + 1 + random.below(64));
        longer.set(out);
        longer.set(random.bytes(longer.length - out.length), out.length);
        out = longer;
        break;
      }
      default: {
        // Overwrite a run of bytes past the headers: payloads, options, HTTP text.
        if (out.length <= ETHERNET_HEADER) break;
        const start = ETHERNET_HEADER + random.below(out.length - ETHERNET_HEADER);
        const run = random.bytes(Math.min(out.length - start, 1 + random.below(16)));
        out.set(run, start);
      }
    }
  }
  if (random.chance(0.75)) repairChecksums(out);
  return out;
}
