/**
 * A snapshot of the machine for status pages (plain data, ready for JSON): every virtio device
 * with its feature bits by name, its ring layout and per-queue figures; the network's and the
 * disks' counters; memory. Counters only ever grow, so a page can turn two snapshots into rates.
 */
import { BALLOON_FEATURE_NAMES } from "../../drivers/virtio/balloon/constants";
import { BLK_FEATURE_NAMES } from "../../drivers/virtio/blk/features";
import { CONSOLE_FEATURE_NAMES } from "../../drivers/virtio/console/constants";
import { DeviceType, deviceTypeName } from "../../drivers/virtio/device-types";
import { COMMON_FEATURE_NAMES, FeatureBit, featureNames, hasFeature } from "../../drivers/virtio/features";
import { NET_FEATURE_NAMES } from "../../drivers/virtio/net/constants";
import { VirtioNet } from "../../drivers/virtio/net/net";
import type { ProbedVirtioDevice } from "../../drivers/virtio/probe";
import type { BlockDevice } from "../block/device";
import type { AppNetwork } from "./machine";

/** Each device type's own feature names (virtio-rng has no feature bits of its own). */
const DEVICE_FEATURE_NAMES: Readonly<Record<number, readonly (readonly [number, string])[]>> = {
  [DeviceType.Net]: NET_FEATURE_NAMES,
  [DeviceType.Block]: BLK_FEATURE_NAMES,
  [DeviceType.Console]: CONSOLE_FEATURE_NAMES,
  [DeviceType.Balloon]: BALLOON_FEATURE_NAMES,
};

const NS_PER_S = 1e9;

export interface QueueStatus {
  readonly index: number;
  readonly size: number;
  readonly inFlight: number;
  /** Notifications sent to the device. */
  readonly notifications: number;
  /** Interrupts that reached the queue's handler. */
  readonly interrupts: number;
  /** Used lengths the device got wrong (clamped), and 1 more once the ring broke. */
  readonly deviceErrors: number;
  /** Why the ring broke, or "". */
  readonly broken: string;
}

export interface RingStatus {
  readonly layout: "split" | "packed";
  readonly inOrder: boolean;
  readonly eventIdx: boolean;
  readonly indirect: boolean;
}

export interface DeviceStatus {
  readonly name: string;
  readonly type: string;
  readonly transport: string;
  readonly notify: string;
  readonly state: string;
  readonly interruptMode: string;
  /** The negotiated feature bits, hexadecimal. */
  readonly features: string;
  /** The negotiated features by name, in bit order ("bit N" for one no table names). */
  readonly featureNames: readonly string[];
  readonly ring: RingStatus;
  readonly queues: readonly QueueStatus[];
  readonly configChanges: number;
  readonly configErrors: number;
  readonly needsResets: number;
  /** Why the device failed, or "". */
  readonly error: string;
}

export interface MachineStatus {
  readonly uptimeSeconds: number;
  readonly memory: { readonly heapBytes: number; readonly freePages: number; readonly totalPages: number };
  readonly devices: readonly DeviceStatus[];
  /** The stack's counters and, under `nic`, the device's and the link's recoveries; null before the network is up. */
  readonly network: Readonly<Record<string, unknown>> | null;
  /** Each disk by name: what it is, its recoveries, and "no" or why it was given up. */
  readonly block: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export function deviceStatus(probed: ProbedVirtioDevice): DeviceStatus {
  const device = probed.device;
  const transport = device?.transport;
  const features = device?.features ?? 0n;
  const deviceNames = transport === undefined ? [] : (DEVICE_FEATURE_NAMES[transport.deviceType] ?? []);
  return {
    name: probed.name,
    type: transport === undefined ? "?" : deviceTypeName(transport.deviceType),
    transport: transport?.kind ?? "?",
    notify: transport?.notifyKind ?? "?",
    state: probed.state,
    interruptMode: device?.interruptMode ?? "polling",
    features: features.toString(16),
    featureNames: featureNames(features, [...deviceNames, ...COMMON_FEATURE_NAMES]),
    ring: {
      layout: device?.ringLayout ?? "split",
      inOrder: hasFeature(features, FeatureBit.InOrder),
      eventIdx: hasFeature(features, FeatureBit.EventIdx),
      indirect: hasFeature(features, FeatureBit.IndirectDesc),
    },
    queues: (device?.queues ?? []).map((queue) => ({
      index: queue.index,
      size: queue.size,
      inFlight: queue.inFlightCount,
      notifications: queue.notifications,
      interrupts: device?.queueInterrupts[queue.index] ?? 0,
      deviceErrors: queue.lengthClamps + (queue.broken === undefined ? 0 : 1),
      broken: queue.broken?.message ?? "",
    })),
    configChanges: device?.configChanges ?? 0,
    configErrors: device?.configErrors ?? 0,
    needsResets: device?.needsResets ?? 0,
    error: probed.error?.message ?? "",
  };
}

function networkStatus(network: AppNetwork): Record<string, unknown> {
  const { link } = network;
  const nic = link.link instanceof VirtioNet ? link.link.counters : undefined;
  const { lastDeviceError, ...counters } = nic ?? { lastDeviceError: undefined };
  return {
    ...network.stack.counters,
    nic: { ...counters, lastDeviceError: lastDeviceError?.message ?? "", recoveries: link.recoveries, offline: link.offline?.message ?? "no" },
  };
}

function diskStatus(disk: BlockDevice): Record<string, unknown> {
  return {
    ...disk.info,
    features: disk.info.features.join(" "),
    requests: disk.finishedRequests,
    recoveries: disk.recoveries,
    offline: disk.offline?.code ?? "no",
  };
}

export interface MachineParts {
  readonly monotonicNs: number;
  readonly memory: MachineStatus["memory"];
  readonly virtio: readonly ProbedVirtioDevice[];
  readonly disks: readonly BlockDevice[];
  readonly network: AppNetwork | undefined;
}

export function machineStatus(parts: MachineParts): MachineStatus {
  return {
    uptimeSeconds: parts.monotonicNs / NS_PER_S,
    memory: parts.memory,
    devices: parts.virtio.map(deviceStatus),
    network: parts.network === undefined ? null : networkStatus(parts.network),
    block: Object.fromEntries(parts.disks.map((disk) => [disk.name, diskStatus(disk)])),
  };
}
