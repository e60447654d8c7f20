/**
 * WHATWG TextEncoder and TextDecoder (utf-8, utf-16le, windows-1252 a.k.a. latin1), for an engine
 * that has neither. Decoding follows the Encoding Standard's state machines, so invalid input
 * yields one U+FFFD per maximal subpart (or a TypeError when fatal) and streaming needs no buffering.
 */

const REPLACEMENT = 0xfffd;
/** Code units per String.fromCharCode call, well below engines' argument limits. */
const CHUNK = 8192;

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** The scalar value at `index` (U+FFFD for a lone surrogate); it spans two units when above U+FFFF. */
function scalarAt(text: string, index: number): number {
  const unit = text.charCodeAt(index);
  if (unit < 0xd800 || unit > 0xdfff) return unit;
  const next = text.charCodeAt(index + 1);
  if (isHighSurrogate(unit) && isLowSurrogate(next)) return 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
  return REPLACEMENT;
}

function utf8Size(scalar: number): number {
  return scalar < 0x80 ? 1 : scalar < 0x800 ? 2 : scalar < 0x10000 ? 3 : 4;
}

function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const scalar = scalarAt(text, i);
    length += utf8Size(scalar);
    if (scalar > 0xffff) i++;
  }
  return length;
}

/** The engine's own UTF-8 conversion of a string (vireoNative.utf8Encode); lone surrogates pass through it as is. */
export type NativeUtf8Encode = (text: string) => ArrayBuffer;

let nativeUtf8: NativeUtf8Encode | undefined;

/**
 * Lets TextEncoder hand strings to the engine's UTF-8 conversion: one native call in place of an
 * interpreted loop per code unit (which took over a third of the guest's time serving a status
 * page). Strings with a lone surrogate still take the loop, which writes U+FFFD for it as the
 * Encoding Standard asks.
 */
export function useNativeUtf8(encode: NativeUtf8Encode | undefined): void {
  nativeUtf8 = encode;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** UTF-8 bytes one UTF-16 code unit can take at most (a pair of units takes 4). */
const MAX_BYTES_PER_UNIT = 3;

export interface EncodeIntoResult {
  read: number;
  written: number;
}

export class TextEncoder {
  readonly encoding = "utf-8";

  encode(input: string = ""): Uint8Array {
    const text = String(input);
    if (nativeUtf8 !== undefined && !LONE_SURROGATE.test(text)) return new Uint8Array(nativeUtf8(text));
    const bytes = new Uint8Array(utf8Length(text));
    this.encodeInto(text, bytes);
    return bytes;
  }

  /** Writes whole scalar values while they fit; `read` counts UTF-16 code units. */
  encodeInto(source: string, destination: Uint8Array): EncodeIntoResult {
    const text = String(source);
    const capacity = destination.length;
    if (nativeUtf8 !== undefined && text.length * MAX_BYTES_PER_UNIT <= capacity && !LONE_SURROGATE.test(text)) {
      const bytes = new Uint8Array(nativeUtf8(text));
      destination.set(bytes);
      return { read: text.length, written: bytes.length };
    }
    let read = 0;
    let written = 0;
    while (read < text.length) {
      const scalar = scalarAt(text, read);
      if (scalar < 0x80) {
        if (written === capacity) break;
        destination[written++] = scalar;
        read++;
        continue;
      }
      const size = utf8Size(scalar);
      if (written + size > capacity) break;
      const trailing = size - 1;
      destination[written++] = ((0xf00 >> size) & 0xff) | (scalar >> (6 * trailing));
      for (let shift = 6 * (trailing - 1); shift >= 0; shift -= 6) destination[written++] = 0x80 | ((scalar >> shift) & 0x3f);
      read += scalar > 0xffff ? 2 : 1;
    }
    return { read, written };
  }
}

/** Collects UTF-16 code units into a string; reports errors by replacement or by throwing. */
class Utf16Output {
  private readonly parts: string[] = [];
  private readonly units: number[] = [];

  constructor(
    private readonly fatal: boolean,
    private readonly encoding: string,
  ) {}

  push(unit: number): void {
    this.units.push(unit);
    if (this.units.length === CHUNK) this.flush();
  }

  pushScalar(scalar: number): void {
    if (scalar <= 0xffff) {
      this.push(scalar);
      return;
    }
    this.push(0xd800 + ((scalar - 0x10000) >> 10));
    this.push(0xdc00 + ((scalar - 0x10000) & 0x3ff));
  }

  pushAscii(bytes: Uint8Array, start: number, end: number): void {
    this.flush();
    for (let i = start; i < end; i += CHUNK) {
      const chunk = bytes.subarray(i, Math.min(end, i + CHUNK));
      this.parts.push(String.fromCharCode.apply(null, chunk as unknown as number[]));
    }
  }

  error(): void {
    if (this.fatal) throw new TypeError(`The encoded data was not valid for encoding ${this.encoding}`);
    this.push(REPLACEMENT);
  }

  text(): string {
    this.flush();
    return this.parts.join("");
  }

  private flush(): void {
    if (this.units.length === 0) return;
    this.parts.push(String.fromCharCode.apply(null, this.units));
    this.units.length = 0;
  }
}

/** A decoder's state machine; state carries over between calls until `end` is true. */
interface ByteDecoder {
  decode(bytes: Uint8Array, output: Utf16Output, end: boolean): void;
  reset(): void;
}

class Utf8Decoder implements ByteDecoder {
  private needed = 0;
  private seen = 0;
  private scalar = 0;
  private lower = 0x80;
  private upper = 0xbf;

  reset(): void {
    this.needed = 0;
    this.seen = 0;
    this.scalar = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
  }

  decode(bytes: Uint8Array, output: Utf16Output, end: boolean): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.needed === 0) {
        let asciiEnd = i;
        while (asciiEnd < bytes.length && bytes[asciiEnd] < 0x80) asciiEnd++;
        if (asciiEnd > i) {
          output.pushAscii(bytes, i, asciiEnd);
          i = asciiEnd;
        } else {
          this.lead(bytes[i++], output);
        }
        continue;
      }
      const byte = bytes[i];
      if (byte < this.lower || byte > this.upper) {
        // The byte is not consumed: it starts the next sequence.
        this.reset();
        output.error();
        continue;
      }
      i++;
      this.lower = 0x80;
      this.upper = 0xbf;
      this.scalar = (this.scalar << 6) | (byte & 0x3f);
      if (++this.seen === this.needed) {
        output.pushScalar(this.scalar);
        this.reset();
      }
    }
    if (end && this.needed !== 0) {
      this.reset();
      output.error();
    }
  }

  private lead(byte: number, output: Utf16Output): void {
    if (byte >= 0xc2 && byte <= 0xdf) {
      this.needed = 1;
      this.scalar = byte & 0x1f;
    } else if (byte >= 0xe0 && byte <= 0xef) {
      if (byte === 0xe0) this.lower = 0xa0;
      if (byte === 0xed) this.upper = 0x9f;
      this.needed = 2;
      this.scalar = byte & 0xf;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      if (byte === 0xf0) this.lower = 0x90;
      if (byte === 0xf4) this.upper = 0x8f;
      this.needed = 3;
      this.scalar = byte & 0x7;
    } else {
      output.error();
    }
  }
}

