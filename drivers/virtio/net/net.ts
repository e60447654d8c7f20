import { mathRandomFill } from "../../../kernel/random";
import type { ChecksumOffload, FrameHandler, NetLink } from "../../net-link";
import type { VirtioDevice } from "../device";
import { VirtioQueueError, VirtioUsageError, type VirtioRingBrokenError } from "../errors";
import { newInterruptStats, type VirtioInterruptMode, type VirtioInterruptStats } from "../interrupts";
import type { Virtqueue } from "../ring/virtqueue";
import { readLinkUp, readNetConfig, type RandomFill } from "./config";
import {
  CtrlClass,
  CtrlMacCommand,
  CtrlMqCommand,
  CtrlRxCommand,
  ETHERNET_HEADER_LENGTH,
  MAC_LENGTH,
  MAX_GSO_PACKET,
  NET_CONFIG,
  NetFeature,
  RX_QUEUE,
  TX_QUEUE,
  controlQueueIndex,
} from "./constants";
import { CONTROL_CHAIN_LENGTH, NetControl } from "./control";
import { VirtioNetCounters } from "./counters";
import { netLayout, type NetLayout } from "./layout";
import { NetReceiver } from "./rx";
import { NetTransmitter } from "./tx";

/** A kernel/event-loop wake source, as far as the driver uses it. */
export interface WakeSource {
  wake(): void;
  ref(): unknown;
  unref(): unknown;
}

/** The part of the event loop the driver needs: a wake source for interrupts, a poller otherwise. */
export interface NetLoop {
  addPoller(poll: () => void): { close(): void };
  addWakeSource(onWake: () => void): WakeSource;
}

export interface VirtioNetOptions {
  /**
   * Runs the driver: the interrupts' wake source, or (polling) the poller registered once a receive
   * handler is set. Without a loop the device is polled by whoever calls `poll()`.
   */
  readonly loop?: NetLoop;
  /** Take the device's interrupts when it has any (default true); false polls, for benchmarks. */
  readonly interrupts?: boolean;
  /** For the MAC when the device has none. */
  readonly random?: RandomFill;
  readonly rxBuffers?: number;
  /** Receive buffer size with MRG_RXBUF; without it each buffer holds a whole frame. */
  readonly rxBufferSize?: number;
  readonly txBuffers?: number;
  /** Transmit slots for frames the device segments (HOST_TSO4), 64 KiB each. */
  readonly segmentedTxBuffers?: number;
  readonly txBatch?: number;
  /** Receive buffers consumed per poll at most. */
  readonly rxBudget?: number;
  /** Polled devices: at most one configuration check per interval. */
  readonly configPollIntervalNs?: number;
  readonly controlTimeoutNs?: number;
}

const DEFAULTS = {
  rxBuffers: 256,
  rxBufferSize: 2048,
  txBuffers: 256,
  segmentedTxBuffers: 8,
  txBatch: 32,
  rxBudget: 64,
  configPollIntervalNs: 10_000_000,
  controlTimeoutNs: 1_000_000_000,
};
const RING_SIZE = 256;
const CONTROL_RING_SIZE = 16;
const UNICAST_MASK = 0x01;
const ONE_PAIR = [1, 0];

/**
 * A virtio-net device as a NetLink: one queue pair with the control queue (MAC, receive mode,
 * queue pairs) when the device has one. With interrupts, the rx and tx interrupts wake one loop
 * source, which is referenced while a receive handler is set (the stack keeps the machine alive
 * without keeping the CPU busy). Without them, an event-loop poller receives and asks the device
 * to look for configuration changes. Either way the VirtioDevice calls `configChanged` on a change,
 * and the link state is read again. A broken ring or a detach stops the link for good (it reads
 * down, sends nothing); the device's `recover()` brings a new instance.
 */
