import { read16, read32, write16, write32 } from "../bytes";
import { checksumValid, pseudoHeaderSum } from "../checksum";
import type { DropReason } from "../counters";
import type { Ipv4Datagram } from "../ipv4";
import { PROTOCOL_TCP } from "../ipv4-header";
import {
  ACKNOWLEDGMENT_OFFSET,
  DATA_OFFSET_OFFSET,
  DATA_OFFSET_UNIT,
  DESTINATION_PORT_OFFSET,
  FLAGS_OFFSET,
  FLAG_FIN,
  FLAG_SYN,
  MAX_WINDOW_SCALE,
  OPTION_END,
  OPTION_MSS,
  OPTION_MSS_LENGTH,
  OPTION_NOP,
  OPTION_PREAMBLE,
  OPTION_WINDOW_SCALE,
  OPTION_WINDOW_SCALE_LENGTH,
  SEQUENCE_OFFSET,
  SOURCE_PORT_OFFSET,
  TCP_HEADER_LENGTH,
  WINDOW_OFFSET,
} from "./header";

/** In ParsedSegment: the option was absent. */
export const OPTION_ABSENT = -1;
const DATA_OFFSET_SHIFT = 4;

/** A received segment's fields; reused between segments, so valid only while it is processed. */
export class ParsedSegment {
  sourcePort = 0;
  destinationPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  mss = OPTION_ABSENT;
  windowScale = OPTION_ABSENT;
  bytes: Uint8Array = new Uint8Array(0);
  payloadOffset = 0;
  payloadLength = 0;

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  /** Sequence space the segment occupies: data plus one each for SYN and FIN. */
  get seqLength(): number {
    return this.payloadLength + (this.has(FLAG_SYN) ? 1 : 0) + (this.has(FLAG_FIN) ? 1 : 0);
  }
}

/** Fills `out` from a datagram, or returns why the segment must be dropped. */
export function parseSegment(datagram: Ipv4Datagram, out: ParsedSegment): DropReason | null {
  const { bytes, payloadOffset: offset, payloadLength: length } = datagram;
  if (length < TCP_HEADER_LENGTH) return "tcp.truncated";
  const headerLength = (bytes[offset + DATA_OFFSET_OFFSET] >>> DATA_OFFSET_SHIFT) * DATA_OFFSET_UNIT;
  if (headerLength < TCP_HEADER_LENGTH || headerLength > length) return "tcp.badDataOffset";
  if (!datagram.checksumValidated && !checksumValid(bytes, offset, length, pseudoHeaderSum(datagram.source, datagram.destination, PROTOCOL_TCP, length))) {
    return "tcp.badChecksum";
  }
  out.mss = OPTION_ABSENT;
  out.windowScale = OPTION_ABSENT;
  if (headerLength > TCP_HEADER_LENGTH && !parseOptions(bytes, offset + TCP_HEADER_LENGTH, offset + headerLength, out)) return "tcp.badOptions";
  out.sourcePort = read16(bytes, offset + SOURCE_PORT_OFFSET);
  out.destinationPort = read16(bytes, offset + DESTINATION_PORT_OFFSET);
  out.seq = read32(bytes, offset + SEQUENCE_OFFSET);
  out.ack = read32(bytes, offset + ACKNOWLEDGMENT_OFFSET);
  out.flags = bytes[offset + FLAGS_OFFSET];
  out.window = read16(bytes, offset + WINDOW_OFFSET);
  out.bytes = bytes;
  out.payloadOffset = offset + headerLength;
  out.payloadLength = length - headerLength;
  return null;
}

function parseOptions(bytes: Uint8Array, start: number, end: number, out: ParsedSegment): boolean {
  let i = start;
  while (i < end) {
    const kind = bytes[i];
    if (kind === OPTION_END) return true;
    if (kind === OPTION_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return false;
    const length = bytes[i + 1];
    if (length < OPTION_PREAMBLE || i + length > end) return false;
    if (kind === OPTION_MSS) {
      if (length !== OPTION_MSS_LENGTH) return false;
      out.mss = read16(bytes, i + OPTION_PREAMBLE);
    } else if (kind === OPTION_WINDOW_SCALE) {
      if (length !== OPTION_WINDOW_SCALE_LENGTH) return false;
      out.windowScale = Math.min(bytes[i + OPTION_PREAMBLE], MAX_WINDOW_SCALE);
    }
    i += length;
  }
  return true;
}

export interface OutgoingSegment {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  /** SYN options; OPTION_ABSENT leaves one out. */
  readonly mss: number;
  readonly windowScale: number;
}

/** Bytes of header and options a segment with `fields` needs. */
export function segmentHeaderLength(fields: OutgoingSegment): number {
  const optionsLength =
    (fields.mss === OPTION_ABSENT ? 0 : OPTION_MSS_LENGTH) + (fields.windowScale === OPTION_ABSENT ? 0 : OPTION_WINDOW_SCALE_LENGTH + 1);
  return TCP_HEADER_LENGTH + optionsLength;
}

/**
 * Writes header and options at `offset` of a zero-filled frame; the payload follows them. The
 * checksum field stays zero: the IP layer fills it in (or the link, when it offloads).
 */
export function writeSegmentHeader(frame: Uint8Array, offset: number, fields: OutgoingSegment): void {
  const headerLength = segmentHeaderLength(fields);
  write16(frame, offset + SOURCE_PORT_OFFSET, fields.sourcePort);
  write16(frame, offset + DESTINATION_PORT_OFFSET, fields.destinationPort);
  write32(frame, offset + SEQUENCE_OFFSET, fields.seq);
  write32(frame, offset + ACKNOWLEDGMENT_OFFSET, fields.ack);
  frame[offset + DATA_OFFSET_OFFSET] = (headerLength / DATA_OFFSET_UNIT) << DATA_OFFSET_SHIFT;
  frame[offset + FLAGS_OFFSET] = fields.flags;
  write16(frame, offset + WINDOW_OFFSET, fields.window);
  let i = offset + TCP_HEADER_LENGTH;
  if (fields.mss !== OPTION_ABSENT) {
    frame[i] = OPTION_MSS;
    frame[i + 1] = OPTION_MSS_LENGTH;
    write16(frame, i + OPTION_PREAMBLE, fields.mss);
    i += OPTION_MSS_LENGTH;
  }
  if (fields.windowScale !== OPTION_ABSENT) {
    // A leading NOP keeps the header a multiple of four bytes.
    frame.set([OPTION_NOP, OPTION_WINDOW_SCALE, OPTION_WINDOW_SCALE_LENGTH, fields.windowScale], i);
  }
}
