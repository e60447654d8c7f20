import { Header, IO_HEADER_BYTES, MAX_WALK_NAMES, MessageType, NINEP_VERSION, NOFID, NOTAG, SetattrValid, messageName, type RequestType } from "./constants";
import { NineCancelledError, NinePError, NineProtocolError, NineTimeoutError, NineUsageError } from "./errors";
import { FidTable } from "./fids";
import { MIN_MSIZE, type NinePLimits } from "./limits";
import type { NinePLoop } from "./loop";
import { MessageReader } from "./message-reader";
import { MessageWriter } from "./message-writer";
import { isDirectoryQid, readAttr, readDirEntry, readQid, readStatfs, type NinePAttr, type NinePDirEntry, type NinePStatfs, type Qid } from "./replies";

/** What the client sends requests through (RequestSlots over the virtqueue). */
export interface NinePChannel {
  readonly count: number;
  readonly msize: number;
  request(slot: number): Uint8Array;
  reply(slot: number): Uint8Array;
  submit(slot: number, length: number): void;
}

export interface NinePClientParts {
  readonly deviceName: string;
  readonly channel: NinePChannel;
  readonly limits: NinePLimits;
  /** Monotonic time in ns. */
  now(): number;
  readonly timers: Pick<NinePLoop, "setTimeout" | "clearTimeout">;
  /** Whether requests are in flight or waiting (the loop is kept running while they are). */
  onBusy(busy: boolean): void;
  /** The client gave up (a flush went unanswered, or the device stopped): every request failed with `error`. */
  onFailed(error: Error): void;
}

/** How a caller gives up on a request (an AbortSignal fits). */
export interface NinePCancelSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** What Tlopen and Tlcreate return. */
export interface NinePOpened {
  readonly qid: Qid;
  /** Largest read or write the server does in one message (0: as msize allows). */
  readonly iounit: number;
}

/** Changes Tsetattr makes; absent fields are left alone. */
export interface NinePAttrChanges {
  readonly mode?: number;
  readonly size?: number;
  readonly mtimeMs?: number;
}

const enum SlotState {
  Free = 0,
  /** A request in flight whose caller waits for the reply. */
  Busy = 1,
  /** A request whose caller was told it timed out; the device still owns the buffers. */
  Abandoned = 2,
}

/** Why a request is sent: its reply goes to a caller, or it flushes or cleans up after another. */
const enum Purpose {
  Call = 0,
  Version = 1,
  Flush = 2,
}

/** How a request is sent, beyond its message. */
interface RequestOptions {
  readonly purpose?: Purpose;
  /** A fid the request creates on success (walk, attach). */
  readonly newFid?: number;
  readonly signal?: NinePCancelSignal;
  /** A flush: the slot whose request it flushes. */
  readonly flushOf?: number;
}

interface Pending {
  readonly type: RequestType;
  readonly write: (writer: MessageWriter) => void;
  readonly decode: (reader: MessageReader) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly purpose: Purpose;
  /** A fid the request creates on success (walk, attach); -1 for none. */
  readonly newFid: number;
  /** A flush: the slot of the request it flushes; -1 otherwise. */
  readonly flushOf: number;
  tag: number;
  deadlineNs: number;
}

const NS_PER_MS = 1_000_000;
const MS_PER_S = 1000;
/** Linux's errno numbers for what a walk reports without an Rlerror: a name not there, a name that is not a directory. */
const ENOENT = 2;
const ENOTDIR = 20;

/**
 * A 9P2000.L client over one channel. Every request takes a slot, whose index is its tag; the
 * reply is checked (size against the used length and msize, type, tag, every length inside the
 * message, nothing left over) before anything of it is used. A request without a reply by its
 * deadline fails with NineTimeoutError and is flushed (Tflush); its slot stays the device's until
 * the device hands the buffers back. A flush without a reply means the device stopped answering:
 * the client fails everything and tells its owner (`onFailed`), which resets the device.
 */
