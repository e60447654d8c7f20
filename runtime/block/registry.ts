import { isBlockDriver } from "../../drivers/block-driver";
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
/** One set of DMA buffers per machine, so a buffer from any disk is zero-copy on every disk. */
const buffersByPlatform = new Map<Platform, DmaBuffers>();

/** Every disk found so far, in probe order. */
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
    if (devices.some((device) => device.driver === driver)) continue;
    let buffers = buffersByPlatform.get(platform);
    if (buffers === undefined) {
      buffers = new DmaBuffers(platform);
      buffersByPlatform.set(platform, buffers);
    }
    const device = new BlockDevice(driver, platform, loop, buffers, options);
    devices.push(device);
    adopted.push(device);
  }
  return adopted;
}
