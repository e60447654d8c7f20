/**
 * A small persistent key-value store on a block device: a circular log of records (ring.ts) and
 * a superblock, kept in two copies, that commits the log's start and end (layout.ts). Values are
 * read back from the disk on every get; the index of keys lives in memory and is rebuilt on open.
 *
 * Write ordering (every mutation: put, delete, cleaning):
 *   1. the new records (cleaner copies, then the put or tombstone) are written past the log's end
 *      and flushed: they are durable before any superblock can name them;
 *   2. the superblock is written to slot 0 and flushed, then to slot 1 and flushed; the mutation is
 *      acknowledged after the second flush. While slot 0 is being written slot 1 holds the previous
 *      commit, and while slot 1 is being written slot 0 holds the new one, so a crash, a torn write
 *      or later one bad slot always leaves a valid commit, and once acknowledged both slots hold it.
 * Records are only ever written outside the region that any superblock possibly on the disk names:
 * blocks freed by moving the start are reused only once both slots are known (written and
 * flushed) to have moved past them. A superblock write or flush that fails leaves its slot
 * unknown (old or new commit), so the store keeps the records of both and carries on as if the
 * commit happened; the next commit includes it. That put or delete rejects with KvError "io" and
 * may or may not be visible after a crash, like one cut short by a power loss; it is never half
 * visible. A failure in step 1 changes nothing: no superblock names those blocks.
 *
 * Opening reads both slots (each again once if it does not check out) and replays the log named
 * by the valid slot with the highest commit number. If the other slot does not hold the same
 * commit it is rewritten before anything else is written, so no unknown superblock can name
 * blocks the store is about to reuse. The store formats the disk only when asked
 * (`{ format: true }`) or when the disk is provably blank: both slots and the first log block all
 * zeros. Anything else that does not open rejects with KvError "corrupt" or "io".
 *
 * Reclamation: records are cleaned oldest first. Cleaning moves the log's start past a record,
 * copying it to the end first if it is still the live value of its key (copies are committed
 * with the start's move, in one superblock). A tombstone at the start is always dead: every
 * older record of its key was before it.
 *
 * Space guarantee (checked in test/unit/kv-space.test.ts), with used = end - start and live = the
 * blocks of the records holding current values: when a mutation appending r blocks would leave
 * used above SPACE_FACTOR (2) x live, it first cleans until it has dropped SHRINK_RATIO (2) x r
 * blocks of dead records, in the same commit. Hence a mutation never makes used grow beyond
 * max(its previous value, 2 x live), and while used is above 2 x live (after live data shrank)
 * each mutation brings it down by at least its own size (or to the live data plus itself). The
 * only exception is a disk too full to hold the copies, where "full" is near anyway. On an 8 MiB disk one 20 KB key overwritten
 * forever uses 2 x 41 blocks at most.
 * Cleaning is incremental: a mutation copies only the live records in front of the garbage it
 * drops, which over a pass of the start around the log is at most the live data once while at
 * least as much garbage is dropped. Only when the disk is too full for a record does it clean in
 * extra commits until the record fits, and it answers "full" when a whole pass cannot make room.
 * Free-space reserve: a mutation must leave free blocks for the largest live record, so the
 * cleaner can always copy the record at the start forward and reach the garbage behind it (a
 * record therefore takes at most half the log); puts also leave DELETE_RESERVE_BLOCKS so deletes
 * can still be written when puts are refused. "full" thus means live data + the new record + the
 * largest live record + the reserve exceed the log.
 */
import { KvError } from "./errors";
import { blocksFor, FIRST_RECORD_LBA, MAX_KEY_BYTES, MAX_VALUE_BYTES, Record, RECORD_TOMBSTONE, SUPERBLOCK_SLOTS } from "./layout";
import { decodeHeader, encodeRecord, recordIntact } from "./record";
import { diskIo, LogRing } from "./ring";
import { decodeSuperblock, encodeSuperblock, type CommitState, type SlotReading } from "./superblock";

/** What the store needs of a disk (runtime/block's BlockDevice fits). */
export interface KvDisk {
  readonly info: { readonly blockSize: number; readonly blocks: number; readonly readOnly: boolean };
  read(lba: number, into: Uint8Array): Promise<Uint8Array>;
  write(lba: number, data: Uint8Array): Promise<void>;
  flush(): Promise<void>;
}