export class NinePClient {
  readonly deviceName: string;
  /** Negotiated by `connect` (the proposed size until then). */
  msize: number;
  /** The share's root, once attached. */
  rootFid = NOFID;
  rootQid: Qid | undefined;
  /** Requests that timed out and were flushed. */
  timeouts = 0;
  failure: Error | undefined;
  private readonly channel: NinePChannel;
  private readonly limits: NinePLimits;
  private readonly parts: NinePClientParts;
  private readonly fids: FidTable;
  private readonly state: Uint8Array;
  /** 1 while a flush of the slot's tag is waiting or in flight. */
  private readonly flushing: Uint8Array;
  private readonly pending: (Pending | undefined)[];
  private readonly writers: MessageWriter[] = [];
  private readonly reader: MessageReader;
  private readonly waiting: Pending[] = [];
  private inFlight = 0;
  private timer: unknown;
  private timerDeadlineNs = Number.POSITIVE_INFINITY;
  private busy = false;

  constructor(parts: NinePClientParts) {
    this.parts = parts;
    this.deviceName = parts.deviceName;
    this.channel = parts.channel;
    this.limits = parts.limits;
    this.msize = Math.min(parts.limits.msize, parts.channel.msize);
    this.fids = new FidTable(parts.deviceName, parts.limits.maxFids);
    const count = parts.channel.count;
    this.state = new Uint8Array(count);
    this.flushing = new Uint8Array(count);
    this.pending = new Array<Pending | undefined>(count).fill(undefined);
    for (let slot = 0; slot < count; slot++) this.writers.push(new MessageWriter(parts.deviceName, parts.channel.request(slot)));
    this.reader = new MessageReader(parts.deviceName);
  }

  /** Bytes of file data one Tread or Twrite carries at most. */
  get ioUnit(): number {
    return this.msize - IO_HEADER_BYTES;
  }

