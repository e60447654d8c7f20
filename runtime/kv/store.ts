/**
 * A small persistent key-value store on a block device: an append-only log of records with a
 * superblock that commits the log's end. A put writes its record, flushes, then writes the new
 * end into the superblock and flushes again, so an acknowledged put survives a reboot and a
 * record cut short by a crash is never seen. Values are read back from the disk on every get.
 */
import { crc32 } from "./crc32";
import { KvError } from "./errors";
import {
  blocksFor,
  FIRST_RECORD_LBA,
  LAYOUT_VERSION,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  Record,
  RECORD_MAGIC,
  RECORD_TOMBSTONE,
  Superblock,
  SUPERBLOCK_LBA,
  SUPERBLOCK_MAGIC,
} from "./layout";

/** What the store needs of a disk (runtime/block's BlockDevice fits). */
export interface KvDisk {
  readonly info: { readonly blockSize: number; readonly blocks: number; readonly readOnly: boolean };
  read(lba: number, into: Uint8Array): Promise<Uint8Array>;
  write(lba: number, data: Uint8Array): Promise<void>;
  flush(): Promise<void>;
}

interface Entry {
  readonly lba: number;
  readonly keyLength: number;
  readonly valueLength: number;
}

export interface KvStats {
  readonly keys: number;
  readonly usedBlocks: number;
  readonly totalBlocks: number;
  readonly sequence: number;
}

const encoder = new TextEncoder();

export class KvStore {
  private readonly index = new Map<string, Entry>();
  private logEnd = FIRST_RECORD_LBA;
  private sequence = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly blockSize: number;

  private constructor(private readonly disk: KvDisk) {
    this.blockSize = disk.info.blockSize;
  }

  /** Opens the store on `disk`, formatting it if it holds none. */
  static async open(disk: KvDisk): Promise<KvStore> {
    const store = new KvStore(disk);
    await store.load();
    return store;
  }

  get stats(): KvStats {
    return { keys: this.index.size, usedBlocks: this.logEnd, totalBlocks: this.disk.info.blocks, sequence: this.sequence };
  }

  keys(): string[] {
    return [...this.index.keys()];
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const entry = this.index.get(key);
    if (entry === undefined) return undefined;
    const record = await this.readRecord(entry.lba, Record.HeaderSize + entry.keyLength + entry.valueLength);
    const start = Record.HeaderSize + entry.keyLength;
    return record.slice(start, start + entry.valueLength);
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.serialize(() => this.append(key, value, 0));
  }