export class VirtioNet implements NetLink {
  readonly counters = new VirtioNetCounters();
  /** Updated in place when the address changes, so holders of this array see the new one. */
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly checksumOffload: boolean;
  /** With HOST_TSO4 the largest IPv4 packet handed over for segmentation, else 0. */
  readonly segmentationLimit: number;
  /** max_virtqueue_pairs (1 without MQ); one pair is used. */
  readonly maxPairs: number;
  readonly layout: NetLayout;
  /** "polling" without interrupts, without a loop, or when the options asked for none. */
  readonly interruptMode: VirtioInterruptMode;
  /** Interrupts taken (all zero when polling). */
  readonly interruptStats: VirtioInterruptStats;
  private readonly rx: NetReceiver;
  private readonly tx: NetTransmitter;
  private readonly control: NetControl | undefined;
  private readonly rxBudget: number;
  private readonly options: VirtioNetOptions;
  private up = false;
  /** The rings broke or the device is being detached: nothing is sent or received any more. */
  private stopped = false;
  /** Told once when a queue broke (after the link stopped); see NetLink.onBroken. */
  onBroken: ((error: Error) => void) | undefined;
  private receiveHandler: FrameHandler | null = null;
  private linkHandler: ((up: boolean) => void) | null = null;
  private transmitReadyHandler: (() => void) | null = null;
  private poller: { close(): void } | undefined;
  /** Interrupt mode: woken by the rx and tx interrupts and to flush transmissions. */
  private readonly source: WakeSource | undefined;

  /** Reads the configuration and creates the queues; `start` after DRIVER_OK. */
  constructor(
    private readonly device: VirtioDevice,
    options: VirtioNetOptions = {},
  ) {
    this.options = options;
    const config = readNetConfig(device, options.random ?? mathRandomFill);
    this.mac = config.mac;
    this.mtu = config.mtu;
    this.maxPairs = config.maxPairs;
    this.checksumOffload = device.has(NetFeature.Csum);
    const segmentedTxBuffers = device.has(NetFeature.HostTso4) ? (options.segmentedTxBuffers ?? DEFAULTS.segmentedTxBuffers) : 0;
    this.segmentationLimit = segmentedTxBuffers > 0 ? MAX_GSO_PACKET : 0;
    this.rxBudget = options.rxBudget ?? DEFAULTS.rxBudget;
    const layout = netLayout(device, config.mtu);
    this.layout = layout;
    const loop = options.loop;
    this.interruptMode =
      options.interrupts === false || loop === undefined
        ? "polling"
        : device.bindInterrupts({ queues: [RX_QUEUE, TX_QUEUE], onQueue: () => this.source?.wake() });
    this.interruptStats = device.interruptStats ?? newInterruptStats();
    const interrupts = this.interruptMode !== "polling";
    if (interrupts && loop !== undefined) {
      this.source = loop.addWakeSource(this.pollNow);
      this.source.unref();
    }
    const rxQueue = this.queue(RX_QUEUE, RING_SIZE, 2);
    const txQueue = this.queue(TX_QUEUE, RING_SIZE, 2);
    if (interrupts) rxQueue.enableInterrupts();
    const perRing = (queue: Virtqueue<number>) => {
      const buffers = Math.floor(queue.size / layout.descriptorsPerBuffer);
      // A legacy device fixes the ring size: one too small for a single buffer is unusable.
      if (buffers < 1) throw new VirtioQueueError(device.name, "queue-size", `queue ${queue.index} of ${queue.size} entries cannot hold a ${layout.descriptorsPerBuffer}-descriptor buffer`);
      return buffers;
    };
    this.rx = new NetReceiver(device.platform, rxQueue, layout, this.counters, {
      buffers: Math.min(options.rxBuffers ?? DEFAULTS.rxBuffers, perRing(rxQueue)),
      bufferSize: layout.mergeable ? (options.rxBufferSize ?? DEFAULTS.rxBufferSize) : layout.headerSize + layout.maxFrame,
      guestCsum: device.has(NetFeature.GuestCsum),
      largeReceive: device.has(NetFeature.GuestTso4),
    });
    this.tx = new NetTransmitter(device.platform, txQueue, layout, this.counters, {
      buffers: Math.min(options.txBuffers ?? DEFAULTS.txBuffers, perRing(txQueue)),
      segmentedBuffers: segmentedTxBuffers,
      segmentedFrame: ETHERNET_HEADER_LENGTH + this.segmentationLimit,
      batch: options.txBatch ?? DEFAULTS.txBatch,
      interrupts,
    });
    if (device.has(NetFeature.CtrlVq)) {
      const controlQueue = this.queue(controlQueueIndex(device.has(NetFeature.Mq) ? config.maxPairs : 1), CONTROL_RING_SIZE, CONTROL_CHAIN_LENGTH);
      this.control = new NetControl(device, controlQueue, this.counters, options.controlTimeoutNs ?? DEFAULTS.controlTimeoutNs);
    }
  }