export interface KvOpenOptions {
  /** Start a new, empty store even if the disk holds one. */
  readonly format?: boolean;
}

export interface KvStats {
  readonly keys: number;
  /** Superblocks plus the log from its start to its end. */
  readonly usedBlocks: number;
  /** Blocks of the records holding the current values. */
  readonly liveBlocks: number;
  readonly totalBlocks: number;
  readonly sequence: number;
}

/** One record in the log, oldest first. */
interface LogEntry {
  readonly offset: number;
  readonly blocks: number;
  readonly key: string;
  readonly keyLength: number;
  readonly valueLength: number;
  /** Holds its key's current value (false for tombstones and overwritten values). */
  live: boolean;
}

/** The oldest records one commit moves the start past, and how many blocks of them it copies. */
interface CleaningPlan {
  readonly count: number;
  readonly copyBlocks: number;
  readonly cleanedBlocks: number;
}

interface NewRecord {
  readonly key: string;
  readonly keyLength: number;
  readonly valueLength: number;
  readonly bytes: Uint8Array;
  readonly tombstone: boolean;
  readonly replaces: LogEntry | undefined;
}

const SPACE_FACTOR = 2;
const SHRINK_RATIO = 2;
const DELETE_RESERVE_BLOCKS = 2;
/** Entries dropped from the front of the log list before the list is compacted. */
const COMPACT_AFTER = 1024;

/** Reads of a superblock slot before it counts as bad (a transient bad read must not count). */
const SLOT_READ_ATTEMPTS = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function largest(values: Iterable<number>): number {
  let most = 0;
  for (const value of values) most = Math.max(most, value);
  return most;
}

function sameCommit(a: CommitState, b: CommitState): boolean {
  return a.commit === b.commit && a.start === b.start && a.end === b.end && a.sequence === b.sequence;
}

export class KvStore {
  private readonly index = new Map<string, LogEntry>();
  /** The log's records from `first` on, oldest first. */
  private entries: LogEntry[] = [];
  private first = 0;
  private start = 0;
  private end = 0;
  private sequence = 0;
  /** The last commit number written (or attempted). */
  private commit = 0;
  /** Per slot, the start of the oldest commit that may be on the disk there. */
  private readonly slotStarts: number[] = SUPERBLOCK_SLOTS.map(() => 0);
  private liveBlocks = 0;
  /** How many live records have each size in blocks (for the largest one). */
  private readonly liveSizes = new Map<number, number>();
  private largestLive = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly blockSize: number;
  private readonly ring: LogRing;

  private constructor(private readonly disk: KvDisk) {
    this.blockSize = disk.info.blockSize;
    this.ring = new LogRing(disk);
  }

  /** Opens the store on `disk`; formats it when asked or when the disk is blank. */
  static async open(disk: KvDisk, options: KvOpenOptions = {}): Promise<KvStore> {
    if (disk.info.blocks <= FIRST_RECORD_LBA) throw new KvError("corrupt", `a disk of ${disk.info.blocks} blocks has no room for a log`);
    const store = new KvStore(disk);
    if (options.format) {
      if (disk.info.readOnly) throw new KvError("read-only", "cannot format a read-only disk");
      await store.format();
    } else await store.load();
    return store;
  }

  get stats(): KvStats {
    return {
      keys: this.index.size,
      usedBlocks: FIRST_RECORD_LBA + this.end - this.start,
      liveBlocks: this.liveBlocks,
      totalBlocks: this.disk.info.blocks,
      sequence: this.sequence,
    };
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
    const record = await this.readRecord(entry);
    return record.slice(record.length - entry.valueLength);
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.serialize(async () => {
      const keyBytes = this.checkMutation(key);
      if (value.length > MAX_VALUE_BYTES) throw new KvError("value-too-large", `value exceeds ${MAX_VALUE_BYTES} bytes`);
      await this.append(this.newRecord(key, keyBytes, value, false));
    });
  }