  /** Resolves true when the key existed. */
  delete(key: string): Promise<boolean> {
    return this.serialize(async () => {
      if (!this.index.has(key)) return false;
      await this.append(key, new Uint8Array(0), RECORD_TOMBSTONE);
      return true;
    });
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async append(key: string, value: Uint8Array, flags: number): Promise<void> {
    if (this.disk.info.readOnly) throw new KvError("read-only", "the key-value disk is read-only");
    const keyBytes = encoder.encode(key);
    if (keyBytes.length === 0 || keyBytes.length > MAX_KEY_BYTES) throw new KvError("key", `key must be 1 to ${MAX_KEY_BYTES} bytes`);
    if (value.length > MAX_VALUE_BYTES) throw new KvError("value-too-large", `value exceeds ${MAX_VALUE_BYTES} bytes`);
    const length = Record.HeaderSize + keyBytes.length + value.length;
    const blocks = blocksFor(length, this.blockSize);
    if (this.logEnd + blocks > this.disk.info.blocks) throw new KvError("full", "the key-value disk is full");
    const record = new Uint8Array(blocks * this.blockSize);
    const view = new DataView(record.buffer);
    const sequence = this.sequence + 1;
    view.setUint32(Record.Magic, RECORD_MAGIC, true);
    view.setUint32(Record.Sequence, sequence, true);
    view.setUint32(Record.Flags, flags, true);
    view.setUint32(Record.KeyLength, keyBytes.length, true);
    view.setUint32(Record.ValueLength, value.length, true);
    record.set(keyBytes, Record.HeaderSize);
    record.set(value, Record.HeaderSize + keyBytes.length);
    view.setUint32(Record.Crc, crc32(record.subarray(Record.Sequence, length)), true);
    const lba = this.logEnd;
    await this.disk.write(lba, record);
    await this.disk.flush();
    await this.commit(lba + blocks, sequence);
    if (flags & RECORD_TOMBSTONE) this.index.delete(key);
    else this.index.set(key, { lba, keyLength: keyBytes.length, valueLength: value.length });
  }

  private async commit(logEnd: number, sequence: number): Promise<void> {
    const block = new Uint8Array(this.blockSize);
    const view = new DataView(block.buffer);
    view.setUint32(Superblock.Magic, SUPERBLOCK_MAGIC, true);
    view.setUint32(Superblock.Version, LAYOUT_VERSION, true);
    view.setUint32(Superblock.LogEnd, logEnd, true);
    view.setUint32(Superblock.Sequence, sequence, true);
    view.setUint32(Superblock.Crc, crc32(block.subarray(0, Superblock.Crc)), true);
    await this.disk.write(SUPERBLOCK_LBA, block);
    await this.disk.flush();
    this.logEnd = logEnd;
    this.sequence = sequence;
  }

  private async load(): Promise<void> {
    const block = await this.disk.read(SUPERBLOCK_LBA, new Uint8Array(this.blockSize));
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    if (view.getUint32(Superblock.Magic, true) !== SUPERBLOCK_MAGIC) {
      if (!this.disk.info.readOnly) await this.commit(FIRST_RECORD_LBA, 0);
      return;
    }
    if (crc32(block.subarray(0, Superblock.Crc)) !== view.getUint32(Superblock.Crc, true))
      throw new KvError("corrupt", "superblock checksum mismatch");
    const version = view.getUint32(Superblock.Version, true);
    if (version !== LAYOUT_VERSION) throw new KvError("corrupt", `unknown layout version ${version}`);
    const logEnd = view.getUint32(Superblock.LogEnd, true);
    if (logEnd < FIRST_RECORD_LBA || logEnd > this.disk.info.blocks) throw new KvError("corrupt", `log end ${logEnd} outside the disk`);
    this.logEnd = logEnd;
    this.sequence = view.getUint32(Superblock.Sequence, true);
    for (let lba = FIRST_RECORD_LBA; lba < logEnd; ) lba = await this.replay(lba, logEnd);
  }

  /** Indexes the record at `lba`; returns where the next one starts. */
  private async replay(lba: number, logEnd: number): Promise<number> {
    const first = await this.disk.read(lba, new Uint8Array(this.blockSize));
    const header = new DataView(first.buffer, first.byteOffset, Record.HeaderSize);
    if (header.getUint32(Record.Magic, true) !== RECORD_MAGIC) throw new KvError("corrupt", `no record at block ${lba}`);
    const keyLength = header.getUint32(Record.KeyLength, true);
    const valueLength = header.getUint32(Record.ValueLength, true);
    if (keyLength === 0 || keyLength > MAX_KEY_BYTES || valueLength > MAX_VALUE_BYTES)
      throw new KvError("corrupt", `record at block ${lba} has bad lengths`);
    const length = Record.HeaderSize + keyLength + valueLength;
    const next = lba + blocksFor(length, this.blockSize);
    if (next > logEnd) throw new KvError("corrupt", `record at block ${lba} runs past the log end`);
    const record = await this.readRecord(lba, length);
    const key = new TextDecoder().decode(record.subarray(Record.HeaderSize, Record.HeaderSize + keyLength));
    if (header.getUint32(Record.Flags, true) & RECORD_TOMBSTONE) this.index.delete(key);
    else this.index.set(key, { lba, keyLength, valueLength });
    return next;
  }

  /** Reads a whole record and checks its checksum; returns its first `length` bytes. */
  private async readRecord(lba: number, length: number): Promise<Uint8Array> {
    const record = await this.disk.read(lba, new Uint8Array(blocksFor(length, this.blockSize) * this.blockSize));
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    if (view.getUint32(Record.Magic, true) !== RECORD_MAGIC || crc32(record.subarray(Record.Sequence, length)) !== view.getUint32(Record.Crc, true))
      throw new KvError("corrupt", `record at block ${lba} fails its checksum`);
    return record.subarray(0, length);
  }
}
