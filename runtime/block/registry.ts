import { isBlockDriver, type BlockDriver } from "../../drivers/block-driver";
import type { Platform } from "../../kernel/platform";
import { BlockDevice, type BlockDeviceOptions } from "./device";
import { DmaBuffers } from "./dma-buffers";
import type { BlockLoop } from "./completions";

/**
 * What a bus probe reports per device (virtio's probe result fits): the driver instance and its
 * machine. `machine` is the machine itself when `platform` is memory scoped to the device (freed
 * when it is reset): the block layer's buffers must outlive a reset.
 */
export interface ProbedDevice {
  readonly state: string;
  readonly instance?: unknown;
  readonly device?: { readonly platform: Platform; readonly machine?: Platform };
}

const devices: BlockDevice[] = [];
/** Told when a disk appears after start-up (hot-plug) or goes away (hot-unplug). */
export type BlockDeviceListener = (change: "added" | "removed", device: BlockDevice) => void;
const listeners = new Set<BlockDeviceListener>();
/** One set of DMA buffers per machine, so a buffer from any disk is zero-copy on every disk. */
const buffersByPlatform = new Map<Platform, DmaBuffers>();

/** Every disk serving now, in the order found (a live list: hot-plugged disks join it, removed ones leave it). */
export function blockDevices(): readonly BlockDevice[] {
  return devices;
}

/** A disk by index in `blockDevices()` or by serial. */
export function findBlockDevice(which: number | { readonly serial: string }): BlockDevice | undefined {
  if (typeof which === "number") return devices[which];
  return devices.find((device) => device.driver.serial === which.serial);
}

/** Wraps every block driver the probe made ready (once each) and lists it. */
export function adoptBlockDevices(probed: readonly ProbedDevice[], loop: BlockLoop, options?: BlockDeviceOptions): BlockDevice[] {
  const adopted: BlockDevice[] = [];
  for (const entry of probed) {
    const driver = entry.instance;
    const platform = entry.device?.machine ?? entry.device?.platform;
    if (entry.state !== "ready" || !isBlockDriver(driver) || platform === undefined) continue;
    const device = adoptBlockDriver(driver, platform, loop, options);
    if (device !== undefined) adopted.push(device);
  }
  return adopted;
}

/**
 * Wraps one block driver (a disk behind a controller with many) and lists it; undefined when it
 * is listed already. `platform` is the machine's, as for `adoptBlockDevices`.
 */
export function adoptBlockDriver(driver: BlockDriver, platform: Platform, loop: BlockLoop, options?: BlockDeviceOptions): BlockDevice | undefined {
  if (devices.some((device) => device.driver === driver)) return undefined;
  let buffers = buffersByPlatform.get(platform);
  if (buffers === undefined) {
    buffers = new DmaBuffers(platform);
    buffersByPlatform.set(platform, buffers);
  }
  const device = new BlockDevice(driver, platform, loop, buffers, options);
  devices.push(device);
  return device;
}

/** Tells the listeners a disk appeared after start-up. */
export function announceBlockDevice(device: BlockDevice): void {
  for (const listener of listeners) listener("added", device);
}

/** Takes the disk `driver` serves off the list (its driver already fails every call) and tells the listeners. */
export function retireBlockDriver(driver: BlockDriver): BlockDevice | undefined {
  const index = devices.findIndex((device) => device.driver === driver);
  if (index < 0) return undefined;
  const [device] = devices.splice(index, 1);
  for (const listener of listeners) listener("removed", device);
  return device;
}

/** Calls `listener` for every disk added or removed from now on; returns a function that stops it. */
export function watchBlockDevices(listener: BlockDeviceListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
