/**
 * A FileSource over a ustar (tar) archive written to a disk: `tar cf site.tar -C site .` and
 * `vireo run app.ts --disk site.tar`. Opening reads every header once (checksum, octal fields,
 * names validated; the archive bounded by the disk) and keeps an index of paths to data offsets;
 * reads then go straight to the disk. Directories a path implies are listed even without their
 * own entry. The archive is read-only: nothing is ever written to the disk.
 */
import type { FileEntry, FileSource } from "../http/file-source";
import { TAR_BLOCK, TAR_TYPE, TarError, isZeroBlock, parseHeader, parsePax, cString, type PaxOverrides } from "./tar-header";

/** What the tar source needs of a disk (runtime/block's BlockDevice fits). */
export interface TarDisk {
  readonly info: { readonly blockSize: number; readonly blocks: number };
  read(lba: number, into: Uint8Array): Promise<Uint8Array>;
}

export interface TarSourceOptions {
  /** Entries (headers of any kind) the archive may hold (default 100,000). */
  readonly maxEntries?: number;
  /** Longest path, in bytes, from a long-name or pax header (default 4096). */
  readonly maxPathBytes?: number;
  /** Largest pax extended header's data (default 64 KiB). */
  readonly maxPaxBytes?: number;
  /** Largest single read() (default 1 MiB); a larger one is refused with a RangeError. */
  readonly maxReadBytes?: number;
  /** Bytes read from the disk at a time while the headers are scanned (default 64 KiB). */
  readonly scanWindowBytes?: number;
}

const DEFAULTS = {
  maxEntries: 100_000,
  maxPathBytes: 4096,
  maxPaxBytes: 64 * 1024,
  maxReadBytes: 1024 * 1024,
  scanWindowBytes: 64 * 1024,
} as const;

const FILE_TYPES: ReadonlySet<string> = new Set([TAR_TYPE.file, TAR_TYPE.oldFile, TAR_TYPE.contiguousFile]);
/** Headers whose data holds something for the next entry, not a file. */
const META_TYPES: ReadonlySet<string> = new Set([TAR_TYPE.gnuLongName, TAR_TYPE.gnuLongLink, TAR_TYPE.paxExtended, TAR_TYPE.paxGlobal]);

const encoder = new TextEncoder();

interface Node {
  readonly entry: { name: string; kind: FileEntry["kind"]; size: number; modifiedMs: number };
  /** Byte offset of a file's data in the archive. */
  dataOffset: number;
  /** A directory's children by name, in archive order. */
  readonly children: Map<string, Node> | null;
}

function directoryNode(name: string): Node {
  return { entry: { name, kind: "directory", size: 0, modifiedMs: 0 }, dataOffset: 0, children: new Map() };
}

/** The archive's name as path segments: "./", "/" and "." dropped; ".." refused. */
function segmentsOf(name: string, at: number): string[] {
  const segments = name.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) throw new TarError("name", at, `"${name}" climbs above the archive's root`);
  return segments;
}

/** Byte reads at any offset over a disk's blocks. */
class DiskBytes {
  constructor(private readonly disk: TarDisk) {}

  get capacity(): number {
    return this.disk.info.blocks * this.disk.info.blockSize;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const { blockSize } = this.disk.info;
    const firstBlock = Math.floor(offset / blockSize);
    const endBlock = Math.ceil((offset + length) / blockSize);
    const blocks = await this.disk.read(firstBlock, new Uint8Array((endBlock - firstBlock) * blockSize));
    const skip = offset - firstBlock * blockSize;
    return blocks.subarray(skip, skip + length);
  }
}

/** Headers read through a window of the disk, so many small entries cost one disk read. */
class HeaderScanner {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;

  constructor(
    private readonly bytes: DiskBytes,
    private readonly windowBytes: number,
  ) {}

  async block(offset: number, length = TAR_BLOCK): Promise<Uint8Array> {
    const end = offset + length;
    if (offset < this.windowStart || end > this.windowStart + this.window.length) {
      this.windowStart = offset;
      this.window = await this.bytes.read(offset, Math.min(Math.max(length, this.windowBytes), this.bytes.capacity - offset));
    }
    return this.window.subarray(offset - this.windowStart, end - this.windowStart);
  }
}

export class TarSource implements FileSource {
  private constructor(
    private readonly bytes: DiskBytes,
    private readonly root: Node,
    private readonly maxReadBytes: number,
    /** Headers the archive holds (entries of every kind, meta headers included). */
    readonly headers: number,
  ) {}

