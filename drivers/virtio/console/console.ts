import type { VirtioDevice } from "../device";
import { VirtioUsageError, type VirtioError, type VirtioRingBrokenError } from "../errors";
import type { VirtioInterruptMode } from "../interrupts";
import type { Virtqueue } from "../ring/virtqueue";
import { readConsoleConfig, readConsoleSize } from "./config";
import { CONSOLE_CONFIG, ConsoleFeature, ConsoleQueue, ControlEvent, ControlValue, receiveQueueOf, transmitQueueOf } from "./constants";
import { ControlMessageView, decodeControl } from "./control-message";
import { ControlReceiver, ControlSender } from "./control-queues";
import { ConsoleControlError } from "./errors";
import { DEFAULT_CONSOLE_LIMITS, type ConsoleLimits } from "./limits";
import { ConsolePort, type PortControl } from "./port";
import { PortChannel } from "./port-channel";

/** A kernel/event-loop source, as far as the driver uses it. */
export interface ConsoleLoopSource {
  wake(): void;
  ref(): unknown;
  unref(): unknown;
  close(): void;
}

/** The part of the event loop the driver needs: a wake source for interrupts, a poller otherwise. */
export interface ConsoleLoop {
  addPoller(poll: () => void): ConsoleLoopSource;
  addWakeSource(onWake: () => void): ConsoleLoopSource;
}

export interface VirtioConsoleOptions {
  /** Runs the driver (interrupts wake it, or it polls). Without a loop whoever holds the console calls `poll()`. */
  readonly loop?: ConsoleLoop;
  /** Take the device's interrupts when it has any (default true). */
  readonly interrupts?: boolean;
  readonly limits?: Partial<ConsoleLimits>;
  /** Polled devices: at most one configuration check per interval. */
  readonly configPollIntervalNs?: number;
}

export interface ConsoleCounters {
  /** Control messages taken from the device, and those refused as malformed. */
  controlMessages: number;
  controlErrors: number;
  /** Messages to the device that found the backlog full (the port's state may then be out of step). */
  controlDropped: number;
  /** DEVICE_ADD for a port beyond what the driver serves (answered PORT_READY 0). */
  portsRefused: number;
}

const CONFIG_POLL_INTERVAL_NS = 10_000_000;

/**
 * A virtio-console device: port 0 alone, or with MULTIPORT the ports the device adds and removes
 * through the control queues. Every queue pair a port number could use is created at attach (queues
 * cannot be added after DRIVER_OK); a port's buffers are allocated when the device first adds it.
 * The device's interrupts wake one loop source, unreferenced unless a user `hold()`s the console,
 * so a console nobody waits on does not keep the machine running. A broken ring or a detach
 * removes every port of this instance for good; `onBroken` is told of a broken ring, and `reset()`
 * brings a new instance, to which the device adds its ports again.
 */
export class VirtioConsole implements PortControl {
  readonly multiport: boolean;
  /** max_nr_ports (1 without MULTIPORT). */
  readonly maxPorts: number;
  /** Port numbers the driver serves: below min(max_nr_ports, limits.maxPorts). */
  readonly portLimit: number;
  readonly emergencyWriteAvailable: boolean;
  readonly interruptMode: VirtioInterruptMode;
  readonly counters: ConsoleCounters = { controlMessages: 0, controlErrors: 0, controlDropped: 0, portsRefused: 0 };
  lastControlError: VirtioError | undefined;
  /** Called (from the poll) after a port was added, named, nominated console, or removed. */
  onPortsChanged: (() => void) | undefined;
  /** Told once, possibly from inside the poll, when a queue broke (every port is gone by then). */
  onBroken: ((error: VirtioRingBrokenError) => void) | undefined;
  private readonly device: VirtioDevice;
  private readonly limits: ConsoleLimits;
  private readonly queues: (Virtqueue<number> | undefined)[] = [];
  private readonly channels: (PortChannel | undefined)[] = [];
  /** Live ports, in the order they were added (an array so the poll allocates nothing). */
  private readonly live: ConsolePort[] = [];
  private readonly receiver: ControlReceiver | undefined;
  private readonly sender: ControlSender | undefined;
  private readonly message = new ControlMessageView();
  private readonly source: ConsoleLoopSource | undefined;
  private readonly configPollIntervalNs: number;
  /** With SIZE, port 0's size from the configuration (0 x 0 without it). */
  private readonly initialSize: { readonly cols: number; readonly rows: number };
  private holds = 0;
  private stopped = false;
  /** Control messages this poll may still take (the drain re-checks the ring: a device can keep refilling it). */
  private controlBudget = 0;

