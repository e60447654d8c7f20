// A host program's end of a QEMU chardev socket (`-chardev socket,path=...,server=on,wait=off`).
import { createConnection, type Socket } from "node:net";

const RETRY_MS = 100;

/** Connects to the unix socket at `path`, retrying while QEMU has not created it yet. */
export async function connectChardev(path: string, timeoutMs: number): Promise<ChardevClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return new ChardevClient(await connectOnce(path));
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

function connectOnce(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Everything received so far, and a way to wait until enough has arrived. */
export class ChardevClient {
  private chunks: Buffer[] = [];
  private length = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly socket: Socket) {
    socket.on("data", (data: Buffer) => {
      this.chunks.push(data);
      this.length += data.length;
      for (const wake of this.waiters) wake();
    });
    socket.on("error", () => {});
  }

  get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  write(data: Uint8Array | string): void {
    this.socket.write(data);
  }

  /** Resolves once at least `bytes` have arrived. */
  waitForBytes(bytes: number, timeoutMs: number): Promise<Buffer> {
    return this.waitUntil(() => this.length >= bytes, `${bytes} bytes (have ${this.length})`, timeoutMs);
  }

  /** Resolves once the bytes received include `text`. */
  waitForText(text: string, timeoutMs: number): Promise<Buffer> {
    return this.waitUntil(() => this.received.includes(text), JSON.stringify(text), timeoutMs);
  }

  close(): void {
    this.socket.end();
  }

  private waitUntil(done: () => boolean, what: string, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.received);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms; got ${this.length} bytes`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}
