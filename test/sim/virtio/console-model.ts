import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { PARK, VirtioDeviceModel } from "./device-model";
import type { RequestResult, RingOffer } from "./device-model";
import type { SimRequest } from "./request";
import {
  VIRTIO_CONSOLE_CONTROL_SIZE,
  VIRTIO_CONSOLE_EVENT,
  VIRTIO_CONSOLE_F,
  VIRTIO_CONSOLE_QUEUE,
  virtio_console_config,
  virtio_console_control,
  virtio_console_resize,
} from "./spec/console";
import { VIRTIO_DEVICE_ID } from "./spec/device-ids";
import { featureMask } from "./spec/feature-bits";
import { tableSize } from "./spec/field";

export interface ConsoleModelPort {
  readonly id: number;
  readonly name?: string;
  /** Nominated a console port (CONSOLE_PORT) once the driver says it is ready. */
  readonly console?: boolean;
  /** The host side has the port open from the start. */
  readonly hostConnected?: boolean;
}

export interface ConsoleModelOptions {
  /** Offer MULTIPORT (default true). */
  readonly multiport?: boolean;
  /** max_nr_ports (default 4). */
  readonly maxPorts?: number;
  /** Offer SIZE with this console size. */
  readonly size?: { readonly cols: number; readonly rows: number };
  readonly emergWrite?: boolean;
  /** Ports present when the driver sends DEVICE_READY. */
  readonly ports?: readonly ConsoleModelPort[];
  readonly queueSize?: number;
  /** Messages to the driver with no control receive buffer posted are dropped (QEMU does) instead of kept. */
  readonly dropControlWithoutBuffer?: boolean;
}

/** The host side of one port, as the model tracks it. */
export class ModelPort {
  /** The driver answered DEVICE_ADD with PORT_READY (value: success). */
  ready = false;
  readyValue = -1;
  /** PORT_OPEN from the driver. */
  guestOpen = false;
  hostConnected: boolean;
  /** CONSOLE_PORT was sent and PORT_OPEN 1 not received since. */
  consoleOpenOwed = false;
  /** What the driver sent on the port's transmitq, one chunk per buffer. */
  readonly received: Uint8Array[] = [];
  /** Bytes for the driver, waiting for receive buffers (the first chunk from `pendingOffset`). */
  readonly pendingIn: Uint8Array[] = [];
  pendingOffset = 0;

  constructor(readonly spec: ConsoleModelPort) {
    this.hostConnected = spec.hostConnected ?? false;
  }

  /** Everything the driver sent, in order. */
  get receivedBytes(): Uint8Array {
    const out = new Uint8Array(this.received.reduce((sum, chunk) => sum + chunk.length, 0));
    let at = 0;
    for (const chunk of this.received) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  get pendingBytes(): number {
    return this.pendingIn.reduce((sum, chunk) => sum + chunk.length, 0) - this.pendingOffset;
  }

  /** Takes up to `max` pending bytes. */
  takePending(max: number): Uint8Array {
    const out = new Uint8Array(Math.min(max, this.pendingBytes));
    let at = 0;
    while (at < out.length) {
      const chunk = this.pendingIn[0];
      const n = Math.min(chunk.length - this.pendingOffset, out.length - at);
      out.set(chunk.subarray(this.pendingOffset, this.pendingOffset + n), at);
      at += n;
      this.pendingOffset += n;
      if (this.pendingOffset === chunk.length) {
        this.pendingIn.shift();
        this.pendingOffset = 0;
      }
    }
    return out;
  }
}

/**
 * virtio-console (section 5.3): port 0 alone, or with MULTIPORT the control protocol. The test is
 * the host: it adds, removes, connects and writes to ports; the model delivers into the posted
 * receive buffers of ports the driver has open, records what the driver transmits, and reports what
 * the driver must not do: device-readable receive buffers or device-writable transmit buffers,
 * malformed or out-of-order control messages (PORT_READY before DEVICE_READY or for a port not
 * added, PORT_OPEN for a port not ready), transmitting on a port not added, a CONSOLE_PORT left
 * without PORT_OPEN 1 (`checkConsoleOpens`).
 */
export class ConsoleModel extends VirtioDeviceModel {
  readonly deviceType = VIRTIO_DEVICE_ID.console;
  readonly ports = new Map<number, ModelPort>();
  /** Bytes written to emerg_wr (the low byte of each write). */
  readonly emergencyBytes: number[] = [];
  /** Control messages from the driver, decoded. */
  readonly fromDriver: { id: number; event: number; value: number }[] = [];
  deviceReady = false;
  controlDropped = 0;
  private readonly maxPorts: number;
  private readonly initialPorts: readonly ConsoleModelPort[];
  private readonly dropControl: boolean;
  private pendingControl: Uint8Array[] = [];

