/**
 * One 512-byte header of a ustar archive (POSIX.1-1988, with the GNU and pax extensions the host's
 * `tar` writes: "ustar  " magic, 'L' long names, 'x' extended headers), every field validated:
 * the checksum, octal numbers, the magic, the name's bounds. The layout is data (HEADER_FIELDS).
 */

export const TAR_BLOCK = 512;

/** Offset and length of each header field (POSIX ustar). */
const HEADER_FIELDS = {
  name: { offset: 0, length: 100 },
  size: { offset: 124, length: 12 },
  mtime: { offset: 136, length: 12 },
  checksum: { offset: 148, length: 8 },
  type: { offset: 156, length: 1 },
  magic: { offset: 257, length: 6 },
  prefix: { offset: 345, length: 155 },
} as const;
type Field = (typeof HEADER_FIELDS)[keyof typeof HEADER_FIELDS];

const POSIX_MAGIC = "ustar\0";
const GNU_MAGIC = "ustar ";
const SPACE = 0x20;
const NEWLINE = 0x0a;
const NUL = 0;
const DIGIT_0 = 0x30;
const DIGIT_7 = 0x37;
const OCTAL_RADIX = 8;
const SIGNED_BYTE = 0x80;
const BYTE_RANGE = 0x100;
const MS_PER_S = 1000;

export type TarErrorCode = "checksum" | "format" | "field" | "name" | "truncated" | "limit" | "unsupported";

/** An archive that cannot be read as a ustar archive; `offset` is the byte where it went wrong. */
export class TarError extends Error {
  override name = "TarError";

  constructor(
    readonly code: TarErrorCode,
    readonly offset: number,
    message: string,
  ) {
    super(`tar archive at byte ${offset}: ${message}`);
  }
}

/** Entry types (the typeflag byte); others are skipped as things a file server does not serve. */
export const TAR_TYPE = {
  file: "0",
  oldFile: "\0",
  contiguousFile: "7",
  directory: "5",
  gnuLongName: "L",
  gnuLongLink: "K",
  paxExtended: "x",
  paxGlobal: "g",
  gnuSparse: "S",
  gnuMultiVolume: "M",
} as const;

/** Types whose data is laid out in a way this reader does not follow (skipping by size would misread). */
const UNSUPPORTED_TYPES: ReadonlySet<string> = new Set([TAR_TYPE.gnuSparse, TAR_TYPE.gnuMultiVolume]);

export interface TarHeader {
  readonly type: string;
  /** The name from the name and (POSIX only) prefix fields, as bytes went in (not normalised). */
  readonly name: string;
  readonly size: number;
  readonly modifiedMs: number;
}

const decoder = new TextDecoder();

function fieldBytes(block: Uint8Array, field: Field): Uint8Array {
  return block.subarray(field.offset, field.offset + field.length);
}

/** Bytes up to the first NUL, as UTF-8. */
export function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(NUL);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** An octal number field: optional leading spaces, octal digits, then NULs or spaces to its end. */
function octal(block: Uint8Array, field: Field, what: string, at: number): number {
  const bytes = fieldBytes(block, field);
  if ((bytes[0] & SIGNED_BYTE) !== 0) throw new TarError("unsupported", at, `${what} in base-256 (values this large are not served)`);
  let i = 0;
  while (i < bytes.length && bytes[i] === SPACE) i++;
  let value = 0;
  let digits = 0;
  for (; i < bytes.length && bytes[i] >= DIGIT_0 && bytes[i] <= DIGIT_7; i++, digits++) value = value * OCTAL_RADIX + (bytes[i] - DIGIT_0);
  for (; i < bytes.length; i++) {
    if (bytes[i] !== NUL && bytes[i] !== SPACE) throw new TarError("field", at, `${what} is not an octal number`);
  }
  if (digits === 0) throw new TarError("field", at, `${what} is empty`);
  return value;
}

