import { ControlEvent, ControlValue } from "./constants";
import { ConsolePortError } from "./errors";
import type { PortChannel } from "./port-channel";

/** What a port asks of its device: to tell it the port was opened or closed on this side. */
export interface PortControl {
  sendControl(id: number, event: number, value: number): void;
}

/**
 * One port the device added (by DEVICE_ADD, or port 0 of a single-port device). Its bytes move
 * through its channel; what happens to it arrives through the `on...` callbacks, which run from
 * the device's poll. Once removed (DEVICE_REMOVE, or the device stopped) it stays removed: a port
 * added again under the same number is a new ConsolePort.
 */
export class ConsolePort {
  /** PORT_NAME; undefined until (unless) the device names the port. */
  name: string | undefined;
  /** The device nominated it as a console (CONSOLE_PORT); port 0 of a single-port device is one. */
  isConsole = false;
  /** The host side has the port open (PORT_OPEN from the device); always true without MULTIPORT. */
  hostConnected: boolean;
  /** This side has the port open (PORT_OPEN sent); always true without MULTIPORT. */
  guestOpen: boolean;
  removed = false;
  /** RESIZE (or the configuration's size, for port 0 with SIZE); 0 x 0 until told. */
  cols = 0;
  rows = 0;
  onReadable: (() => void) | undefined;
  onWritable: (() => void) | undefined;
  onHostConnected: ((connected: boolean) => void) | undefined;
  onResize: (() => void) | undefined;
  onRemoved: (() => void) | undefined;

  constructor(
    readonly deviceName: string,
    readonly id: number,
    private readonly channel: PortChannel,
    private readonly control: PortControl | undefined,
  ) {
    this.hostConnected = control === undefined;
    this.guestOpen = control === undefined;
  }

  /** Bytes received and not read yet. */
  get readable(): number {
    return this.removed ? 0 : this.channel.readable;
  }

  /** Bytes `writeSome` takes now. */
  get writable(): number {
    return this.removed ? 0 : this.channel.writable;
  }

  /** Transmit buffers the device has not used yet (0: everything written reached the device's side). */
  get inFlight(): number {
    return this.channel.txInFlight;
  }

  /** Copies received bytes into `target`; returns how many (0 when none are waiting). */
  readInto(target: Uint8Array): number {
    if (this.removed) return 0;
    return this.channel.readInto(target);
  }

  /**
   * Hands bytes[from, to) to the device as far as transmit buffers are free; returns how many it
   * took (the rest waits for `onWritable`). A device without the host side connected may discard them.
   */
  writeSome(bytes: Uint8Array, from = 0, to = bytes.length): number {
    if (this.removed) throw new ConsolePortError(this.deviceName, "port-removed", `port ${this.id} was removed`);
    return this.channel.writeSome(bytes, from, to);
  }

  /**
   * Takes back the transmit buffers the device has used, now rather than at the next poll (for a
   * writer that must not wait for the event loop, such as the console mirror); returns how many.
   */
  reclaim(): number {
    return this.removed ? 0 : this.channel.reclaim();
  }

  /** Tells the device this side opened the port (the host then sends to it); nothing without MULTIPORT. */
  open(): void {
    this.setGuestOpen(true);
  }

  /** Tells the device this side closed the port. */
  close(): void {
    this.setGuestOpen(false);
  }

  private setGuestOpen(open: boolean): void {
    if (this.removed) throw new ConsolePortError(this.deviceName, "port-removed", `port ${this.id} was removed`);
    if (this.control === undefined || this.guestOpen === open) return;
    this.guestOpen = open;
    this.control.sendControl(this.id, ControlEvent.PortOpen, open ? ControlValue.Open : ControlValue.Closed);
  }
}