  constructor(memory: SimMemory, violations: ViolationLog, options: ConsoleModelOptions = {}, ring: RingOffer = {}) {
    const multiport = options.multiport ?? true;
    const maxPorts = multiport ? (options.maxPorts ?? 4) : 1;
    const bits: number[] = [];
    if (multiport) bits.push(VIRTIO_CONSOLE_F.MULTIPORT);
    if (options.size) bits.push(VIRTIO_CONSOLE_F.SIZE);
    if (options.emergWrite) bits.push(VIRTIO_CONSOLE_F.EMERG_WRITE);
    const queues = multiport ? 4 + 2 * (maxPorts - 1) : 2;
    const size = options.queueSize ?? 64;
    super({
      memory,
      violations,
      queueSizes: new Array<number>(queues).fill(size),
      features: featureMask(bits),
      configLayout: virtio_console_config,
      configSize: tableSize(virtio_console_config),
      ...ring,
    });
    this.maxPorts = maxPorts;
    this.initialPorts = options.ports ?? (multiport ? [] : [{ id: 0, hostConnected: true }]);
    this.dropControl = options.dropControlWithoutBuffer ?? false;
    const view = new DataView(this.config.buffer);
    view.setUint16(virtio_console_config.cols.offset, options.size?.cols ?? 0, true);
    view.setUint16(virtio_console_config.rows.offset, options.size?.rows ?? 0, true);
    view.setUint32(virtio_console_config.max_nr_ports.offset, multiport ? maxPorts : 0, true);
    this.onReset();
  }

  get multiportNegotiated(): boolean {
    return this.negotiated(VIRTIO_CONSOLE_F.MULTIPORT);
  }

  /** Control receive buffers the driver has posted and the model holds. */
  get postedControlBuffers(): number {
    return this.queue(VIRTIO_CONSOLE_QUEUE.control_receiveq)?.parked.length ?? 0;
  }

  /** Receive buffers posted for port `id`. */
  postedReceiveBuffers(id: number): number {
    return this.queue(receiveq(id))?.parked.length ?? 0;
  }

  /** Hot-plug: the port exists from now on and the driver is told (once it said DEVICE_READY). */
  addPort(spec: ConsoleModelPort): void {
    if (this.ports.has(spec.id)) throw new Error(`port ${spec.id} exists`);
    this.ports.set(spec.id, new ModelPort(spec));
    if (this.deviceReady) this.sendEvent(spec.id, VIRTIO_CONSOLE_EVENT.DEVICE_ADD, 1);
  }

  /** Hot-unplug: what the driver sent and the device did not use is discarded. */
  removePort(id: number): void {
    if (!this.ports.delete(id)) throw new Error(`no port ${id}`);
    this.sendEvent(id, VIRTIO_CONSOLE_EVENT.DEVICE_REMOVE, 1);
  }

  /** The host side opens or closes the port (PORT_OPEN to the driver once the port is ready). */
  setHostConnected(id: number, connected: boolean): void {
    const port = this.requirePort(id);
    port.hostConnected = connected;
    if (port.ready) this.sendEvent(id, VIRTIO_CONSOLE_EVENT.PORT_OPEN, connected ? 1 : 0);
  }

  /** RESIZE for port `id` (MULTIPORT). */
  resize(id: number, cols: number, rows: number): void {
    const payload = new Uint8Array(4);
    const view = new DataView(payload.buffer);
    view.setUint16(virtio_console_resize.cols.offset, cols, true);
    view.setUint16(virtio_console_resize.rows.offset, rows, true);
    this.sendControl(controlMessage(id, VIRTIO_CONSOLE_EVENT.RESIZE, 0, payload));
  }