  /** Reads the archive's headers from `disk`; rejects with TarError for a malformed archive. */
  static async open(disk: TarDisk, options: TarSourceOptions = {}): Promise<TarSource> {
    const limits = { ...DEFAULTS, ...options };
    const bytes = new DiskBytes(disk);
    const scanner = new HeaderScanner(bytes, limits.scanWindowBytes);
    const root = directoryNode("");
    const capacity = bytes.capacity;
    let offset = 0;
    let headers = 0;
    let pending: PaxOverrides = {};
    while (offset + TAR_BLOCK <= capacity) {
      const block = await scanner.block(offset);
      if (isZeroBlock(block)) break;
      if (++headers > limits.maxEntries) throw new TarError("limit", offset, `more than ${limits.maxEntries} entries`);
      const header = parseHeader(block, offset);
      const dataOffset = offset + TAR_BLOCK;
      const size = pending.size ?? header.size;
      if (size > capacity - dataOffset) throw new TarError("truncated", offset, `${size} bytes of data run past the end of the disk (${capacity} bytes)`);
      if (META_TYPES.has(header.type)) {
        pending = await TarSource.meta(scanner, header.type, dataOffset, header.size, offset, limits, pending);
      } else {
        const name = pending.path ?? header.name;
        TarSource.add(root, name, header.type, { size, modifiedMs: pending.modifiedMs ?? header.modifiedMs, dataOffset }, offset, limits.maxPathBytes);
        pending = {};
      }
      offset = dataOffset + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
    }
    return new TarSource(bytes, root, limits.maxReadBytes, headers);
  }

  /** What a GNU long-name or pax header sets for the entry after it. */
  private static async meta(
    scanner: HeaderScanner,
    type: string,
    dataOffset: number,
    size: number,
    at: number,
    limits: Required<TarSourceOptions>,
    pending: PaxOverrides,
  ): Promise<PaxOverrides> {
    if (type === TAR_TYPE.gnuLongLink || type === TAR_TYPE.paxGlobal) return pending;
    if (type === TAR_TYPE.gnuLongName) {
      if (size > limits.maxPathBytes + 1) throw new TarError("limit", at, `a long name of ${size} bytes (at most ${limits.maxPathBytes})`);
      return { ...pending, path: cString(await scanner.block(dataOffset, size)) };
    }
    if (size > limits.maxPaxBytes) throw new TarError("limit", at, `a pax header of ${size} bytes (at most ${limits.maxPaxBytes})`);
    return { ...pending, ...parsePax(await scanner.block(dataOffset, size), at) };
  }

  private static add(root: Node, name: string, type: string, data: { size: number; modifiedMs: number; dataOffset: number }, at: number, maxPathBytes: number): void {
    if (encoder.encode(name).length > maxPathBytes) throw new TarError("limit", at, `a name longer than ${maxPathBytes} bytes`);
    const isFile = FILE_TYPES.has(type);
    // Links, devices and FIFOs are not served; their data (if any) is skipped.
    if (!isFile && type !== TAR_TYPE.directory) return;
    const segments = segmentsOf(name, at);
    let parent = root;
    for (const segment of segments.slice(0, -1)) {
      let child = parent.children?.get(segment);
      if (child === undefined) {
        child = directoryNode(segment);
        parent.children?.set(segment, child);
      }
      if (child.children === null) throw new TarError("name", at, `"${name}": "${segment}" is a file, not a directory`);
      parent = child;
    }
    const last = segments[segments.length - 1] as string | undefined;
    if (last === undefined) {
      if (isFile) throw new TarError("name", at, `a file named "${name}" (the root)`);
      root.entry.modifiedMs = data.modifiedMs;
      return;
    }
    const existing = parent.children?.get(last);
    if (existing !== undefined && (existing.children === null) !== isFile) throw new TarError("name", at, `"${name}" is both a file and a directory`);
    if (isFile) {
      // A later entry for the same path replaces an earlier one, as tar extracts them.
      parent.children?.set(last, { entry: { name: last, kind: "file", size: data.size, modifiedMs: data.modifiedMs }, dataOffset: data.dataOffset, children: null });
    } else if (existing === undefined) {
      const node = directoryNode(last);
      node.entry.modifiedMs = data.modifiedMs;
      parent.children?.set(last, node);
    } else existing.entry.modifiedMs = data.modifiedMs;
  }

  private node(path: string): Node | undefined {
    let node: Node | undefined = this.root;
    for (const segment of path.split("/")) {
      if (segment === "") continue;
      node = node?.children?.get(segment);
    }
    return node;
  }

  async stat(path: string): Promise<FileEntry | null> {
    return this.node(path)?.entry ?? null;
  }

  async read(path: string, offset: number, length: number): Promise<Uint8Array> {
    const node = this.node(path);
    if (node === undefined || node.children !== null) throw new RangeError(`${path} is not a file in the archive`);
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) throw new RangeError(`read of ${length} bytes at ${offset}`);
    if (length > this.maxReadBytes) throw new RangeError(`read of ${length} bytes (at most ${this.maxReadBytes} at a time)`);
    const count = Math.min(length, Math.max(0, node.entry.size - offset));
    if (count === 0) return new Uint8Array(0);
    return this.bytes.read(node.dataOffset + offset, count);
  }

  async list(path: string): Promise<readonly FileEntry[]> {
    const children = this.node(path)?.children;
    if (children === undefined || children === null) throw new RangeError(`${path} is not a directory in the archive`);
    return [...children.values()].map((child) => child.entry);
  }
}
