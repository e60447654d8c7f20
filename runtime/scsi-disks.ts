/**
 * virtio-scsi logical units as disks: each unit a controller found becomes a runtime/block device;
 * units hot-plugged later join the disk list and units hot-unplugged leave it, and
 * `watchBlockDevices` listeners hear of both.
 */
import { VirtioScsi } from "../drivers/virtio/scsi/scsi";
import type { ScsiLun } from "../drivers/virtio/scsi/lun";
import type { ProbedVirtioDevice } from "../drivers/virtio/probe";
import type { BlockDevice, BlockDeviceOptions } from "./block/device";
import type { BlockLoop } from "./block/completions";
import { adoptBlockDriver, announceBlockDevice, retireBlockDriver } from "./block/registry";

/** `scsi <name> <vendor> <product> serial="<serial>" blocks=<n> block=<bytes> ro=<bool> unmap=<bool>` */
export function formatScsiUnit(unit: ScsiLun): string {
  const d = unit.description;
  return `scsi ${unit.name} vendor="${d.vendor}" product="${d.product}" serial="${unit.serial}" blocks=${unit.geometry.blocks} block=${unit.geometry.blockSize} ro=${d.writeProtected} unmap=${d.maxUnmapBlocks > 0}`;
}

/** Adopts the units of every ready virtio-scsi controller and follows their hot-plug events. */
export function adoptScsiDisks(virtio: readonly ProbedVirtioDevice[], loop: BlockLoop, options?: BlockDeviceOptions): BlockDevice[] {
  const adopted: BlockDevice[] = [];
  for (const probed of virtio) {
    const scsi = probed.instance;
    if (probed.state !== "ready" || !(scsi instanceof VirtioScsi) || probed.device === undefined) continue;
    const platform = probed.device.machine;
    for (const unit of scsi.units) {
      const device = adoptBlockDriver(unit, platform, loop, options);
      if (device !== undefined) adopted.push(device);
    }
    scsi.onUnitAdded = (unit) => {
      console.log(`${formatScsiUnit(unit)} added`);
      const device = adoptBlockDriver(unit, platform, loop, options);
      if (device !== undefined) announceBlockDevice(device);
    };
    scsi.onUnitRemoved = (unit) => {
      console.log(`scsi ${unit.name} removed`);
      retireBlockDriver(unit);
    };
  }
  return adopted;
}

/** Report lines of every unit the controllers found at start-up. */
export function scsiReport(virtio: readonly ProbedVirtioDevice[]): string[] {
  const lines: string[] = [];
  for (const probed of virtio) if (probed.state === "ready" && probed.instance instanceof VirtioScsi) for (const unit of probed.instance.units) lines.push(formatScsiUnit(unit));
  return lines;
}