class Utf16LeDecoder implements ByteDecoder {
  private leadByte = -1;
  private leadSurrogate = -1;

  reset(): void {
    this.leadByte = -1;
    this.leadSurrogate = -1;
  }

  decode(bytes: Uint8Array, output: Utf16Output, end: boolean): void {
    for (let i = 0; i < bytes.length; i++) {
      if (this.leadByte < 0) {
        this.leadByte = bytes[i];
        continue;
      }
      const unit = this.leadByte | (bytes[i] << 8);
      this.leadByte = -1;
      this.unit(unit, output);
    }
    if (end && (this.leadByte >= 0 || this.leadSurrogate >= 0)) {
      this.reset();
      output.error();
    }
  }

  private unit(unit: number, output: Utf16Output): void {
    if (this.leadSurrogate >= 0) {
      const lead = this.leadSurrogate;
      this.leadSurrogate = -1;
      if (isLowSurrogate(unit)) {
        output.push(lead);
        output.push(unit);
        return;
      }
      output.error();
    }
    if (isHighSurrogate(unit)) this.leadSurrogate = unit;
    else if (isLowSurrogate(unit)) output.error();
    else output.push(unit);
  }
}

/** windows-1252 differs from ISO-8859-1 only in 0x80..0x9F. */
const WINDOWS_1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

class Windows1252Decoder implements ByteDecoder {
  reset(): void {}

  decode(bytes: Uint8Array, output: Utf16Output): void {
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      output.push(byte >= 0x80 && byte < 0xa0 ? WINDOWS_1252_HIGH[byte - 0x80] : byte);
    }
  }
}

const ENCODING_LABELS: Record<string, string[]> = {
  "utf-8": ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"],
  "utf-16le": ["csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"],
  "windows-1252": [
    "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1", "iso-ir-100", "iso8859-1",
    "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "us-ascii", "windows-1252", "x-cp1252",
  ],
};

function encodingForLabel(label: string): string {
  const key = label.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "").toLowerCase();
  for (const name of Object.keys(ENCODING_LABELS)) {
    if (ENCODING_LABELS[name].includes(key)) return name;
  }
  throw new RangeError(`The "${label}" encoding is not supported`);
}

function createDecoder(encoding: string): ByteDecoder {
  if (encoding === "utf-8") return new Utf8Decoder();
  return encoding === "utf-16le" ? new Utf16LeDecoder() : new Windows1252Decoder();
}

function toBytes(input: ArrayBuffer | ArrayBufferView | undefined): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError('The "input" argument must be an instance of ArrayBuffer or ArrayBufferView');
}

export interface TextDecoderOptions {
  fatal?: boolean;
  ignoreBOM?: boolean;
}

export interface TextDecodeOptions {
  stream?: boolean;
}

export class TextDecoder {
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  private readonly decoder: ByteDecoder;
  /** Whether the stream produced output yet: only a leading U+FEFF is a byte order mark. */
  private started = false;

  constructor(label = "utf-8", options: TextDecoderOptions = {}) {
    this.encoding = encodingForLabel(String(label));
    this.fatal = Boolean(options.fatal);
    this.ignoreBOM = Boolean(options.ignoreBOM);
    this.decoder = createDecoder(this.encoding);
  }

  decode(input?: ArrayBuffer | ArrayBufferView, options: TextDecodeOptions = {}): string {
    const stream = Boolean(options.stream);
    const output = new Utf16Output(this.fatal, this.encoding);
    try {
      this.decoder.decode(toBytes(input), output, !stream);
    } catch (error) {
      this.decoder.reset();
      this.started = false;
      throw error;
    }
    let text = output.text();
    if (!this.started && text !== "") {
      const hasBom = this.encoding !== "windows-1252" && !this.ignoreBOM && text.charCodeAt(0) === 0xfeff;
      if (hasBom) text = text.slice(1);
      this.started = true;
    }
    if (!stream) this.started = false;
    return text;
  }
}