  get name(): string {
    return this.device.name;
  }

  get linkUp(): boolean {
    return this.up;
  }

  /** After DRIVER_OK: posts the receive buffers, selects one queue pair, reads the link state. */
  start(): void {
    this.rx.start();
    if (this.device.has(NetFeature.Mq)) this.control?.run(CtrlClass.Mq, CtrlMqCommand.VqPairsSet, ONE_PAIR, "mq vq-pairs-set");
    this.up = readLinkUp(this.device);
  }

  /** False when the ring is full; `onTransmitReady` then tells when to try again. */
  transmit(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    if (this.stopped) return false;
    return this.transmitted(this.tx.transmit(frame, this.offloadFor(offload)));
  }

  allocateFrame(length: number): Uint8Array | undefined {
    if (this.stopped) return undefined;
    return this.tx.allocate(length);
  }

  transmitAllocated(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    if (this.stopped) return false;
    return this.transmitted(this.tx.transmitAllocated(frame, this.offloadFor(offload)));
  }

  /** The stack's offload request, when the device checksums (CSUM); the transmitter segments only with HOST_TSO4. */
  private offloadFor(offload: ChecksumOffload | undefined): ChecksumOffload | undefined {
    return this.checksumOffload ? offload : undefined;
  }

  /** After queueing a frame: a flush on the next loop turn, or when the ring was full a wait for room. */
  private transmitted(queued: boolean): boolean {
    const tx = this.tx;
    if (queued) {
      // The notification goes out on the next loop turn, batched with whatever else is sent now.
      if (tx.unflushed) this.source?.wake();
      return true;
    }
    if (tx.awaitRoom()) this.source?.wake();
    return false;
  }

  /** Sets the receive handler; with a loop, receiving runs from now on and keeps the machine alive. */
  onReceive(handler: FrameHandler): void {
    this.receiveHandler = handler;
    const loop = this.options.loop;
    if (this.source !== undefined) this.source.ref();
    else if (loop !== undefined && this.poller === undefined) this.poller = loop.addPoller(this.pollNow);
  }

  /** Called (from the loop) once a transmit() that found the ring full can be retried. */
  onTransmitReady(handler: () => void): void {
    this.transmitReadyHandler = handler;
  }

  onLinkChange(handler: (up: boolean) => void): void {
    this.linkHandler = handler;
  }

  /**
   * One turn: receive (with interrupts, a drain that re-arms the rx interrupt), notify the device of
   * queued transmissions, tell a waiting sender about room, and when polling have the device look
   * for configuration changes.
   */
  poll(): void {
    if (this.stopped) return;
    if (this.interruptMode === "polling") this.rx.poll(this.receiveHandler, this.rxBudget);
    else if (this.rx.drain(this.receiveHandler, this.rxBudget)) this.source?.wake();
    // Receiving may have found the ring broken.
    if (this.stopped) return;
    this.tx.flush();
    if (this.tx.roomAfterWait()) this.transmitReadyHandler?.();
    this.device.checkConfig(this.options.configPollIntervalNs ?? DEFAULTS.configPollIntervalNs);
  }

  /** Notifies the device of transmissions queued since the last poll. */
  flush(): void {
    if (!this.stopped) this.tx.flush();
  }