  /** Resolves true when the key existed. */
  delete(key: string): Promise<boolean> {
    return this.serialize(async () => {
      const keyBytes = this.checkMutation(key);
      if (!this.index.has(key)) return false;
      await this.append(this.newRecord(key, keyBytes, new Uint8Array(0), true));
      return true;
    });
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private checkMutation(key: string): Uint8Array {
    if (this.disk.info.readOnly) throw new KvError("read-only", "the key-value disk is read-only");
    const keyBytes = encoder.encode(key);
    if (keyBytes.length === 0 || keyBytes.length > MAX_KEY_BYTES) throw new KvError("key", `key must be 1 to ${MAX_KEY_BYTES} bytes`);
    return keyBytes;
  }

  private newRecord(key: string, keyBytes: Uint8Array, value: Uint8Array, tombstone: boolean): NewRecord {
    const bytes = encodeRecord(keyBytes, value, tombstone ? RECORD_TOMBSTONE : 0, this.sequence + 1, this.blockSize);
    return { key, keyLength: keyBytes.length, valueLength: value.length, bytes, tombstone, replaces: this.index.get(key) };
  }

  /** Commits `record`, cleaning as the space guarantee asks and as its room needs. */
  private async append(record: NewRecord): Promise<void> {
    const blocks = record.bytes.length / this.blockSize;
    // What must stay free after this mutation: room for the cleaner to copy the largest live record.
    const reserve = record.tombstone ? this.largestLive : Math.max(this.largestLive, blocks) + DELETE_RESERVE_BLOCKS;
    if (blocks + reserve > this.ring.blocks) throw new KvError("full", "the record does not fit the key-value disk with room to clean");
    const liveAfter = this.liveBlocks - (record.replaces?.blocks ?? 0) + (record.tombstone ? 0 : blocks);
    const garbage = this.end - this.start + blocks > SPACE_FACTOR * liveAfter ? SHRINK_RATIO * blocks : 0;
    let plan = this.planCleaning(garbage, blocks + reserve, record.replaces);
    if (plan === undefined) {
      await this.reclaim(blocks + reserve);
      plan = this.planCleaning(garbage, blocks + reserve, record.replaces);
      if (plan === undefined) throw new KvError("full", "the key-value disk is full");
    }
    await this.commitChange(plan, record);
  }

  /**
   * Picks the oldest records to clean: enough of them to drop `garbage` blocks of dead records
   * when possible, stopping at a live record whose copy would not fit beside `room` more blocks.
   * `dead` is treated as dead (the record being committed replaces it). Undefined when the copies
   * and `room` do not fit in the free blocks.
   */
  private planCleaning(garbage: number, room: number, dead?: LogEntry): CleaningPlan | undefined {
    const free = this.reusableFrom() + this.ring.blocks - this.end;
    let count = 0;
    let copyBlocks = 0;
    let cleanedBlocks = 0;
    for (let i = this.first; i < this.entries.length && cleanedBlocks - copyBlocks < garbage; i++) {
      const entry = this.entries[i];
      const live = entry.live && entry !== dead;
      if (live && copyBlocks + entry.blocks + room > free) break;
      if (live) copyBlocks += entry.blocks;
      cleanedBlocks += entry.blocks;
      count++;
    }
    return copyBlocks + room <= free ? { count, copyBlocks, cleanedBlocks } : undefined;
  }

  /**
   * Cleans in commits of their own, each dropping just the garbage still missing, until `room`
   * blocks are free past the end. Blocks a commit freed stay reserved while a slot may still name
   * them (its write failed), hence commits that clean nothing but rewrite the slots. Gives up
   * ("full") after one pass over the log.
   */
  private async reclaim(room: number): Promise<void> {
    const pass = this.end - this.start + this.ring.blocks;
    let cleaned = 0;
    for (let commits = 0; commits <= this.entries.length - this.first + SUPERBLOCK_SLOTS.length + 1; commits++) {
      const missing = room - (this.reusableFrom() + this.ring.blocks - this.end);
      if (missing <= 0) return;
      const plan = this.planCleaning(missing, 0) ?? { count: 0, copyBlocks: 0, cleanedBlocks: 0 };
      if ((plan.count === 0 && this.reusableFrom() === this.start) || cleaned > pass) break;
      await this.commitChange(plan, undefined);
      cleaned += plan.cleanedBlocks;
    }
    throw new KvError("full", "the key-value disk is full");
  }

  /** The oldest start any superblock possibly on the disk names: blocks before it are free. */
  private reusableFrom(): number {
    return Math.min(...this.slotStarts);
  }

  /**
   * One commit: copies of the planned live records and `record` are written past the end and
   * flushed (step 1), the index moves to them, then the superblock is written and flushed (step 2).
   * A failure in step 1 changes nothing; one in step 2 keeps the change (see the module comment).
   */
  private async commitChange(plan: CleaningPlan, record: NewRecord | undefined): Promise<void> {
    const cleaned = this.entries.slice(this.first, this.first + plan.count);
    const copied = cleaned.filter((entry) => entry.live && entry !== record?.replaces);
    const recordBlocks = record === undefined ? 0 : record.bytes.length / this.blockSize;
    const data = new Uint8Array((plan.copyBlocks + recordBlocks) * this.blockSize);
    let at = 0;
    for (const entry of copied) {
      data.set(await this.readRecord(entry), at);
      at += entry.blocks * this.blockSize;
    }
    if (record !== undefined) data.set(record.bytes, at);
    const base = this.end;
    if (data.length > 0) {
      await this.ring.write(base, data);
      await diskIo("flushing new records", () => this.disk.flush());
    }

    this.first += plan.count;
    let offset = base;
    for (const entry of copied) {
      const copy: LogEntry = { ...entry, offset };
      this.entries.push(copy);
      this.index.set(entry.key, copy);
      offset += entry.blocks;
    }
    if (record !== undefined) this.place(record, offset);
    this.start = this.first < this.entries.length ? this.entries[this.first].offset : base;
    this.end = base + plan.copyBlocks + recordBlocks;
    if (this.first >= COMPACT_AFTER && this.first * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.first);
      this.first = 0;
    }
    await this.writeSuperblock();
  }

