import { reportCallbackError } from "../errors";
import { RingBuffer } from "./ring-buffer";

type Reader = (result: IteratorResult<Uint8Array>) => void;

/**
 * The app side of the receive path. In-order payload goes straight to a waiting reader (one copy,
 * out of the driver's frame) or, while nobody reads, into the ring buffer, whose free space is
 * the receive window: a slow reader closes the window instead of growing memory.
 */
export class Inbound {
  private readonly ring: RingBuffer;
  private handler: ((chunk: Uint8Array) => void) | null = null;
  private endHandler: (() => void) | null = null;
  private reader: Reader | null = null;
  private failReader: ((error: Error) => void) | null = null;
  private ended = false;
  private endReported = false;
  private failure: Error | null = null;
  /** The app closed its side: nothing more will be read. */
  private discarded = false;

  constructor(
    capacity: number,
    /** Called after the app took buffered bytes, so the window can reopen. */
    private readonly onConsumed: () => void,
  ) {
    this.ring = new RingBuffer(capacity);
  }

  get capacity(): number {
    return this.ring.capacity;
  }

  get free(): number {
    return this.ring.free;
  }

  /** In-order payload; the caller never passes more than the window, which fits in the ring. */
  push(bytes: Uint8Array, offset: number, length: number): void {
    if (this.ring.length === 0 && this.deliver(bytes.slice(offset, offset + length))) return;
    this.ring.write(bytes, offset, length);
  }

  /** The peer's FIN: readers see the end after the buffered bytes. */
  end(): void {
    this.ended = true;
    this.flush();
  }

  /** Discards buffered bytes and makes readers fail with `error`. */
  fail(error: Error): void {
    this.failure = error;
    this.ring.discard(this.ring.length);
    const failReader = this.failReader;
    this.reader = this.failReader = null;
    failReader?.(error);
  }

  /**
   * Drops what is buffered (the app closed the connection and will not read it); a read still
   * pending, and any later one, sees the end of the stream instead of waiting for ever.
   */
  discard(): void {
    this.discarded = true;
    this.ring.discard(this.ring.length);
    this.onConsumed();
    const reader = this.reader;
    this.reader = this.failReader = null;
    reader?.({ done: true, value: undefined });
  }

  onData(handler: ((chunk: Uint8Array) => void) | null): void {
    this.handler = handler;
    this.flush();
  }

  onEnd(handler: () => void): void {
    this.endHandler = handler;
    this.flush();
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.reader !== null) return Promise.reject(new Error("TCP read already pending"));
    if (this.discarded) return Promise.resolve({ done: true, value: undefined });
    if (this.ring.length > 0) {
      const chunk = this.ring.read(this.ring.length);
      this.onConsumed();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.ended) {
      this.reportEnd();
      return Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => {
      this.reader = resolve;
      this.failReader = reject;
    });
  }

  private deliver(chunk: Uint8Array): boolean {
    if (this.handler !== null) {
      try {
        this.handler(chunk);
      } catch (error) {
        reportCallbackError(error);
      }
      return true;
    }
    const reader = this.reader;
    if (reader === null) return false;
    this.reader = this.failReader = null;
    reader({ done: false, value: chunk });
    return true;
  }

  private flush(): void {
    if (this.ring.length > 0 && (this.handler !== null || this.reader !== null)) {
      this.deliver(this.ring.read(this.ring.length));
      this.onConsumed();
    }
    if (!this.ended || this.ring.length > 0) return;
    const reader = this.reader;
    this.reader = this.failReader = null;
    reader?.({ done: true, value: undefined });
    this.reportEnd();
  }

  private reportEnd(): void {
    if (this.endReported || this.endHandler === null) return;
    this.endReported = true;
    try {
      this.endHandler();
    } catch (error) {
      reportCallbackError(error);
    }
  }
}
