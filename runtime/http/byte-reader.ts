import { concatenate } from "./body";

const CR = 0x0d;
const LF = 0x0a;
const CRLF_LENGTH = 2;

/** Thrown when a delimited read runs past its limit. */
export class LimitExceeded extends Error {}

/** Buffered reads over a chunk source: up to a delimiter, or up to a byte count. */
export class ByteReader {
  private buffer: Uint8Array = new Uint8Array(0);
  private start = 0;

  constructor(private readonly source: () => Promise<Uint8Array | null>) {}

  /** True when no buffered bytes remain. */
  get empty(): boolean {
    return this.start === this.buffer.length;
  }

  /**
   * Bytes up to the first empty line (CRLF CRLF), which is consumed but not returned; null at a
   * clean end of stream. Throws LimitExceeded beyond `maxBytes`.
   */
  async readHead(maxBytes: number): Promise<Uint8Array | null> {
    // RFC 9112 2.2: ignore empty lines before a request.
    for (;;) {
      if (!(await this.fill())) return null;
      if (this.buffer[this.start] !== CR && this.buffer[this.start] !== LF) break;
      this.start++;
    }
    return this.readUntil(maxBytes, true);
  }

  /** One line without its CRLF; null at the end of stream. */
  readLine(maxBytes: number): Promise<Uint8Array | null> {
    return this.readUntil(maxBytes, false);
  }

  /** Between 1 and `max` bytes, or null at the end of stream. */
  async readUpTo(max: number): Promise<Uint8Array | null> {
    if (!(await this.fill())) return null;
    const end = Math.min(this.buffer.length, this.start + max);
    const chunk = this.buffer.subarray(this.start, end);
    this.start = end;
    return chunk;
  }

  private async readUntil(maxBytes: number, emptyLine: boolean): Promise<Uint8Array | null> {
    // Bytes after `start` already searched; relative, because more() moves the buffer's contents.
    let scanned = 0;
    for (;;) {
      const end = findLineEnd(this.buffer, this.start + scanned, this.start, emptyLine);
      if (end >= 0) {
        const result = this.buffer.slice(this.start, end);
        this.start = end + (emptyLine ? 2 * CRLF_LENGTH : CRLF_LENGTH);
        return result;
      }
      if (this.buffer.length - this.start > maxBytes) throw new LimitExceeded("line too long");
      scanned = Math.max(0, this.buffer.length - this.start - 2 * CRLF_LENGTH);
      if (!(await this.more())) return null;
    }
  }

  private async fill(): Promise<boolean> {
    return !this.empty || (await this.more());
  }

  private async more(): Promise<boolean> {
    const chunk = await this.source();
    if (chunk === null) return false;
    const rest = this.buffer.subarray(this.start);
    this.buffer = rest.length === 0 ? chunk : concatenate([rest, chunk], rest.length + chunk.length);
    this.start = 0;
    return true;
  }
}

/** Index of the CRLF (or CRLF CRLF) that ends the line, or -1. */
function findLineEnd(buffer: Uint8Array, from: number, floor: number, emptyLine: boolean): number {
  for (let i = Math.max(from, floor); i + 1 < buffer.length; i++) {
    if (buffer[i] !== CR || buffer[i + 1] !== LF) continue;
    if (!emptyLine) return i;
    if (buffer[i + 2] === CR && buffer[i + 3] === LF) return i;
  }
  return -1;
}
