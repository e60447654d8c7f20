// A minimal pcap (libpcap classic format) reader for frames QEMU's filter-dump writes.

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
const LINKTYPE_OFFSET = 20;
export const LINKTYPE_ETHERNET = 1;

export interface PcapFrame {
  /** Seconds since the epoch, with the fraction the file carries. */
  readonly time: number;
  readonly bytes: Uint8Array;
  /** Length on the wire (may exceed bytes.length when the capture was cut). */
  readonly originalLength: number;
}

export interface Pcap {
  readonly linkType: number;
  readonly frames: PcapFrame[];
}

/** Parses a whole capture; a record cut short at the end (QEMU still writing) is left out. */
export function readPcap(data: Uint8Array): Pcap {
  if (data.length < GLOBAL_HEADER_LENGTH) throw new Error(`pcap: ${data.length} bytes is shorter than the global header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let little: boolean;
  if (view.getUint32(0, true) === MAGIC_MICROSECONDS || view.getUint32(0, true) === MAGIC_NANOSECONDS) little = true;
  else if (view.getUint32(0, false) === MAGIC_MICROSECONDS || view.getUint32(0, false) === MAGIC_NANOSECONDS) little = false;
  else throw new Error(`pcap: bad magic 0x${view.getUint32(0, true).toString(16)}`);
  const fractionScale = view.getUint32(0, little) === MAGIC_NANOSECONDS ? 1e9 : 1e6;
  const linkType = view.getUint32(LINKTYPE_OFFSET, little);
  const frames: PcapFrame[] = [];
  for (let at = GLOBAL_HEADER_LENGTH; at + RECORD_HEADER_LENGTH <= data.length; ) {
    const seconds = view.getUint32(at, little);
    const fraction = view.getUint32(at + 4, little);
    const included = view.getUint32(at + 8, little);
    const originalLength = view.getUint32(at + 12, little);
    const start = at + RECORD_HEADER_LENGTH;
    if (start + included > data.length) break;
    frames.push({ time: seconds + fraction / fractionScale, bytes: data.subarray(start, start + included), originalLength });
    at = start + included;
  }
  return { linkType, frames };
}
