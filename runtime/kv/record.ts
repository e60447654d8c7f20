/** Encoding and checking of one log record (layout in layout.ts). */
import { crc32 } from "./crc32";
import { blocksFor, MAX_KEY_BYTES, MAX_VALUE_BYTES, Record, RECORD_MAGIC } from "./layout";

export interface RecordHeader {
  readonly flags: number;
  readonly keyLength: number;
  readonly valueLength: number;
  /** Header, key and value, without the padding. */
  readonly length: number;
}

/** The record as whole blocks, ready to write. */
export function encodeRecord(key: Uint8Array, value: Uint8Array, flags: number, sequence: number, blockSize: number): Uint8Array {
  const length = Record.HeaderSize + key.length + value.length;
  const record = new Uint8Array(blocksFor(length, blockSize) * blockSize);
  const view = new DataView(record.buffer);
  view.setUint32(Record.Magic, RECORD_MAGIC, true);
  view.setUint32(Record.Sequence, sequence >>> 0, true);
  view.setUint32(Record.Flags, flags, true);
  view.setUint32(Record.KeyLength, key.length, true);
  view.setUint32(Record.ValueLength, value.length, true);
  record.set(key, Record.HeaderSize);
  record.set(value, Record.HeaderSize + key.length);
  view.setUint32(Record.Crc, crc32(record.subarray(Record.Sequence, length)), true);
  return record;
}

/** The header at the start of `block`, or undefined if it is not a plausible record. */
export function decodeHeader(block: Uint8Array): RecordHeader | undefined {
  const view = new DataView(block.buffer, block.byteOffset, Record.HeaderSize);
  if (view.getUint32(Record.Magic, true) !== RECORD_MAGIC) return undefined;
  const keyLength = view.getUint32(Record.KeyLength, true);
  const valueLength = view.getUint32(Record.ValueLength, true);
  if (keyLength === 0 || keyLength > MAX_KEY_BYTES || valueLength > MAX_VALUE_BYTES) return undefined;
  return { flags: view.getUint32(Record.Flags, true), keyLength, valueLength, length: Record.HeaderSize + keyLength + valueLength };
}

/** Whether `record` (at least `length` bytes) carries its magic and a matching checksum. */
export function recordIntact(record: Uint8Array, length: number): boolean {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  return view.getUint32(Record.Magic, true) === RECORD_MAGIC && crc32(record.subarray(Record.Sequence, length)) === view.getUint32(Record.Crc, true);
}
