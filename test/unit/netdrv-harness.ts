// A simulated machine with one virtio-net device claimed by the driver, and frame helpers.
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { createVirtioNetDriver } from "../../drivers/virtio/net/driver";
import type { NetLoop, VirtioNet, VirtioNetOptions, WakeSource } from "../../drivers/virtio/net/net";
import { probeVirtioPci, type ProbedVirtioDevice } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import type { ChecksumOffload, RxInfo } from "../../drivers/net-link";
import type { ManualScheduler } from "../net/manual-scheduler";
import { SimLink, mac } from "../net/sim-link";
import { SimMachine } from "../sim/machine";
import { NetModel, type NetOptions } from "../sim/virtio/net-model";
import { addVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";

export interface NetRig {
  readonly machine: SimMachine;
  readonly model: NetModel;
  readonly probed: ProbedVirtioDevice;
  readonly net: VirtioNet;
  readonly received: { frame: number[]; info: RxInfo }[];
}

export interface RigOptions {
  readonly device?: NetOptions;
  readonly layout?: VirtioPciLayout;
  readonly driver?: VirtioNetOptions;
  /** Register a receive handler that records frames (default true). */
  readonly listen?: boolean;
  /** Runs on the device model before the driver probes it (answers, faults). */
  readonly beforeProbe?: (model: NetModel) => void;
}

export function netRig(options: RigOptions = {}): NetRig {
  const machine = new SimMachine();
  const model = new NetModel(machine.memory, machine.violations, options.device);
  addVirtioPci(machine, model, { device: 4, layout: options.layout ?? "modern" });
  const config = new PortPciConfig(machine.ports);
  const registry = new VirtioDriverRegistry();
  registry.register(createVirtioNetDriver({ configPollIntervalNs: 0, ...options.driver }));
  options.beforeProbe?.(model);
  const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry).devices;
  const net = probed.instance as VirtioNet;
  const received: { frame: number[]; info: RxInfo }[] = [];
  if (net !== undefined && options.listen !== false) net.onReceive((frame, info) => received.push({ frame: Array.from(frame), info }));
  return { machine, model, probed, net, received };
}

/** Pollers registered by the driver, run by hand (these rigs have no interrupts: no wake sources). */
export class ManualLoop implements NetLoop {
  /** One entry per registration, as the kernel loop keeps them (the same function twice runs twice). */
  readonly pollers = new Set<{ readonly poll: () => void }>();

  addPoller(poll: () => void): { close(): void } {
    const entry = { poll };
    this.pollers.add(entry);
    return { close: () => this.pollers.delete(entry) };
  }

  addWakeSource(): WakeSource {
    throw new Error("ManualLoop drives polled devices only");
  }

  turn(): void {
    for (const { poll } of this.pollers) poll();
  }
}

export const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
export const PEER_MAC = [0x52, 0x54, 0x00, 0x00, 0x00, 0x02];

/** An Ethernet frame to `destination` carrying `length` payload bytes of a counting pattern. */
export function frameTo(destination: readonly number[], length: number, etherType = 0x88b5): Uint8Array {
  const frame = new Uint8Array(14 + length);
  frame.set(destination, 0);
  frame.set(PEER_MAC, 6);
  frame[12] = etherType >> 8;
  frame[13] = etherType & 0xff;
  for (let i = 0; i < length; i++) frame[14 + i] = (i * 7 + 3) & 0xff;
  return frame;
}

/** The peer's side of the wire: what it transmits arrives in the device's receive buffers. */
export class DeviceWire extends SimLink {
  constructor(
    private readonly model: NetModel,
    scheduler: ManualScheduler,
  ) {
    super(mac(0x02), scheduler);
  }

  override transmit(frame: Uint8Array, _offload?: ChecksumOffload): boolean {
    return this.model.injectFrame(frame);
  }
}
