import type { NinePCancelSignal, NinePClient } from "../../drivers/virtio/9p/client";
import { GetattrMask } from "../../drivers/virtio/9p/constants";
import { FsError, asFsError } from "./errors";
import { FileStats } from "./stats";
import { readInto, writeAll } from "./transfer";

const ENCODER = new TextEncoder();

/**
 * An open file of a share, as `open()` returns it (a subset of Node's FileHandle). Reads and writes
 * without a position use and move the handle's own; `close()` gives the fid back, after which every
 * call fails with EBADF.
 */
export class FileHandle {
  private position = 0;
  private closed = false;

  constructor(
    private readonly client: NinePClient,
    private readonly fid: number,
    readonly path: string,
  ) {}

  /** Reads up to `length` bytes into `buffer` at `offset`, from `position` (or the handle's). */
  async read(buffer: Uint8Array, offset = 0, length = buffer.length - offset, position: number | null = null): Promise<{ bytesRead: number; buffer: Uint8Array }> {
    this.check("read");
    if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= buffer.length)) {
      throw new FsError("EINVAL", "read", this.path, `offset ${offset} and length ${length} are outside the ${buffer.length}-byte buffer`);
    }
    const at = position ?? this.position;
    const bytesRead = await this.run("read", () => readInto(this.client, this.fid, buffer.subarray(offset, offset + length), at));
    if (position === null) this.position = at + bytesRead;
    return { bytesRead, buffer };
  }

  /** Writes all of `data` (a string as UTF-8) at `position` (or the handle's); `signal` gives up on what is still in flight. */
  async write(data: Uint8Array | string, position: number | null = null, signal?: NinePCancelSignal): Promise<{ bytesWritten: number }> {
    this.check("write");
    const bytes = typeof data === "string" ? ENCODER.encode(data) : data;
    const at = position ?? this.position;
    await this.run("write", () => writeAll(this.client, this.fid, bytes, at, this.path, signal));
    if (position === null) this.position = at + bytes.length;
    return { bytesWritten: bytes.length };
  }

  async stat(): Promise<FileStats> {
    this.check("fstat");
    return new FileStats(await this.run("fstat", () => this.client.getattr(this.fid, GetattrMask.Basic)));
  }

  async truncate(length = 0): Promise<void> {
    this.check("ftruncate");
    await this.run("ftruncate", () => this.client.setattr(this.fid, { size: length }));
  }

  /** Asks the host to make what was written durable. */
  async sync(): Promise<void> {
    this.check("fsync");
    await this.run("fsync", () => this.client.fsync(this.fid));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.run("close", () => this.client.clunk(this.fid));
  }

  private check(syscall: string): void {
    if (this.closed) throw new FsError("EBADF", syscall, this.path, "the file handle is closed");
  }

  private async run<T>(syscall: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw asFsError(error, syscall, this.path);
    }
  }
}
