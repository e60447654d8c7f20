/** The server model's own 9P codec: a cursor over a T-message, and a builder for R-messages. */

export class WireError extends Error {}

export class Cursor {
  private at = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get left(): number {
    return this.bytes.length - this.at;
  }

  private take(n: number): number {
    if (this.at + n > this.bytes.length) throw new WireError(`field of ${n} bytes runs past the message`);
    const at = this.at;
    this.at += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  u64(): number {
    const at = this.take(8);
    return this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * 2 ** 32;
  }
  u64Big(): bigint {
    return this.view.getBigUint64(this.take(8), true);
  }
  str(): string {
    const n = this.u16();
    const at = this.take(n);
    return new TextDecoder("utf-8", { fatal: true }).decode(this.bytes.subarray(at, at + n));
  }
  raw(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.slice(at, at + n);
  }
}

/** Builds one R-message; `done(type, tag)` prefixes size[4] type[1] tag[2]. */
export class Builder {
  private readonly parts: number[] = [];

  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u64(v: number | bigint): this {
    const big = BigInt(v);
    return this.u32(Number(big & 0xffffffffn)).u32(Number(big >> 32n));
  }
  str(s: string): this {
    const bytes = new TextEncoder().encode(s);
    this.u16(bytes.length);
    for (const b of bytes) this.parts.push(b);
    return this;
  }
  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.parts.push(b);
    return this;
  }
  qid(q: { type: number; version: number; path: number }): this {
    return this.u8(q.type).u32(q.version).u64(q.path);
  }
  get length(): number {
    return this.parts.length;
  }

  done(type: number, tag: number): Uint8Array {
    const out = new Uint8Array(7 + this.parts.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, out.length, true);
    view.setUint8(4, type);
    view.setUint16(5, tag, true);
    out.set(this.parts, 7);
    return out;
  }
}