  /** Reads the configuration, binds interrupts and creates every queue; `start` after DRIVER_OK. */
  constructor(device: VirtioDevice, options: VirtioConsoleOptions = {}) {
    this.device = device;
    this.limits = { ...DEFAULT_CONSOLE_LIMITS, ...options.limits };
    const config = readConsoleConfig(device);
    this.multiport = device.has(ConsoleFeature.Multiport);
    this.maxPorts = config.maxPorts;
    this.portLimit = Math.min(config.maxPorts, this.limits.maxPorts);
    this.emergencyWriteAvailable = device.has(ConsoleFeature.EmergWrite);
    this.configPollIntervalNs = options.configPollIntervalNs ?? CONFIG_POLL_INTERVAL_NS;
    const indices: number[] = [];
    for (let port = 0; port < this.portLimit; port++) {
      indices.push(receiveQueueOf(port), transmitQueueOf(port));
      if (port === 0 && this.multiport) indices.push(ConsoleQueue.ControlReceive, ConsoleQueue.ControlTransmit);
    }
    const loop = options.loop;
    this.interruptMode =
      options.interrupts === false || loop === undefined ? "polling" : device.bindInterrupts({ queues: indices, onQueue: () => this.source?.wake() });
    if (loop !== undefined) {
      this.source = this.interruptMode === "polling" ? loop.addPoller(this.pollNow) : loop.addWakeSource(this.pollNow);
      this.source.unref();
    }
    const limits = this.limits;
    const dataSize = ringSizeFor(Math.max(limits.rxBuffers, limits.txBuffers));
    const controlSize = ringSizeFor(Math.max(limits.controlBuffers, limits.controlSlots));
    for (const index of indices) {
      const control = index === ConsoleQueue.ControlReceive || index === ConsoleQueue.ControlTransmit;
      this.queues[index] = device.createQueue<number>(index, { maxSize: control ? controlSize : dataSize });
    }
    if (this.multiport) {
      this.receiver = new ControlReceiver(device.platform, this.queueAt(ConsoleQueue.ControlReceive), limits.controlBuffers);
      this.sender = new ControlSender(device.platform, this.queueAt(ConsoleQueue.ControlTransmit), limits.controlSlots, limits.controlBacklog);
    }
    this.initialSize = { cols: config.cols, rows: config.rows };
  }

  get name(): string {
    return this.device.name;
  }

  /** Live ports, in the order the device added them. */
  get ports(): readonly ConsolePort[] {
    return this.live;
  }

  /** Whether the driver stopped (a broken ring or a detach): no port will come back. */
  get isStopped(): boolean {
    return this.stopped;
  }

  port(id: number): ConsolePort | undefined {
    return this.live.find((p) => p.id === id);
  }

  /** The live port the device named `name`. */
  findPort(name: string): ConsolePort | undefined {
    return this.live.find((p) => p.name === name);
  }

  /** The first live console port (CONSOLE_PORT, or port 0 of a single-port device). */
  get consolePort(): ConsolePort | undefined {
    return this.live.find((p) => p.isConsole);
  }