/** Whether the block is all zeros (the end-of-archive marker). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < TAR_BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** The stored checksum against the sum of the header with its checksum field as spaces (unsigned, or signed as old tars made it). */
function checkChecksum(block: Uint8Array, at: number): void {
  let stored: number;
  try {
    stored = octal(block, HEADER_FIELDS.checksum, "checksum", at);
  } catch {
    throw new TarError("checksum", at, "the checksum field is not an octal number (not a tar header)");
  }
  const { offset, length } = HEADER_FIELDS.checksum;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const byte = i >= offset && i < offset + length ? SPACE : block[i];
    unsigned += byte;
    signed += byte >= SIGNED_BYTE ? byte - BYTE_RANGE : byte;
  }
  if (stored !== unsigned && stored !== signed) throw new TarError("checksum", at, `header checksum ${stored} does not match its bytes (${unsigned})`);
}

/** Parses and validates the header `block` found at byte `at` of the archive. */
export function parseHeader(block: Uint8Array, at: number): TarHeader {
  if (block.length !== TAR_BLOCK) throw new RangeError(`a tar header is ${TAR_BLOCK} bytes, not ${block.length}`);
  checkChecksum(block, at);
  const magic = decoder.decode(fieldBytes(block, HEADER_FIELDS.magic));
  if (magic !== POSIX_MAGIC && magic !== GNU_MAGIC) throw new TarError("format", at, "no ustar magic (not a POSIX or GNU tar header)");
  const type = String.fromCharCode(block[HEADER_FIELDS.type.offset]);
  if (UNSUPPORTED_TYPES.has(type)) throw new TarError("unsupported", at, `entry type "${type}" (sparse or multi-volume) is not supported`);
  const size = octal(block, HEADER_FIELDS.size, "size", at);
  const modifiedMs = octal(block, HEADER_FIELDS.mtime, "modification time", at) * MS_PER_S;
  const name = cString(fieldBytes(block, HEADER_FIELDS.name));
  // GNU tar keeps other data where POSIX has the prefix; only a POSIX header's prefix is part of the name.
  const prefix = magic === POSIX_MAGIC ? cString(fieldBytes(block, HEADER_FIELDS.prefix)) : "";
  return { type, name: prefix === "" ? name : `${prefix}/${name}`, size, modifiedMs };
}

/** What a pax extended header sets for the next entry. */
export interface PaxOverrides {
  path?: string;
  size?: number;
  modifiedMs?: number;
}

const PAX_DECIMAL = /^\d+$/;
const PAX_TIME = /^\d+(\.\d+)?$/;

/** The records ("LEN key=value\n") of a pax extended header's data, validated. */
export function parsePax(data: Uint8Array, at: number): PaxOverrides {
  const overrides: PaxOverrides = {};
  let offset = 0;
  while (offset < data.length && data[offset] !== NUL) {
    const space = data.indexOf(SPACE, offset);
    const lengthText = space < 0 ? "" : decoder.decode(data.subarray(offset, space));
    const length = PAX_DECIMAL.test(lengthText) ? Number(lengthText) : NaN;
    if (!(length > space - offset + 1) || offset + length > data.length || data[offset + length - 1] !== NEWLINE) {
      throw new TarError("field", at, `pax record at ${offset} has a bad length`);
    }
    const record = decoder.decode(data.subarray(space + 1, offset + length - 1));
    const equals = record.indexOf("=");
    if (equals <= 0) throw new TarError("field", at, `pax record at ${offset} has no key`);
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    if (key === "path") overrides.path = value;
    else if (key === "size") {
      if (!PAX_DECIMAL.test(value) || !Number.isSafeInteger(Number(value))) throw new TarError("field", at, `pax size "${value}"`);
      overrides.size = Number(value);
    } else if (key === "mtime") {
      if (!PAX_TIME.test(value)) throw new TarError("field", at, `pax mtime "${value}"`);
      overrides.modifiedMs = Math.floor(Number(value) * MS_PER_S);
    }
    offset += length;
  }
  return overrides;
}