  /** Indexes `record`, now at `offset`. */
  private place(record: NewRecord, offset: number): void {
    const blocks = record.bytes.length / this.blockSize;
    const entry: LogEntry = { offset, blocks, key: record.key, keyLength: record.keyLength, valueLength: record.valueLength, live: !record.tombstone };
    this.entries.push(entry);
    this.retire(record.key);
    if (!record.tombstone) this.enliven(entry);
    this.sequence++;
  }

  /** Makes `entry` its key's current value. */
  private enliven(entry: LogEntry): void {
    this.index.set(entry.key, entry);
    this.liveBlocks += entry.blocks;
    this.liveSizes.set(entry.blocks, (this.liveSizes.get(entry.blocks) ?? 0) + 1);
    this.largestLive = Math.max(this.largestLive, entry.blocks);
  }

  /** The key's current value, if any, is dead from now on. */
  private retire(key: string): void {
    const old = this.index.get(key);
    if (old === undefined) return;
    old.live = false;
    this.liveBlocks -= old.blocks;
    this.index.delete(key);
    const left = (this.liveSizes.get(old.blocks) ?? 1) - 1;
    if (left > 0) this.liveSizes.set(old.blocks, left);
    else {
      this.liveSizes.delete(old.blocks);
      if (old.blocks === this.largestLive) this.largestLive = largest(this.liveSizes.keys());
    }
  }

