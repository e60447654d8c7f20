/**
 * The Node-like globals the kernel start-up installs for guest code, which is compiled against
 * the ES2020 library only. Implementations: kernel/console, kernel/event-loop.ts, kernel/text-encoding.ts,
 * kernel/web/.
 */

interface Console {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  debug(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  dir(value: unknown): void;
  assert(condition?: unknown, ...data: unknown[]): void;
  count(label?: string): void;
  countReset(label?: string): void;
  group(...label: unknown[]): void;
  groupEnd(): void;
  time(label?: string): void;
  timeLog(label?: string, ...data: unknown[]): void;
  timeEnd(label?: string): void;
}
declare var console: Console;

interface TimerHandle {
  ref(): this;
  unref(): this;
  hasRef(): boolean;
  refresh(): this;
}
interface ImmediateHandle {}
declare function setTimeout<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): TimerHandle;
declare function setInterval<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): TimerHandle;
declare function clearTimeout(timer: TimerHandle | null | undefined): void;
declare function clearInterval(timer: TimerHandle | null | undefined): void;
declare function setImmediate<A extends unknown[]>(callback: (...args: A) => void, ...args: A): ImmediateHandle;
declare function clearImmediate(immediate: ImmediateHandle | null | undefined): void;
declare function queueMicrotask(callback: () => void): void;

interface TextEncoderEncodeIntoResult {
  read: number;
  written: number;
}
interface TextEncoder {
  readonly encoding: "utf-8";
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): TextEncoderEncodeIntoResult;
}
declare var TextEncoder: { prototype: TextEncoder; new (): TextEncoder };

interface TextDecoderOptions {
  fatal?: boolean;
  ignoreBOM?: boolean;
}
interface TextDecodeOptions {
  stream?: boolean;
}
interface TextDecoder {
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBuffer | ArrayBufferView, options?: TextDecodeOptions): string;
}
declare var TextDecoder: { prototype: TextDecoder; new (label?: string, options?: TextDecoderOptions): TextDecoder };

interface Performance {
  /** Milliseconds since kernel entry, from the monotonic clock. */
  now(): number;
  /** Wall-clock milliseconds at start-up. */
  readonly timeOrigin: number;
}
declare var performance: Performance;

type AbortSignal = import("../kernel/web/abort").AbortSignal;
declare var AbortSignal: typeof import("../kernel/web/abort").AbortSignal;
type AbortController = import("../kernel/web/abort").AbortController;
declare var AbortController: typeof import("../kernel/web/abort").AbortController;
declare function structuredClone<T>(value: T): T;

/** Present once a virtio-rng device is up (runtime/devices.ts). */
interface Crypto {
  getRandomValues<T extends ArrayBufferView>(array: T): T;
  /** A random version 4 UUID. */
  randomUUID(): string;
}
declare var crypto: Crypto | undefined;
