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

export class ConsoleMirror {
  /** Bytes dropped because the buffer was full. */
  dropped = 0;
  private readonly buffer: Uint8Array;
  private head = 0;
  private length = 0;
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
    return this.length;
  }

  readonly write = (text: string): void => {
    if (this.port.removed) return;
    const bytes = this.encoder.encode(text);
    const buffer = this.buffer;
    const room = buffer.length - this.length;
    const take = Math.min(room, bytes.length);
    this.dropped += bytes.length - take;
    for (let i = 0; i < take; i++) buffer[(this.head + this.length + i) % buffer.length] = bytes[i];
    this.length += take;
    this.flush();
  };

  /** Hands the device as much of the buffer as its transmit buffers take. */
  flush(): void {
    const buffer = this.buffer;
    while (this.length > 0 && !this.port.removed) {
      const end = Math.min(this.head + this.length, buffer.length);
      const taken = this.port.writeSome(buffer, this.head, end);
      if (taken === 0) return;
      this.head = (this.head + taken) % buffer.length;
      this.length -= taken;
    }
  }
}

/** Starts the mirror the command line asks for once its port is there; returns whether one was asked for. */
export function mirrorConsoleFromCommandLine(commandLine: CommandLine, output: ConsoleOutput, onStarted?: (mirror: ConsoleMirror) => void): boolean {
  const target = commandLine.get(MIRROR_KEY);
  if (target === undefined) return false;
  const serialOff = commandLine.get(SERIAL_KEY) === SERIAL_OFF;
  const match = target === ANY_CONSOLE ? (port: ConsolePort) => port.isConsole : (port: ConsolePort) => port.name === target;
  watchPort(match, (port) => {
    const mirror = new ConsoleMirror(port);
    const stop = output.addMirror(mirror.write);
    port.onRemoved = () => {
      stop();
      output.serial = true;
    };
    if (serialOff) output.serial = false;
    onStarted?.(mirror);
  });
  return true;
}
