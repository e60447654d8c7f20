/**
 * A virtio-console port as an app uses it: an async byte stream (async iteration or `read()` to
 * read, `write()` with back-pressure, `close()`), and events when the host side connects or
 * disconnects ("open", "close") and when the console size changes ("resize").
 */
import type { ConsolePort } from "../../drivers/virtio/console/port";
import { reportCallbackError } from "../net/errors";
import { PortError } from "./errors";

export type PortEvent = "open" | "close" | "resize";

export interface PortWriteOptions {
  /** Give up (rejecting with PortError "timeout") when the device has not taken every byte by then. */
  readonly timeoutMs?: number;
}

/** What a Port needs from whoever opened it. */
export interface PortOwner {
  /** Keeps the machine running while the port waits for the device. */
  hold(): void;
  release(): void;
  /** The port let go of its ConsolePort (closed or removed). */
  closed(port: ConsolePort): void;
}

/** Largest chunk one read returns. */
const READ_CHUNK_BYTES = 64 * 1024;
const DEFAULT_WRITE_TIMEOUT_MS = 60_000;

interface PendingWrite {
  readonly bytes: Uint8Array;
  at: number;
  readonly resolve: () => void;
  readonly reject: (error: PortError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class Port implements AsyncIterable<Uint8Array> {
  private endedBy: PortError | undefined;
  private reader: ((chunk: Uint8Array | undefined) => void) | undefined;
  private readonly writes: PendingWrite[] = [];
  private readonly listeners: Record<PortEvent, Set<() => void>> = { open: new Set(), close: new Set(), resize: new Set() };
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly inner: ConsolePort,
    private readonly owner: PortOwner,
  ) {
    inner.onReadable = () => this.deliver();
    inner.onWritable = () => this.pump();
    inner.onHostConnected = (connected) => this.emit(connected ? "open" : "close");
    inner.onResize = () => this.emit("resize");
    inner.onRemoved = () => this.end(new PortError("removed", `port ${this.name} was removed`));
    inner.open();
  }

  get name(): string {
    return this.inner.name ?? `port${this.inner.id}`;
  }

  /** The host side has the port open (bytes written while it does not may be discarded by the device). */
  get hostConnected(): boolean {
    return this.inner.hostConnected;
  }

  /** Closed by `close()` or removed by the device: reads end, writes reject. */
  get closed(): boolean {
    return this.endedBy !== undefined;
  }

  get size(): { readonly cols: number; readonly rows: number } {
    return { cols: this.inner.cols, rows: this.inner.rows };
  }

  on(event: PortEvent, handler: () => void): this {
    this.listeners[event].add(handler);
    return this;
  }

  off(event: PortEvent, handler: () => void): this {
    this.listeners[event].delete(handler);
    return this;
  }

  /** The next bytes from the host (at most 64 KiB); undefined once the port is closed or removed. */
  read(): Promise<Uint8Array | undefined> {
    if (this.reader !== undefined) return Promise.reject(new PortError("read-pending", `port ${this.name}: a read is already waiting`));
    const chunk = this.take();
    if (chunk !== undefined || this.endedBy !== undefined) return Promise.resolve(chunk);
    this.owner.hold();
    return new Promise((resolve) => {
      this.reader = (value) => {
        this.reader = undefined;
        this.owner.release();
        resolve(value);
      };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        const chunk = await this.read();
        return chunk === undefined ? { done: true, value: undefined } : { done: false, value: chunk };
      },
      return: async (): Promise<IteratorResult<Uint8Array>> => ({ done: true, value: undefined }),
    };
  }

  /**
   * Sends `data` (a string as UTF-8). Resolves once the device has taken every byte; writes queue
   * behind each other and wait while the device holds all transmit buffers. Rejects with PortError
   * on close, removal or timeout (bytes already taken stay sent).
   */
  write(data: Uint8Array | string, options: PortWriteOptions = {}): Promise<void> {
    if (this.endedBy !== undefined) return Promise.reject(this.endedBy);
    const bytes = typeof data === "string" ? this.encoder.encode(data) : data;
    if (bytes.length === 0) return Promise.resolve();
    const timeoutMs = options.timeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const write: PendingWrite = {
        bytes,
        at: 0,
        resolve,
        reject,
        timer: setTimeout(() => this.fail(write, new PortError("timeout", `port ${this.name}: ${bytes.length - write.at} bytes not taken within ${timeoutMs} ms`)), timeoutMs),
      };
      if (this.writes.push(write) === 1) this.owner.hold();
      this.pump();
    });
  }

  /** Tells the device this side closed the port; a waiting read gets undefined, waiting writes reject. */
  close(): void {
    if (this.endedBy !== undefined) return;
    if (!this.inner.removed) this.inner.close();
    this.end(new PortError("closed", `port ${this.name} is closed`));
  }

  private take(): Uint8Array | undefined {
    const available = this.inner.readable;
    if (available === 0) return undefined;
    const chunk = new Uint8Array(Math.min(available, READ_CHUNK_BYTES));
    const n = this.inner.readInto(chunk);
    return chunk.subarray(0, n);
  }

  private deliver(): void {
    const reader = this.reader;
    if (reader === undefined) return;
    const chunk = this.take();
    if (chunk !== undefined) reader(chunk);
  }

  private pump(): void {
    const writes = this.writes;
    while (writes.length > 0) {
      const write = writes[0];
      write.at += this.inner.writeSome(write.bytes, write.at);
      if (write.at < write.bytes.length) return;
      this.settle(write);
      write.resolve();
    }
  }

  private fail(write: PendingWrite, error: PortError): void {
    if (!this.writes.includes(write)) return;
    this.settle(write);
    write.reject(error);
  }

  private settle(write: PendingWrite): void {
    clearTimeout(write.timer);
    this.writes.splice(this.writes.indexOf(write), 1);
    if (this.writes.length === 0) this.owner.release();
  }

  private end(reason: PortError): void {
    if (this.endedBy !== undefined) return;
    this.endedBy = reason;
    const inner = this.inner;
    inner.onReadable = inner.onWritable = inner.onHostConnected = inner.onResize = inner.onRemoved = undefined;
    this.reader?.(undefined);
    for (const write of [...this.writes]) this.fail(write, reason);
    this.owner.closed(inner);
  }

  /** Runs from the device's poll: a listener's exception is reported on its own, not thrown into the poll. */
  private emit(event: PortEvent): void {
    for (const handler of this.listeners[event]) {
      try {
        handler();
      } catch (error) {
        reportCallbackError(error);
      }
    }
  }
}
