import { Header, type RequestType } from "./constants";
import { NineUsageError } from "./errors";

const U16_MAX = 0xffff;
const ENCODER = new TextEncoder();
const TWO_POW_32 = 2 ** 32;

/**
 * Builds one T-message in a request buffer (a DMA slot): `begin`, the fields in order, `finish`
 * (which writes size[4]). A field that would run past the buffer throws NineUsageError before
 * anything reaches the device: a caller asked for more than msize allows.
 */
export class MessageWriter {
  private readonly view: DataView;
  private at = 0;

  constructor(
    private readonly deviceName: string,
    readonly bytes: Uint8Array,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  begin(type: RequestType, tag: number): void {
    this.at = Header.Bytes;
    this.view.setUint8(Header.Type, type);
    this.view.setUint16(Header.Tag, tag, true);
  }

  u16(value: number): void {
    this.need(2);
    this.view.setUint16(this.at, value, true);
    this.at += 2;
  }

  u32(value: number): void {
    this.need(4);
    this.view.setUint32(this.at, value, true);
    this.at += 4;
  }

  /** A non-negative safe integer as le64. */
  u64(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new NineUsageError(this.deviceName, "u64", `${value} is not a non-negative safe integer`);
    this.need(8);
    this.view.setUint32(this.at, value >>> 0, true);
    this.view.setUint32(this.at + 4, Math.floor(value / TWO_POW_32), true);
    this.at += 8;
  }

  /** Any 64-bit value (a directory cookie handed back as the server gave it). */
  u64Big(value: bigint): void {
    this.need(8);
    this.view.setBigUint64(this.at, BigInt.asUintN(64, value), true);
    this.at += 8;
  }

  /** A string: len[2] and its UTF-8 bytes. */
  string(text: string): void {
    const at = this.at;
    this.need(2);
    // encodeInto writes no more than the room left: a string that filled it may have been cut.
    const { written, read } = ENCODER.encodeInto(text, this.bytes.subarray(at + 2));
    if (read !== text.length || written > U16_MAX) throw new NineUsageError(this.deviceName, "message-size", `a string of ${text.length} characters does not fit the message`);
    this.view.setUint16(at, written, true);
    this.at = at + 2 + written;
  }

  /** Raw bytes (Twrite's data). */
  data(source: Uint8Array): void {
    this.need(source.length);
    this.bytes.set(source, this.at);
    this.at += source.length;
  }

  /** Writes size[4]; returns the message's length. */
  finish(): number {
    this.view.setUint32(Header.Size, this.at, true);
    return this.at;
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.bytes.length) {
      throw new NineUsageError(this.deviceName, "message-size", `message needs ${this.at + bytes} bytes, msize allows ${this.bytes.length}`);
    }
  }
}
