/**
 * The kernel console mirrored to a virtio-console port: `console.mirror=virtconsole` (the first
 * port the device nominates as a console) or `console.mirror=<port name>` on the command line;
 * with `console.serial=off` the serial port stops carrying console text once the mirror runs (the
 * UART is slow under emulation). Console output never waits for the port: text goes through a
 * bounded buffer, and what does not fit is dropped and counted.
 */
import type { ConsolePort } from "../../drivers/virtio/console/port";
import type { CommandLine } from "../../kernel/command-line";
import type { ConsoleOutput } from "../../kernel/console/output";
import { watchPort } from "./directory";

const MIRROR_KEY = "console.mirror";
const SERIAL_KEY = "console.serial";
/** The value naming "the console port", whatever its name. */
const ANY_CONSOLE = "virtconsole";
const SERIAL_OFF = "off";
const DEFAULT_CAPACITY = 64 * 1024;
/** UTF-16 units below this are one UTF-8 byte each. */
const ASCII_LIMIT = 0x80;

export class ConsoleMirror {
  /** Bytes dropped because the buffer was full. */
  dropped = 0;
  private readonly buffer: Uint8Array;
  /** Bytes [start, end) of the buffer wait for the port. */
  private start = 0;
  private end = 0;
  private flushQueued = false;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly port: ConsolePort,
    capacity = DEFAULT_CAPACITY,
  ) {
    this.buffer = new Uint8Array(capacity);
    port.onWritable = () => this.flush();
    port.open();
  }

  /** Bytes waiting for the port. */
  get pending(): number {
    return this.end - this.start;
  }

  /**
   * Appends the text and hands it to the port after the code running now (a burst of lines goes
   * out in few buffers and one notification); at once when the buffer is full.
   */
  readonly write = (text: string): void => {
    if (this.port.removed) return;
    let read = this.append(text);
    if (read < text.length) {
      this.flush();
      read += this.append(text.slice(read));
      if (read < text.length) this.dropped += this.encoder.encode(text.slice(read)).length;
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushNow);
    }
  };

  /**
   * Hands the device as much as its transmit buffers take. When none is free, the buffers the
   * device used since are taken back at once: a burst of console output runs without the event
   * loop turning, and a device that handles buffers as they are notified (QEMU under TCG) has
   * them back by then.
   */
  flush(): void {
    const port = this.port;
    while (this.end > this.start && !port.removed) {
      let taken = port.writeSome(this.buffer, this.start, this.end);
      if (taken === 0 && port.reclaim() > 0) taken = port.writeSome(this.buffer, this.start, this.end);
      if (taken === 0) return;
      this.start += taken;
    }
    if (this.start === this.end) this.start = this.end = 0;
  }

  private readonly flushNow = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  /** Encodes as much of `text` as fits after what waits; returns the UTF-16 units taken. */
  private append(text: string): number {
    const buffer = this.buffer;
    if (this.start > 0 && this.end + text.length > buffer.length) {
      buffer.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    // Console text is mostly ASCII: copied unit by unit here, the encoder takes over at the first other one.
    const room = Math.min(text.length, buffer.length - this.end);
    let ascii = 0;
    for (let code = 0; ascii < room && (code = text.charCodeAt(ascii)) < ASCII_LIMIT; ascii++) buffer[this.end + ascii] = code;
    this.end += ascii;
    if (ascii === text.length || ascii === room) return ascii;
    const { read, written } = this.encoder.encodeInto(ascii === 0 ? text : text.slice(ascii), buffer.subarray(this.end));
    this.end += written;
    return ascii + read;
  }
}

/** The mirror the command line asked for: resolves once it runs. */
let requested: Promise<ConsoleMirror> | undefined;

/** The mirror `console.mirror=` asked for, once it runs; undefined when none was asked for. */
export function consoleMirror(): Promise<ConsoleMirror> | undefined {
  return requested;
}

/**
 * Starts the mirror the command line asks for once its port is there (`consoleMirror()` tells
 * when); returns whether one was asked for.
 */
export function mirrorConsoleFromCommandLine(commandLine: CommandLine, output: ConsoleOutput): boolean {
  const target = commandLine.get(MIRROR_KEY);
  if (target === undefined) return false;
  const serialOff = commandLine.get(SERIAL_KEY) === SERIAL_OFF;
  const match = target === ANY_CONSOLE ? (port: ConsolePort) => port.isConsole : (port: ConsolePort) => port.name === target;
  requested = new Promise((resolve) => {
    watchPort(match, (port) => {
      const mirror = new ConsoleMirror(port);
      const stop = output.addMirror(mirror.write);
      port.onRemoved = () => {
        stop();
        output.serial = true;
      };
      if (serialOff) output.serial = false;
      resolve(mirror);
    });
  });
  return true;
}