  /** After DRIVER_OK: a single port comes up at once; with MULTIPORT the device is told the driver is ready. */
  start(): void {
    if (this.receiver === undefined) {
      const port = this.addPort(0);
      port.isConsole = true;
      port.cols = this.initialSize.cols;
      port.rows = this.initialSize.rows;
      return;
    }
    this.receiver.start();
    this.sendControl(0, ControlEvent.DeviceReady, ControlValue.Success);
    this.sender?.flush();
  }

  /** Keeps the machine running while held (a user waits for a port or its bytes). */
  hold(): void {
    if (this.holds++ === 0) this.source?.ref();
  }

  release(): void {
    if (this.holds === 0) return;
    if (--this.holds === 0) this.source?.unref();
  }

  /** Runs the poll on the next loop turn (after writes, so the loop notices the device). */
  wake(): void {
    this.source?.wake();
  }

  /**
   * One turn: control messages from the device, each port's received bytes and used transmit
   * buffers (its callbacks run), messages to the device, and when polled a configuration check.
   */
  poll(): void {
    if (this.stopped) return;
    const receiver = this.receiver;
    if (receiver !== undefined) {
      this.controlBudget = this.limits.budget;
      receiver.queue.drain(this.takeControl);
      // Stopped on the budget: the interrupt for what is left was spent, so come back next turn.
      if (this.controlBudget === 0 && receiver.queue.hasCompletions()) this.source?.wake();
    }
    const live = this.live;
    for (let i = 0; i < live.length && !this.stopped; i++) {
      const port = live[i];
      const channel = this.channels[port.id] as PortChannel;
      if (channel.receive() > 0 && channel.readable > 0) port.onReadable?.();
      if (channel.receivePending) this.source?.wake();
      if (channel.reclaim() > 0) port.onWritable?.();
    }
    if (this.stopped) return;
    this.sender?.flush();
    this.device.checkConfig(this.configPollIntervalNs);
  }

  /**
   * Writes bytes through emerg_wr, one register write each: no queue involved, so it works when
   * the rings are broken. False when the device does not offer EMERG_WRITE.
   */
  emergencyWrite(bytes: Uint8Array): boolean {
    if (!this.emergencyWriteAvailable) return false;
    for (let i = 0; i < bytes.length; i++) this.device.transport.writeConfig(CONSOLE_CONFIG.emerg_wr, bytes[i]);
    return true;
  }

  /** A configuration change: with SIZE, port 0's new size. */
  configChanged(): void {
    if (this.stopped || !this.device.has(ConsoleFeature.Size)) return;
    const size = readConsoleSize(this.device);
    const port = this.port(0);
    if (port !== undefined) this.resize(port, size.cols, size.rows);
  }

  ringBroken(error: VirtioRingBrokenError): void {
    this.stop();
    this.onBroken?.(error);
  }

  /**
   * Resets the device and brings it up again under the same driver (`VirtioDevice.recover`): queues
   * and buffers are made anew and the device adds its ports again. Returns the new instance; this
   * one stays stopped and calls no hook.
   */
  reset(): VirtioConsole {
    const device = this.device;
    if (device.instance !== this) throw new VirtioUsageError(device.name, "reset", "this driver instance no longer serves the device");
    this.onBroken = undefined;
    this.onPortsChanged = undefined;
    if (!device.recover()) throw device.error ?? new VirtioUsageError(device.name, "reset", `device is ${device.state}`);
    if (!(device.instance instanceof VirtioConsole)) throw new VirtioUsageError(device.name, "reset", "device came back without a virtio-console driver");
    return device.instance;
  }

  detach(): void {
    this.stop();
  }

  /** PortControl: queues a message for the device (flushed at the end of the poll, or now outside it). */
  sendControl(id: number, event: number, value: number): void {
    const sender = this.sender;
    if (sender === undefined || this.stopped) return;
    if (!sender.send(id, event, value)) {
      this.counters.controlDropped++;
      return;
    }
    this.source?.wake();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.source?.close();
    const ports = this.live.splice(0, this.live.length);
    for (const port of ports) this.removed(port);
    if (ports.length > 0) this.onPortsChanged?.();
  }

