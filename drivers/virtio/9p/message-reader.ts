import { NineProtocolError } from "./errors";

const TWO_POW_32 = 2 ** 32;
const MAX_SAFE_HIGH = Math.floor(Number.MAX_SAFE_INTEGER / TWO_POW_32);

/**
 * Reads one R-message's fields from the reply buffer, never past `end` (the message's size[4],
 * already checked against the used length and msize). Anything that would run past it, a string
 * that is not UTF-8 or a 64-bit value beyond a safe integer throws NineProtocolError.
 */
export class MessageReader {
  private view: DataView;
  private bytes: Uint8Array;
  private at = 0;
  private end = 0;
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });

  constructor(private readonly deviceName: string) {
    this.bytes = new Uint8Array(0);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Reads `bytes[from..end)`. */
  reset(bytes: Uint8Array, from: number, end: number): void {
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.at = from;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.at;
  }

  u8(): number {
    this.need(1, "u8");
    const value = this.view.getUint8(this.at);
    this.at += 1;
    return value;
  }

  u16(): number {
    this.need(2, "u16");
    const value = this.view.getUint16(this.at, true);
    this.at += 2;
    return value;
  }

  u32(): number {
    this.need(4, "u32");
    const value = this.view.getUint32(this.at, true);
    this.at += 4;
    return value;
  }

  /** A le64 that must be a safe integer (sizes, offsets, times). */
  u64(what: string): number {
    this.need(8, what);
    const low = this.view.getUint32(this.at, true);
    const high = this.view.getUint32(this.at + 4, true);
    if (high > MAX_SAFE_HIGH) throw this.error(`${what} 0x${high.toString(16)}${low.toString(16).padStart(8, "0")} is beyond 2^53`);
    this.at += 8;
    return high * TWO_POW_32 + low;
  }

  /** A le64 that may take all 64 bits (qid paths, fsid). */
  u64Big(what: string): bigint {
    this.need(8, what);
    const value = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return value;
  }

  /** len[2] and that many UTF-8 bytes, inside the message and at most `maxBytes`. */
  string(what: string, maxBytes: number): string {
    const length = this.u16();
    if (length > maxBytes) throw this.error(`${what} of ${length} bytes exceeds ${maxBytes}`);
    this.need(length, what);
    let text: string;
    try {
      text = this.decoder.decode(this.bytes.subarray(this.at, this.at + length));
    } catch {
      throw this.error(`${what} is not UTF-8`);
    }
    this.at += length;
    return text;
  }

  /** `length` raw bytes, as a view of the reply buffer (copy before the slot is reused). */
  view8(length: number, what: string): Uint8Array {
    this.need(length, what);
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  /** The message must have been read to its last byte. */
  finish(what: string): void {
    if (this.at !== this.end) throw this.error(`${what}: ${this.end - this.at} bytes after the last field`);
  }

  error(detail: string): NineProtocolError {
    return new NineProtocolError(this.deviceName, "reply", detail);
  }

  private need(bytes: number, what: string): void {
    if (this.at + bytes > this.end) throw this.error(`${what} runs ${this.at + bytes - this.end} bytes past the end of the message`);
  }
}
