import type { ChecksumOffload, FrameHandler, NetLink } from "../../../runtime/net/link";
import { hasFeature } from "../constants";
import type { VirtioDevice } from "../device";
import { VirtioFeatureError, VirtioUsageError } from "../errors";
import type { SplitVirtqueue } from "../virtqueue";
import { readLinkUp, readNetConfig, mathRandomFill, type RandomFill } from "./config";
import { ConfigWatch } from "./config-watch";
import {
  CTRL_DEPENDENT_FEATURES,
  CtrlClass,
  CtrlMacCommand,
  CtrlMqCommand,
  CtrlRxCommand,
  MAC_LENGTH,
  NetConfigOffset,
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

/** The part of the event loop the driver needs (kernel/event-loop's addPoller). */
export interface PollerHost {
  addPoller(poll: () => void): { close(): void };
}

export interface VirtioNetOptions {
  /** Where the receive poller is registered once a receive handler is set. */
  readonly loop?: PollerHost;
  /** For the MAC when the device has none. */
  readonly random?: RandomFill;
  readonly rxBuffers?: number;
  /** Receive buffer size with MRG_RXBUF; without it each buffer holds a whole frame. */
  readonly rxBufferSize?: number;
  readonly txBuffers?: number;
  readonly txBatch?: number;
  /** Receive buffers consumed per poll at most. */
  readonly rxBudget?: number;
  readonly configPollIntervalNs?: number;
  readonly controlTimeoutNs?: number;
}

const DEFAULTS = {
  rxBuffers: 256,
  rxBufferSize: 2048,
  txBuffers: 256,
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
 * A virtio-net device as a NetLink: one queue pair, polled from the event loop, with the control
 * queue (MAC, receive mode, queue pairs) when the device has one.
 */
export class VirtioNet implements NetLink {
  readonly counters = new VirtioNetCounters();
  /** Updated in place when the address changes, so holders of this array see the new one. */
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly checksumOffload: boolean;
  /** max_virtqueue_pairs (1 without MQ); one pair is used. */
  readonly maxPairs: number;
  readonly layout: NetLayout;
  private readonly rx: NetReceiver;
  private readonly tx: NetTransmitter;
  private readonly control: NetControl | undefined;
  private readonly rxBudget: number;
  private readonly options: VirtioNetOptions;
  private watch: ConfigWatch | undefined;
  private up = false;
  private receiveHandler: FrameHandler | null = null;
  private linkHandler: ((up: boolean) => void) | null = null;
  private poller: { close(): void } | undefined;

  /** Reads the configuration and creates the queues; `start` after DRIVER_OK. */
  constructor(
    private readonly device: VirtioDevice,
    options: VirtioNetOptions = {},
  ) {
    this.options = options;
    if (!device.has(NetFeature.CtrlVq)) {
      for (const bit of CTRL_DEPENDENT_FEATURES) {
        if (hasFeature(device.features, bit)) throw new VirtioFeatureError(device.name, "ctrl-vq-missing", `feature ${bit} negotiated without CTRL_VQ`);
      }
    }
    const config = readNetConfig(device, options.random ?? mathRandomFill);
    this.mac = config.mac;
    this.mtu = config.mtu;
    this.maxPairs = config.maxPairs;
    this.checksumOffload = device.has(NetFeature.Csum);
    this.rxBudget = options.rxBudget ?? DEFAULTS.rxBudget;
    const layout = netLayout(device, config.mtu);
    this.layout = layout;
    const rxQueue = this.queue(RX_QUEUE, RING_SIZE, 2);
    const txQueue = this.queue(TX_QUEUE, RING_SIZE, 2);
    const perRing = (queue: SplitVirtqueue<number>) => Math.floor(queue.size / layout.descriptorsPerBuffer);
    this.rx = new NetReceiver(device.platform, rxQueue, layout, this.counters, {
      buffers: Math.min(options.rxBuffers ?? DEFAULTS.rxBuffers, perRing(rxQueue)),
      bufferSize: layout.mergeable ? (options.rxBufferSize ?? DEFAULTS.rxBufferSize) : layout.headerSize + layout.maxFrame,
      guestCsum: device.has(NetFeature.GuestCsum),
    });
    this.tx = new NetTransmitter(device.platform, txQueue, layout, this.counters, {
      buffers: Math.min(options.txBuffers ?? DEFAULTS.txBuffers, perRing(txQueue)),
      batch: options.txBatch ?? DEFAULTS.txBatch,
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
    this.watch = new ConfigWatch(this.device.transport, () => this.device.platform.monotonicNs(), this.options.configPollIntervalNs ?? DEFAULTS.configPollIntervalNs);
    this.up = readLinkUp(this.device);
  }

  transmit(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    return this.tx.transmit(frame, this.checksumOffload ? offload : undefined);
  }

  /** Sets the receive handler; with a loop, the receive poller runs from now on. */
  onReceive(handler: FrameHandler): void {
    this.receiveHandler = handler;
    if (this.options.loop !== undefined && this.poller === undefined) this.poller = this.options.loop.addPoller(this.pollNow);
  }

  onLinkChange(handler: (up: boolean) => void): void {
    this.linkHandler = handler;
  }

  /** One turn: receive, notify the device of queued transmissions, notice configuration changes. */
  poll(): void {
    this.rx.poll(this.receiveHandler, this.rxBudget);
    this.tx.flush();
    if (this.watch?.changed() === true) this.refreshLink();
  }

  /** Notifies the device of transmissions queued since the last poll. */
  flush(): void {
    this.tx.flush();
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
    } else if (!this.device.transport.hasFeaturesOk) {
      for (let i = 0; i < MAC_LENGTH; i++) this.device.transport.writeConfig8(NetConfigOffset.Mac + i, mac[i]);
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

  /** Stops polling; the device keeps its buffers until reset. */
  close(): void {
    this.poller?.close();
    this.poller = undefined;
    this.receiveHandler = null;
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

  private queue(index: number, maxSize: number, indirectEntries: number): SplitVirtqueue<number> {
    const queue = this.device.createQueue<number>(index, { maxSize, indirectEntries });
    queue.onDeviceError = (error) => this.counters.deviceError(error);
    queue.disableInterrupts();
    return queue;
  }
}
