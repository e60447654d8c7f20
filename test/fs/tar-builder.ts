// Builds ustar archives byte by byte for tests, so each field can be made wrong on purpose.
export const BLOCK = 512;

export interface TarEntryInit {
  name: string;
  type?: string;
  data?: Uint8Array | string;
  /** Overrides the size field's text (the data written stays `data`). */
  sizeField?: string;
  mtime?: number;
  magic?: "posix" | "gnu" | "none";
  prefix?: string;
  /** Added to the computed checksum (0: correct). */
  checksumError?: number;
}

const encoder = new TextEncoder();

function put(block: Uint8Array, offset: number, text: string): void {
  block.set(encoder.encode(text), offset);
}

export function header(init: TarEntryInit): Uint8Array {
  const data = typeof init.data === "string" ? encoder.encode(init.data) : (init.data ?? new Uint8Array(0));
  const block = new Uint8Array(BLOCK);
  put(block, 0, init.name);
  put(block, 100, "0000644\0");
  put(block, 124, init.sizeField ?? `${data.length.toString(8).padStart(11, "0")}\0`);
  put(block, 136, `${(init.mtime ?? 1_790_000_000).toString(8).padStart(11, "0")}\0`);
  block[156] = (init.type ?? "0").charCodeAt(0);
  const magic = init.magic ?? "posix";
  if (magic === "posix") put(block, 257, "ustar\x0000");
  if (magic === "gnu") put(block, 257, "ustar  \0");
  if (init.prefix !== undefined) put(block, 345, init.prefix);
  put(block, 148, "        ");
  const sum = block.reduce((a, b) => a + b, 0) + (init.checksumError ?? 0);
  put(block, 148, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

export function entry(init: TarEntryInit): Uint8Array {
  const data = typeof init.data === "string" ? encoder.encode(init.data) : (init.data ?? new Uint8Array(0));
  const out = new Uint8Array(BLOCK + Math.ceil(data.length / BLOCK) * BLOCK);
  out.set(header(init));
  out.set(data, BLOCK);
  return out;
}

/** The entries, two zero blocks, and padding to `totalBytes` (a disk image) if given. */
export function archive(entries: readonly Uint8Array[], totalBytes?: number): Uint8Array {
  const length = entries.reduce((a, e) => a + e.length, 0) + 2 * BLOCK;
  const out = new Uint8Array(Math.max(length, totalBytes ?? 0));
  let offset = 0;
  for (const e of entries) {
    out.set(e, offset);
    offset += e.length;
  }
  return out;
}

/** A pax record "LEN key=value\n" with its length computed. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
}