  /** SIZE: a new size in the configuration, with a configuration change notification. */
  resizeConfig(cols: number, rows: number): void {
    this.changeConfig((view) => {
      view.setUint16(virtio_console_config.cols.offset, cols, true);
      view.setUint16(virtio_console_config.rows.offset, rows, true);
    });
  }

  /** Bytes from the host for port `id`: delivered into receive buffers now and as they are posted. */
  hostWrite(id: number, bytes: Uint8Array): void {
    const port = this.requirePort(id);
    port.pendingIn.push(bytes.slice());
    this.deliver(id);
  }

  /** Any bytes as a control message to the driver (malformed ones included). */
  sendControl(message: Uint8Array): void {
    this.pendingControl.push(message);
    this.flushControl();
  }

  sendEvent(id: number, event: number, value: number): void {
    this.sendControl(controlMessage(id, event, value));
  }

  /** Reports every CONSOLE_PORT the driver left without PORT_OPEN 1. */
  checkConsoleOpens(): void {
    for (const [id, port] of this.ports) if (port.consoleOpenOwed) this.report(`CONSOLE_PORT for port ${id} not answered with PORT_OPEN 1`);
  }

  protected override onReset(): void {
    this.deviceReady = false;
    this.pendingControl = [];
    this.ports.clear();
    for (const spec of this.initialPorts) this.ports.set(spec.id, new ModelPort(spec));
  }

  protected override writeDeviceConfig(offset: number, width: number, value: number): boolean {
    if (offset !== virtio_console_config.emerg_wr.offset || width !== virtio_console_config.emerg_wr.width) return false;
    this.emergencyBytes.push(value & 0xff);
    return true;
  }

  protected handleRequest(request: SimRequest): RequestResult {
    const queue = request.queue;
    if (this.multiportNegotiated && queue === VIRTIO_CONSOLE_QUEUE.control_receiveq) {
      if (request.readableLength > 0) this.report("control receiveq buffer with a device-readable part");
      return PARK;
    }
    if (this.multiportNegotiated && queue === VIRTIO_CONSOLE_QUEUE.control_transmitq) {
      if (request.writableLength > 0) this.report("control transmitq buffer with a device-writable part");
      this.driverControl(request.read());
      return 0;
    }
    const id = portOfQueue(queue, this.multiportNegotiated);
    if (id === undefined || id >= this.maxPorts) {
      this.report(`request on queue ${queue}, which no port has`);
      return 0;
    }
    if (queue === receiveq(id)) {
      if (request.readableLength > 0) this.report(`receiveq of port ${id}: buffer with a device-readable part`);
      return PARK;
    }
    if (request.writableLength > 0) this.report(`transmitq of port ${id}: buffer with a device-writable part`);
    const port = this.ports.get(id);
    if (port === undefined || (this.multiportNegotiated && !port.ready)) {
      this.report(`transmitq of port ${id}, which the device has not added or the driver not readied`);
      return 0;
    }
    port.received.push(request.read());
    return 0;
  }

  /** A receive buffer is parked once handleRequest returned: what waits for one goes into it then. */
  protected override dispatch(request: SimRequest): void {
    super.dispatch(request);
    const queue = request.queue;
    if (this.multiportNegotiated && queue === VIRTIO_CONSOLE_QUEUE.control_receiveq) this.flushControl();
    const id = portOfQueue(queue, this.multiportNegotiated);
    if (id !== undefined && queue === receiveq(id)) this.deliver(id);
  }

