import type { VirtioDevice } from "../device";
import { VirtioConfigError } from "../errors";
import { DEFAULT_MTU, MAC_LENGTH, MAX_MTU, MAX_PAIRS, MIN_MTU, MIN_PAIRS, NET_CONFIG, NetFeature, NetStatus } from "./constants";

export type RandomFill = (bytes: Uint8Array) => void;

/** What the driver takes from the device configuration at attach time, validated. */
export interface NetDeviceConfig {
  /** From the device (MAC feature) or random and locally administered. */
  readonly mac: Uint8Array;
  readonly macFromDevice: boolean;
  readonly maxPairs: number;
  readonly mtu: number;
}

const MULTICAST_BIT = 0x01;
const LOCALLY_ADMINISTERED_BIT = 0x02;

export function readNetConfig(device: VirtioDevice, random: RandomFill): NetDeviceConfig {
  const transport = device.transport;
  const mac = new Uint8Array(MAC_LENGTH);
  const macFromDevice = device.has(NetFeature.Mac);
  if (macFromDevice) readMac(device, mac);
  else randomLocalMac(random, mac);
  const maxPairs = device.has(NetFeature.Mq) ? transport.readConfigStable(() => transport.readConfig(NET_CONFIG.max_virtqueue_pairs)) : MIN_PAIRS;
  if (maxPairs < MIN_PAIRS || maxPairs > MAX_PAIRS) {
    throw new VirtioConfigError(device.name, "max-virtqueue-pairs", `${maxPairs} is outside ${MIN_PAIRS}..${MAX_PAIRS}`);
  }
  const mtu = device.has(NetFeature.Mtu) ? transport.readConfigStable(() => transport.readConfig(NET_CONFIG.mtu)) : DEFAULT_MTU;
  if (mtu < MIN_MTU || mtu > MAX_MTU) throw new VirtioConfigError(device.name, "mtu", `${mtu} is outside ${MIN_MTU}..${MAX_MTU}`);
  return { mac, macFromDevice, maxPairs, mtu };
}

/** The six MAC bytes, read under one configuration generation, into `into`. */
export function readMac(device: VirtioDevice, into: Uint8Array): void {
  const transport = device.transport;
  transport.readConfigStable(() => {
    for (let i = 0; i < MAC_LENGTH; i++) into[i] = transport.readConfig(NET_CONFIG.mac, i);
  });
}

/** Link state; always up when the device has no STATUS feature. */
export function readLinkUp(device: VirtioDevice): boolean {
  if (!device.has(NetFeature.Status)) return true;
  const transport = device.transport;
  return (transport.readConfigStable(() => transport.readConfig(NET_CONFIG.status)) & NetStatus.LinkUp) !== 0;
}

/** Random unicast MAC with the locally administered bit set. */
export function randomLocalMac(random: RandomFill, into: Uint8Array): void {
  random(into);
  into[0] = (into[0] & ~MULTICAST_BIT) | LOCALLY_ADMINISTERED_BIT;
}