  /**
   * Changes the MAC without a reset: MAC_ADDR_SET on the control queue, or on a legacy interface
   * without CTRL_MAC_ADDR, a write of the configuration MAC. The link handler is then told the link
   * is up so that the stack announces the new address.
   */
  setMac(mac: ArrayLike<number>): void {
    if (mac.length !== MAC_LENGTH || (mac[0] & UNICAST_MASK) !== 0) {
      throw new VirtioUsageError(this.name, "mac", "a MAC address is six bytes and unicast");
    }
    if (this.device.has(NetFeature.CtrlMacAddr)) {
      this.requireControl().run(CtrlClass.Mac, CtrlMacCommand.AddrSet, mac, "mac addr-set");
    } else if (!this.device.isModern) {
      for (let i = 0; i < MAC_LENGTH; i++) this.device.transport.writeConfig(NET_CONFIG.mac, mac[i], i);
    } else {
      throw new VirtioUsageError(this.name, "mac-set", "no CTRL_MAC_ADDR and the configuration MAC is read-only");
    }
    this.mac.set(mac);
    if (this.up) this.linkHandler?.(true);
  }

  setPromiscuous(on: boolean): void {
    this.rxMode(CtrlRxCommand.Promisc, on, "rx promisc");
  }

  setAllMulticast(on: boolean): void {
    this.rxMode(CtrlRxCommand.AllMulti, on, "rx allmulti");
  }

  /** Stops receiving and no longer keeps the machine alive; the device keeps its buffers until reset. */
  close(): void {
    this.poller?.close();
    this.poller = undefined;
    this.source?.unref();
    this.receiveHandler = null;
  }

  /** The device's configuration changed: the link state is read again. */
  configChanged(): void {
    if (!this.stopped) this.refreshLink();
  }

  /** A queue broke (told once by the device): this instance stops for good; `onBroken` may `reset()`. */
  ringBroken(error: VirtioRingBrokenError): void {
    this.counters.deviceError(error);
    this.stop();
    this.onBroken?.(error);
  }

  /**
   * Resets the device and brings it up again under the same driver (`VirtioDevice.recover`): queues,
   * buffers and DMA memory are made anew and the link state read again. Returns the new instance,
   * which serves the device from then on; this one stays stopped and calls no handler.
   */
  reset(): VirtioNet {
    const device = this.device;
    if (device.instance !== this) throw new VirtioUsageError(this.name, "reset", "this driver instance no longer serves the device");
    this.onBroken = undefined;
    this.receiveHandler = null;
    this.linkHandler = null;
    this.transmitReadyHandler = null;
    if (!device.recover()) throw device.error ?? new VirtioUsageError(this.name, "reset", `device is ${device.state}`);
    if (!(device.instance instanceof VirtioNet)) throw new VirtioUsageError(this.name, "reset", "device came back without a virtio-net driver");
    return device.instance;
  }

  /** Before the device is torn down: stop using the queues and let go of the loop. */
  detach(): void {
    this.stop();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.close();
    if (this.up) {
      this.up = false;
      this.counters.linkChanges++;
      this.linkHandler?.(false);
    }
  }

  private readonly pollNow = (): void => this.poll();

  private rxMode(command: number, on: boolean, what: string): void {
    if (!this.device.has(NetFeature.CtrlRx)) throw new VirtioUsageError(this.name, "ctrl-rx", `${what}: CTRL_RX not negotiated`);
    this.requireControl().run(CtrlClass.Rx, command, [on ? 1 : 0], what);
  }

  private requireControl(): NetControl {
    if (this.control === undefined) throw new VirtioUsageError(this.name, "ctrl-vq", "no control queue");
    return this.control;
  }

  private refreshLink(): void {
    const up = readLinkUp(this.device);
    if (up === this.up) return;
    this.up = up;
    this.counters.linkChanges++;
    this.linkHandler?.(up);
  }

  /** A queue that starts with its interrupts suppressed. */
  private queue(index: number, maxSize: number, indirectEntries: number): Virtqueue<number> {
    const queue = this.device.createQueue<number>(index, { maxSize, indirectEntries });
    queue.disableInterrupts();
    return queue;
  }
}