  private driverControl(bytes: Uint8Array): void {
    if (bytes.length !== VIRTIO_CONSOLE_CONTROL_SIZE) {
      this.report(`control message of ${bytes.length} bytes from the driver`);
      if (bytes.length < VIRTIO_CONSOLE_CONTROL_SIZE) return;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const id = view.getUint32(virtio_console_control.id.offset, true);
    const event = view.getUint16(virtio_console_control.event.offset, true);
    const value = view.getUint16(virtio_console_control.value.offset, true);
    this.fromDriver.push({ id, event, value });
    const E = VIRTIO_CONSOLE_EVENT;
    if (value > 1) this.report(`control event ${event} with value ${value}`);
    if (event === E.DEVICE_READY) {
      if (this.deviceReady) this.report("DEVICE_READY sent twice");
      if (value !== 1) return;
      this.deviceReady = true;
      for (const portId of this.ports.keys()) this.sendEvent(portId, E.DEVICE_ADD, 1);
      return;
    }
    if (!this.deviceReady) this.report(`control event ${event} before DEVICE_READY`);
    const port = this.ports.get(id);
    if (event === E.PORT_READY) {
      if (port === undefined) return this.report(`PORT_READY for port ${id}, which was not added`);
      if (port.ready) return this.report(`PORT_READY twice for port ${id}`);
      port.readyValue = value;
      if (value !== 1) return;
      port.ready = true;
      if (port.spec.console) {
        port.consoleOpenOwed = true;
        this.sendEvent(id, E.CONSOLE_PORT, 1);
      }
      if (port.spec.name !== undefined) this.sendControl(controlMessage(id, E.PORT_NAME, 1, new TextEncoder().encode(port.spec.name)));
      if (port.hostConnected) this.sendEvent(id, E.PORT_OPEN, 1);
      return;
    }
    if (event === E.PORT_OPEN) {
      if (port === undefined || !port.ready) return this.report(`PORT_OPEN for port ${id}, which is not ready`);
      port.guestOpen = value === 1;
      if (port.guestOpen) port.consoleOpenOwed = false;
      this.deliver(id);
      return;
    }
    this.report(`control event ${event} is not one the driver sends`);
  }

  private flushControl(): void {
    const queue = this.queue(VIRTIO_CONSOLE_QUEUE.control_receiveq);
    while (this.pendingControl.length > 0) {
      const request = queue?.parked.shift();
      if (request === undefined) {
        if (this.dropControl) {
          this.controlDropped += this.pendingControl.length;
          this.pendingControl = [];
        }
        return;
      }
      const message = this.pendingControl.shift() as Uint8Array;
      if (request.writableLength < message.length) this.report(`control receive buffer of ${request.writableLength} bytes for a ${message.length}-byte message`);
      this.complete(request, request.write(message));
    }
  }

  /** Fills posted receive buffers of port `id` with pending host bytes, if the driver has the port open. */
  private deliver(id: number): void {
    const port = this.ports.get(id);
    const queue = this.queue(receiveq(id));
    if (port === undefined || queue === undefined || !this.driverOk) return;
    if (this.multiportNegotiated && !port.guestOpen) return;
    while (port.pendingIn.length > 0) {
      const request = queue.parked.shift();
      if (request === undefined) return;
      this.complete(request, request.write(port.takePending(request.writableLength)));
    }
  }

  private requirePort(id: number): ModelPort {
    const port = this.ports.get(id);
    if (port === undefined) throw new Error(`no port ${id}`);
    return port;
  }
}

function receiveq(id: number): number {
  return id === 0 ? VIRTIO_CONSOLE_QUEUE.receiveq_port0 : VIRTIO_CONSOLE_QUEUE.receiveq_port1 + 2 * (id - 1);
}

function portOfQueue(queue: number, multiport: boolean): number | undefined {
  if (queue < 2) return 0;
  if (!multiport || queue < VIRTIO_CONSOLE_QUEUE.receiveq_port1) return undefined;
  return 1 + Math.floor((queue - VIRTIO_CONSOLE_QUEUE.receiveq_port1) / 2);
}

function controlMessage(id: number, event: number, value: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const bytes = new Uint8Array(VIRTIO_CONSOLE_CONTROL_SIZE + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(virtio_console_control.id.offset, id, true);
  view.setUint16(virtio_console_control.event.offset, event, true);
  view.setUint16(virtio_console_control.value.offset, value, true);
  bytes.set(payload, VIRTIO_CONSOLE_CONTROL_SIZE);
  return bytes;
}