  /**
   * Step 2 of a commit: the current state goes to each slot in turn, each flushed before the next
   * is written. A slot whose write or flush fails keeps its older start reserved; the other slot
   * is still written, and the failure is reported once both were tried.
   */
  private async writeSuperblock(): Promise<void> {
    this.commit++;
    const state: CommitState = { commit: this.commit, start: this.start, end: this.end, sequence: this.sequence };
    const block = encodeSuperblock(state, this.ring.blocks, this.blockSize);
    let failure: unknown;
    for (const [slot, lba] of SUPERBLOCK_SLOTS.entries()) {
      try {
        await diskIo(`writing superblock ${slot}`, async () => {
          await this.disk.write(lba, block);
          await this.disk.flush();
        });
        this.slotStarts[slot] = state.start;
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** Both slots name an empty log (commit 0); until the flush either may hold an older store's commit. */
  private async format(): Promise<void> {
    const block = encodeSuperblock({ commit: 0, start: 0, end: 0, sequence: 0 }, this.ring.blocks, this.blockSize);
    for (const lba of SUPERBLOCK_SLOTS) await diskIo("formatting", () => this.disk.write(lba, block));
    await diskIo("formatting", () => this.disk.flush());
  }

  private async load(): Promise<void> {
    const readings: SlotReading[] = [];
    for (const lba of SUPERBLOCK_SLOTS) readings.push(await this.readSlot(lba));
    const valid = readings.flatMap((reading) => (reading.kind === "valid" ? [reading.state] : []));
    if (valid.length === 0) {
      if (readings.every((reading) => reading.kind === "blank") && (await this.firstLogBlockBlank())) {
        if (!this.disk.info.readOnly) await this.format();
        return;
      }
      const reasons = readings.map((reading, slot) => `slot ${slot}: ${reading.kind === "invalid" ? reading.reason : reading.kind}`);
      throw new KvError("corrupt", `no valid superblock (${reasons.join("; ")}); open with { format: true } to start a new store`);
    }
    const newest = valid.reduce((a, b) => (b.commit > a.commit ? b : a));
    await this.replay(newest);
    this.commit = newest.commit;
    this.start = newest.start;
    this.end = newest.end;
    this.sequence = newest.sequence;
    this.slotStarts.fill(newest.start);
    const same = readings.every((reading) => reading.kind === "valid" && sameCommit(reading.state, newest));
    // A slot that may name other blocks is made to hold this commit before any record is written.
    if (!same && !this.disk.info.readOnly) await this.writeSuperblock();
  }

  /** The superblock in the slot at `lba`, read a second time if the first read does not check out. */
  private async readSlot(lba: number): Promise<SlotReading> {
    let reading: SlotReading = { kind: "invalid", reason: "unread" };
    for (let attempt = 0; attempt < SLOT_READ_ATTEMPTS && reading.kind !== "valid"; attempt++) {
      try {
        const block = await this.disk.read(lba, new Uint8Array(this.blockSize));
        reading = decodeSuperblock(block, this.ring.blocks);
      } catch (error) {
        reading = { kind: "invalid", reason: `unreadable (${error instanceof Error ? error.message : String(error)})` };
      }
    }
    return reading;
  }

  private async firstLogBlockBlank(): Promise<boolean> {
    const block = await diskIo("reading the first log block", () => this.disk.read(FIRST_RECORD_LBA, new Uint8Array(this.blockSize)));
    return block.every((byte) => byte === 0);
  }

  /** Rebuilds the index from the records between the commit's start and end. */
  private async replay(state: CommitState): Promise<void> {
    for (let offset = state.start; offset < state.end; ) {
      const header = decodeHeader(await this.ring.read(offset, 1));
      if (header === undefined) throw new KvError("corrupt", `no record at log block ${offset}`);
      const blocks = blocksFor(header.length, this.blockSize);
      if (offset + blocks > state.end) throw new KvError("corrupt", `record at log block ${offset} runs past the log end`);
      const entry: LogEntry = { offset, blocks, key: "", keyLength: header.keyLength, valueLength: header.valueLength, live: false };
      const record = await this.readRecord(entry);
      const key = decoder.decode(record.subarray(record.length - header.valueLength - header.keyLength, record.length - header.valueLength));
      this.retire(key);
      const placed: LogEntry = { ...entry, key, live: (header.flags & RECORD_TOMBSTONE) === 0 };
      this.entries.push(placed);
      if (placed.live) this.enliven(placed);
      offset += blocks;
    }
  }

  /** Reads a whole record and checks its checksum; returns it without its padding. */
  private async readRecord(entry: LogEntry): Promise<Uint8Array> {
    const record = await this.ring.read(entry.offset, entry.blocks);
    const length = Record.HeaderSize + entry.keyLength + entry.valueLength;
    if (!recordIntact(record, length)) throw new KvError("corrupt", `record at log block ${entry.offset} fails its checksum`);
    return record.subarray(0, length);
  }
}