  get fidsInUse(): number {
    return this.fids.count;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** Tversion (msize negotiation; nothing else may be in flight), then Tattach of the share's root. */
  async connect(uname: string, aname: string, uid: number): Promise<Qid> {
    if (this.inFlight > 0 || this.rootFid !== NOFID) throw new NineUsageError(this.deviceName, "connect", "connect must come first, once");
    const proposed = this.msize;
    const reply = await this.send(
      MessageType.Tversion,
      (w) => {
        w.u32(proposed);
        w.string(NINEP_VERSION);
      },
      (r) => ({ msize: r.u32(), version: r.string("version", NINEP_VERSION.length + 16) }),
      { purpose: Purpose.Version },
    );
    if (reply.version !== NINEP_VERSION) throw new NineProtocolError(this.deviceName, "version", `server speaks ${JSON.stringify(reply.version)}, not ${NINEP_VERSION}`);
    if (reply.msize < MIN_MSIZE || reply.msize > proposed) throw new NineProtocolError(this.deviceName, "msize", `server msize ${reply.msize} is outside ${MIN_MSIZE}..${proposed}`);
    this.msize = reply.msize;
    const fid = this.fids.allocate();
    const qid = await this.send(
      MessageType.Tattach,
      (w) => {
        w.u32(fid);
        w.u32(NOFID);
        w.string(uname);
        w.string(aname);
        w.u32(uid);
      },
      readQid,
      { newFid: fid },
    );
    if (!isDirectoryQid(qid)) {
      await this.clunkQuietly(fid);
      throw new NineProtocolError(this.deviceName, "attach", "the share's root is not a directory");
    }
    this.rootFid = fid;
    this.rootQid = qid;
    return qid;
  }

  /**
   * A new fid for `names` walked from `fid` (none: a clone of it), in Twalks of at most 16 names.
   * A name that is not there fails with ENOENT (or the server's error); a walk through something
   * that is not a directory is refused, so a symlink is never followed to a directory.
   */
  async walk(fid: number, names: readonly string[]): Promise<{ fid: number; qid: Qid | undefined }> {
    const newFid = this.fids.allocate();
    let from = fid;
    let last: Qid | undefined;
    let done = 0;
    do {
      const chunk = names.slice(done, done + MAX_WALK_NAMES);
      let qids: Qid[];
      try {
        qids = await this.send(MessageType.Twalk, (w) => writeWalk(w, from, newFid, chunk), (r) => readWalk(r, chunk.length), { newFid: from === fid ? newFid : -1 });
      } catch (error) {
        if (from !== fid) await this.clunkQuietly(newFid);
        throw error;
      }
      if (qids.length < chunk.length) {
        // Partial: newfid is untouched, so it does not exist after a first walk and stays where it was after a later one.
        if (from === fid) this.fids.release(newFid);
        else await this.clunkQuietly(newFid);
        throw new NinePError(this.deviceName, ENOENT, `walk: ${JSON.stringify(chunk[qids.length])} is not there`);
      }
      from = newFid;
      for (let i = 0; i < qids.length; i++) {
        // Every name but the last must be a directory: anything else (a symlink above all) is not walked through.
        if (done + i + 1 < names.length && !isDirectoryQid(qids[i])) {
          await this.clunkQuietly(newFid);
          throw new NinePError(this.deviceName, ENOTDIR, `walk: ${JSON.stringify(chunk[i])} is not a directory`);
        }
      }
      if (qids.length > 0) last = qids[qids.length - 1];
      done += chunk.length;
    } while (done < names.length);
    return { fid: newFid, qid: last };
  }

  getattr(fid: number, mask: number): Promise<NinePAttr> {
    return this.send(
      MessageType.Tgetattr,
      (w) => {
        w.u32(fid);
        w.u64(mask);
      },
      readAttr,
    );
  }

  setattr(fid: number, changes: NinePAttrChanges): Promise<void> {
    return this.send(MessageType.Tsetattr, (w) => writeSetattr(w, fid, changes), ignoreBody);
  }

  lopen(fid: number, flags: number): Promise<NinePOpened> {
    return this.send(
      MessageType.Tlopen,
      (w) => {
        w.u32(fid);
        w.u32(flags);
      },
      readOpened,
    );
  }

  /** Creates `name` in the directory `fid`, which then stands for the new file, open with `flags`. */
  lcreate(fid: number, name: string, flags: number, mode: number, gid: number): Promise<NinePOpened> {
    return this.send(
      MessageType.Tlcreate,
      (w) => {
        w.u32(fid);
        w.string(name);
        w.u32(flags);
        w.u32(mode);
        w.u32(gid);
      },
      readOpened,
    );
  }

  /**
   * Reads up to `target.length` (at most ioUnit) bytes at `offset` into `target`; returns how many
   * (0 at the end). When `signal` fires first the read is flushed and fails with NineCancelledError.
   */
  async read(fid: number, offset: number, target: Uint8Array, signal?: NinePCancelSignal): Promise<number> {
    const count = this.checkIo(target.length);
    return this.send(
      MessageType.Tread,
      (w) => {
        w.u32(fid);
        w.u64(offset);
        w.u32(count);
      },
      (r) => {
        const length = r.u32();
        if (length > count) throw r.error(`Rread of ${length} bytes for a Tread of ${count}`);
        target.set(r.view8(length, "data"));
        return length;
      },
      { signal },
    );
  }

  /** Writes `data` (at most ioUnit bytes) at `offset`; returns how many the server took. `signal` as for `read`. */
  async write(fid: number, offset: number, data: Uint8Array, signal?: NinePCancelSignal): Promise<number> {
    const count = this.checkIo(data.length);
    return this.send(
      MessageType.Twrite,
      (w) => {
        w.u32(fid);
        w.u64(offset);
        w.u32(count);
        w.data(data);
      },
      (r) => {
        const length = r.u32();
        if (length > count) throw r.error(`Rwrite of ${length} bytes for a Twrite of ${count}`);
        return length;
      },
      { signal },
    );
  }

  /** Directory entries of the open directory `fid` from `offset` (0, then the last entry's offset), at most `count` bytes of them. */
  async readdir(fid: number, offset: bigint, count: number): Promise<NinePDirEntry[]> {
    const bytes = this.checkIo(count);
    return this.send(
      MessageType.Treaddir,
      (w) => {
        w.u32(fid);
        w.u64Big(offset);
        w.u32(bytes);
      },
      (r) => {
        const length = r.u32();
        if (length !== r.remaining) throw r.error(`Rreaddir count ${length} but ${r.remaining} bytes follow`);
        if (length > bytes) throw r.error(`Rreaddir of ${length} bytes for a Treaddir of ${bytes}`);
        const entries: NinePDirEntry[] = [];
        // Bounded: each entry takes at least 24 bytes of a message no longer than msize.
        while (r.remaining > 0) entries.push(readDirEntry(r));
        return entries;
      },
    );
  }

  mkdir(dirFid: number, name: string, mode: number, gid: number): Promise<Qid> {
    return this.send(
      MessageType.Tmkdir,
      (w) => {
        w.u32(dirFid);
        w.string(name);
        w.u32(mode);
        w.u32(gid);
      },
      readQid,
    );
  }

  unlinkat(dirFid: number, name: string, flags: number): Promise<void> {
    return this.send(
      MessageType.Tunlinkat,
      (w) => {
        w.u32(dirFid);
        w.string(name);
        w.u32(flags);
      },
      ignoreBody,
    );
  }

  renameat(oldDirFid: number, oldName: string, newDirFid: number, newName: string): Promise<void> {
    return this.send(
      MessageType.Trenameat,
      (w) => {
        w.u32(oldDirFid);
        w.string(oldName);
        w.u32(newDirFid);
        w.string(newName);
      },
      ignoreBody,
    );
  }

  fsync(fid: number, dataOnly = false): Promise<void> {
    return this.send(
      MessageType.Tfsync,
      (w) => {
        w.u32(fid);
        w.u32(dataOnly ? 1 : 0);
      },
      ignoreBody,
    );
  }

  statfs(fid: number): Promise<NinePStatfs> {
    return this.send(MessageType.Tstatfs, (w) => w.u32(fid), readStatfs);
  }

  /** Forgets `fid` on both sides (the server forgets it even when it answers Rlerror). */
  async clunk(fid: number): Promise<void> {
    try {
      await this.send(MessageType.Tclunk, (w) => w.u32(fid), ignoreBody);
    } catch (error) {
      // A clunk that timed out may still be in the server's hands: the number stays taken.
      if (!(error instanceof NineTimeoutError)) this.fids.release(fid);
      throw error;
    }
    this.fids.release(fid);
  }

  /** Fails every request with `error` and takes no more (the device was detached, broke or stopped answering). */
  stop(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.clearTimer();
    for (let slot = 0; slot < this.pending.length; slot++) {
      const pending = this.pending[slot];
      this.pending[slot] = undefined;
      if (pending !== undefined && this.state[slot] === SlotState.Busy) pending.reject(error);
      this.state[slot] = SlotState.Free;
      this.flushing[slot] = 0;
    }
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    this.inFlight = 0;
    this.updateBusy();
  }

  /** A used buffer: its reply goes to the caller (or, for a request that timed out, is cleaned up after). */
  readonly onReply = (slot: number, usedLength: number): void => {
    const pending = this.pending[slot];
    const state = this.state[slot];
    this.pending[slot] = undefined;
    this.state[slot] = SlotState.Free;
    if (pending === undefined) return;
    this.inFlight--;
    let value: unknown;
    let error: Error | undefined;
    try {
      value = this.decodeReply(slot, usedLength, pending);
    } catch (cause) {
      error = cause instanceof Error ? cause : new NineProtocolError(this.deviceName, "reply", String(cause));
    }
    if (pending.flushOf >= 0) this.flushing[pending.flushOf] = 0;
    if (state === SlotState.Abandoned) this.dropQueuedFlush(slot);
    if (pending.newFid >= 0 && error !== undefined) this.forgetNewFid(pending.newFid, error);
    else if (pending.newFid >= 0 && state === SlotState.Abandoned) void this.clunkQuietly(pending.newFid);
    if (state === SlotState.Busy) {
      if (error === undefined) pending.resolve(value);
      else pending.reject(error);
    }
    this.startWaiting();
    this.armTimer();
    this.updateBusy();
  };

  /** Sends one request and resolves with its decoded reply; `signal` gives up on it (flushed if it was sent). */
  private send<T>(type: RequestType, write: (writer: MessageWriter) => void, decode: (reader: MessageReader) => T, options: RequestOptions = {}): Promise<T> {
    const purpose = options.purpose ?? Purpose.Call;
    const newFid = options.newFid ?? -1;
    const signal = options.signal;
    return new Promise<T>((resolveRequest, rejectRequest) => {
      let resolve = resolveRequest as (value: unknown) => void;
      let reject = rejectRequest;
      if (this.failure !== undefined || signal?.aborted === true) {
        if (newFid >= 0) this.fids.release(newFid);
        reject(this.failure ?? this.cancelled(type));
        return;
      }
      if (signal !== undefined) {
        const onAbort = (): void => this.cancel(pending);
        signal.addEventListener("abort", onAbort);
        resolve = (value) => {
          signal.removeEventListener("abort", onAbort);
          resolveRequest(value as T);
        };
        reject = (error) => {
          signal.removeEventListener("abort", onAbort);
          rejectRequest(error);
        };
      }
      // Waiting for a slot counts against the deadline too; `start` gives the device a full one.
      const pending: Pending = { type, write, decode, resolve, reject, purpose, newFid, flushOf: options.flushOf ?? -1, tag: 0, deadlineNs: this.deadlineFor(purpose) };
      const slot = this.freeSlot();
      if (slot >= 0 && this.waiting.length === 0) {
        this.start(slot, pending);
      } else if (this.waiting.length >= this.limits.maxWaiting && purpose !== Purpose.Flush) {
        if (newFid >= 0) this.fids.release(newFid);
        reject(new NineUsageError(this.deviceName, "busy", `${this.waiting.length} requests already wait for one of ${this.state.length} slots`));
      } else if (purpose === Purpose.Flush) {
        // A flush frees a slot: it goes before everything that waits.
        this.waiting.unshift(pending);
      } else {
        this.waiting.push(pending);
      }
      this.armTimer();
      this.updateBusy();
    });
  }

  private timeoutMsFor(purpose: Purpose): number {
    return purpose === Purpose.Flush ? this.limits.flushTimeoutMs : this.limits.requestTimeoutMs;
  }

  private deadlineFor(purpose: Purpose): number {
    return this.parts.now() + this.timeoutMsFor(purpose) * NS_PER_MS;
  }

  /** The caller gave up on `pending`: one in flight is flushed, one still waiting for a slot is dropped. */
  private cancel(pending: Pending): void {
    const slot = this.pending.indexOf(pending);
    if (slot >= 0 && this.state[slot] === SlotState.Busy) {
      this.abandon(slot, pending, this.cancelled(pending.type));
      this.armTimer();
      return;
    }
    const waiting = this.waiting.indexOf(pending);
    if (waiting < 0) return;
    this.waiting.splice(waiting, 1);
    if (pending.newFid >= 0) this.fids.release(pending.newFid);
    pending.reject(this.cancelled(pending.type));
    this.updateBusy();
  }

  private cancelled(type: RequestType): NineCancelledError {
    return new NineCancelledError(this.deviceName, "cancelled", `${messageName(type)} was cancelled`);
  }

  /**
   * Tells the caller of the request in `slot` it failed with `error` and flushes it. The slot (its
   * tag) is used again only once the device handed its buffers back and the flush was answered:
   * before Rflush the server may still take the tag for the flushed request.
   */
  private abandon(slot: number, pending: Pending, error: Error): void {
    this.state[slot] = SlotState.Abandoned;
    this.flushing[slot] = 1;
    pending.reject(error);
    const oldTag = pending.tag;
    this.send(MessageType.Tflush, (w) => w.u16(oldTag), ignoreBody, { purpose: Purpose.Flush, flushOf: slot }).catch(() => undefined);
  }

  /** A slot free for a new request: not in flight, and no flush of its tag outstanding. */
  private freeSlot(): number {
    for (let slot = 0; slot < this.state.length; slot++) {
      if (this.state[slot] === SlotState.Free && this.flushing[slot] === 0) return slot;
    }
    return -1;
  }

  /** The request in `slot` is done: a flush of it still waiting for a slot of its own is no longer needed. */
  private dropQueuedFlush(slot: number): void {
    const index = this.waiting.findIndex((w) => w.flushOf === slot);
    if (index < 0) return;
    this.waiting.splice(index, 1)[0].resolve(undefined);
    this.flushing[slot] = 0;
  }

  private start(slot: number, pending: Pending): void {
    const writer = this.writers[slot];
    pending.tag = pending.purpose === Purpose.Version ? NOTAG : slot;
    let length: number;
    try {
      writer.begin(pending.type, pending.tag);
      pending.write(writer);
      length = writer.finish();
      if (length > this.msize) throw new NineUsageError(this.deviceName, "message-size", `${messageName(pending.type)} of ${length} bytes exceeds msize ${this.msize}`);
    } catch (error) {
      if (pending.newFid >= 0) this.fids.release(pending.newFid);
      pending.reject(error as Error);
      return;
    }
    pending.deadlineNs = this.deadlineFor(pending.purpose);
    this.pending[slot] = pending;
    this.state[slot] = SlotState.Busy;
    this.inFlight++;
    this.channel.submit(slot, length);
    this.armTimer();
  }

  /** Starts waiting requests on the free slots. */
  private startWaiting(): void {
    while (this.waiting.length > 0 && this.failure === undefined) {
      const slot = this.freeSlot();
      if (slot < 0) return;
      this.start(slot, this.waiting.shift() as Pending);
    }
  }

  /** Checks the reply in `slot` against its request and decodes it; throws NinePError for Rlerror. */
  private decodeReply(slot: number, usedLength: number, pending: Pending): unknown {
    const reader = this.reader;
    const bytes = this.channel.reply(slot);
    const name = messageName(pending.type);
    if (usedLength < Header.Bytes) throw reader.error(`${name}: used length ${usedLength} is shorter than a header`);
    reader.reset(bytes, Header.Size, Header.Bytes);
    const size = reader.u32();
    if (size < Header.Bytes || size > usedLength || size > this.msize) {
      throw reader.error(`${name}: size ${size} against used length ${usedLength} and msize ${this.msize}`);
    }
    reader.reset(bytes, Header.Type, size);
    const type = reader.u8();
    const tag = reader.u16();
    if (tag !== pending.tag) throw reader.error(`${name}: reply tag ${tag}, sent ${pending.tag}`);
    if (type === MessageType.Rlerror) {
      const errno = reader.u32();
      reader.finish("Rlerror");
      throw new NinePError(this.deviceName, errno, `${name} refused`);
    }
    if (type !== pending.type + 1) throw reader.error(`${name}: reply type ${type}, expected ${pending.type + 1}`);
    const value = pending.decode(reader);
    reader.finish(name);
    return value;
  }

  /** A request that would have created `fid` failed: after Rlerror the server has no such fid; otherwise it may, and it is clunked. */
  private forgetNewFid(fid: number, error: Error): void {
    if (error instanceof NinePError) this.fids.release(fid);
    else void this.clunkQuietly(fid);
  }

  private async clunkQuietly(fid: number): Promise<void> {
    try {
      await this.clunk(fid);
    } catch {
      // Cleaning up: the fid is released (or kept taken) by clunk itself.
    }
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    this.timerDeadlineNs = Number.POSITIVE_INFINITY;
    const now = this.parts.now();
    for (let slot = 0; slot < this.pending.length && this.failure === undefined; slot++) {
      const pending = this.pending[slot];
      if (pending === undefined || this.state[slot] !== SlotState.Busy || pending.deadlineNs > now) continue;
      if (pending.purpose !== Purpose.Call) {
        this.fail(new NineTimeoutError(this.deviceName, "unresponsive", `${messageName(pending.type)} had no reply within ${this.timeoutMsFor(pending.purpose)} ms`));
        return;
      }
      this.timeouts++;
      this.abandon(slot, pending, new NineTimeoutError(this.deviceName, "timeout", `${messageName(pending.type)} (tag ${pending.tag}) had no reply within ${this.limits.requestTimeoutMs} ms; flushed`));
    }
    this.expireWaiting(now);
    this.armTimer();
    this.updateBusy();
  };

  /** Requests that never got a slot by their deadline fail; a flush that could not even be sent means the device is stuck. */
  private expireWaiting(now: number): void {
    for (let i = 0; i < this.waiting.length && this.failure === undefined; ) {
      const pending = this.waiting[i];
      if (pending.deadlineNs > now) {
        i++;
        continue;
      }
      if (pending.purpose !== Purpose.Call) {
        this.fail(new NineTimeoutError(this.deviceName, "unresponsive", `no slot freed for ${messageName(pending.type)} within ${this.timeoutMsFor(pending.purpose)} ms`));
        return;
      }
      this.waiting.splice(i, 1);
      this.timeouts++;
      if (pending.newFid >= 0) this.fids.release(pending.newFid);
      pending.reject(new NineTimeoutError(this.deviceName, "timeout", `${messageName(pending.type)} found no free slot within ${this.limits.requestTimeoutMs} ms`));
    }
  }

  private fail(error: Error): void {
    this.stop(error);
    this.parts.onFailed(error);
  }

  /** Keeps one timer at the earliest deadline of the requests in flight or waiting. */
  private armTimer(): void {
    if (this.failure !== undefined) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (let slot = 0; slot < this.pending.length; slot++) {
      const pending = this.pending[slot];
      if (pending !== undefined && this.state[slot] === SlotState.Busy && pending.deadlineNs < earliest) earliest = pending.deadlineNs;
    }
    for (const pending of this.waiting) earliest = Math.min(earliest, pending.deadlineNs);
    if (earliest === this.timerDeadlineNs) return;
    this.clearTimer();
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.timerDeadlineNs = earliest;
    this.timer = this.parts.timers.setTimeout(this.sweep, Math.max(0, Math.ceil((earliest - this.parts.now()) / NS_PER_MS)));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.parts.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDeadlineNs = Number.POSITIVE_INFINITY;
  }

  private updateBusy(): void {
    const busy = this.inFlight > 0 || this.waiting.length > 0;
    if (busy === this.busy) return;
    this.busy = busy;
    this.parts.onBusy(busy);
  }

  private checkIo(count: number): number {
    if (!Number.isInteger(count) || count < 0 || count > this.ioUnit) throw new NineUsageError(this.deviceName, "io-size", `${count} bytes is outside 0..${this.ioUnit} (msize ${this.msize})`);
    return count;
  }
}

function ignoreBody(): undefined {
  return undefined;
}

function readOpened(reader: MessageReader): NinePOpened {
  return { qid: readQid(reader), iounit: reader.u32() };
}

function writeWalk(writer: MessageWriter, fid: number, newFid: number, names: readonly string[]): void {
  writer.u32(fid);
  writer.u32(newFid);
  writer.u16(names.length);
  for (const name of names) writer.string(name);
}

/** Rwalk: nwqid[2] and that many qids, no more than were asked. */
function readWalk(reader: MessageReader, asked: number): Qid[] {
  const count = reader.u16();
  if (count > asked) throw reader.error(`Rwalk of ${count} qids for ${asked} names`);
  const qids: Qid[] = [];
  for (let i = 0; i < count; i++) qids.push(readQid(reader));
  return qids;
}

function writeSetattr(writer: MessageWriter, fid: number, changes: NinePAttrChanges): void {
  let valid = 0;
  if (changes.mode !== undefined) valid |= SetattrValid.Mode;
  if (changes.size !== undefined) valid |= SetattrValid.Size;
  if (changes.mtimeMs !== undefined) valid |= SetattrValid.Mtime | SetattrValid.MtimeSet;
  const mtimeMs = changes.mtimeMs ?? 0;
  writer.u32(fid);
  writer.u32(valid);
  writer.u32(changes.mode ?? 0);
  writer.u32(0);
  writer.u32(0);
  writer.u64(changes.size ?? 0);
  writer.u64(0);
  writer.u64(0);
  writer.u64(Math.floor(mtimeMs / MS_PER_S));
  writer.u64((mtimeMs % MS_PER_S) * NS_PER_MS);
}