  private readonly pollNow = (): void => this.poll();

  private readonly takeControl = (): number => {
    const taken = this.receiver?.take(this.onControl, this.controlBudget) ?? 0;
    this.controlBudget -= taken;
    return taken;
  };

  private readonly onControl = (bytes: Uint8Array, length: number): void => {
    this.counters.controlMessages++;
    try {
      this.handleControl(decodeControl(this.device.name, bytes, length, this.maxPorts, this.message));
    } catch (error) {
      if (!(error instanceof ConsoleControlError)) throw error;
      this.counters.controlErrors++;
      this.lastControlError = error;
    }
  };

  private handleControl(message: ControlMessageView): void {
    const id = message.id;
    if (message.event === ControlEvent.DeviceAdd) {
      if (this.port(id) !== undefined) throw this.protocolError("port-exists", `DEVICE_ADD for port ${id}, which exists`);
      if (id >= this.portLimit) {
        this.counters.portsRefused++;
        this.sendControl(id, ControlEvent.PortReady, ControlValue.Failure);
        return;
      }
      this.addPort(id);
      this.sendControl(id, ControlEvent.PortReady, ControlValue.Success);
      this.onPortsChanged?.();
      return;
    }
    const port = this.port(id);
    if (port === undefined) throw this.protocolError("port-unknown", `event ${message.event} for port ${id}, which was not added`);
    switch (message.event) {
      case ControlEvent.DeviceRemove:
        this.live.splice(this.live.indexOf(port), 1);
        this.removed(port);
        this.onPortsChanged?.();
        return;
      case ControlEvent.ConsolePort:
        port.isConsole = true;
        // A console port is opened at once (section 5.3.6.2.2: the driver MUST answer PORT_OPEN 1).
        if (!port.guestOpen) port.open();
        this.onPortsChanged?.();
        return;
      case ControlEvent.Resize:
        this.resize(port, message.cols, message.rows);
        return;
      case ControlEvent.PortOpen: {
        const connected = message.value === ControlValue.Open;
        if (port.hostConnected === connected) return;
        port.hostConnected = connected;
        port.onHostConnected?.(connected);
        return;
      }
      case ControlEvent.PortName:
        if (port.name !== undefined) throw this.protocolError("port-name", `port ${id} is already named "${port.name}"`);
        port.name = message.name;
        this.onPortsChanged?.();
        return;
    }
  }

  private addPort(id: number): ConsolePort {
    let channel = this.channels[id];
    if (channel === undefined) {
      const limits = this.limits;
      channel = new PortChannel(this.device.platform, this.queueAt(receiveQueueOf(id)), this.queueAt(transmitQueueOf(id)), limits);
      this.channels[id] = channel;
    }
    channel.start();
    const port = new ConsolePort(this.device.name, id, channel, this.multiport ? this : undefined);
    this.live.push(port);
    return port;
  }

  private removed(port: ConsolePort): void {
    port.removed = true;
    port.hostConnected = false;
    port.guestOpen = false;
    this.channels[port.id]?.discard();
    port.onRemoved?.();
  }

  private resize(port: ConsolePort, cols: number, rows: number): void {
    if (port.cols === cols && port.rows === rows) return;
    port.cols = cols;
    port.rows = rows;
    port.onResize?.();
  }

  private queueAt(index: number): Virtqueue<number> {
    const queue = this.queues[index];
    if (queue === undefined) throw new VirtioUsageError(this.device.name, "queue", `queue ${index} was not created`);
    return queue;
  }

  private protocolError(code: string, detail: string): ConsoleControlError {
    return new ConsoleControlError(this.device.name, code, detail);
  }
}

/** The smallest power of two holding `buffers` (ring sizes are powers of two). */
function ringSizeFor(buffers: number): number {
  let size = 1;
  while (size < buffers) size *= 2;
  return size;
}
