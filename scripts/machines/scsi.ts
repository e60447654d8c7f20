// A virtio-scsi controller with scsi-hd logical units on it: the QEMU arguments.
import { virtioDevice } from "./board";
import type { Board } from "./types";

export interface ScsiDisk {
  /** Image file (raw). */
  readonly file: string;
  readonly serial: string;
  readonly target?: number;
  readonly lun?: number;
  readonly readOnly?: boolean;
  /** QEMU `-drive` cache mode (default writeback). */
  readonly cache?: string;
}

/** The controller's QEMU id; units name `${SCSI_CONTROLLER_ID}.0` as their bus. */
export const SCSI_CONTROLLER_ID = "scsi0";

/** `-drive` and `-device scsi-hd` arguments of one unit on the controller (also what QMP `device_add` takes). */
export function scsiHdProperties(disk: ScsiDisk, id: string): Record<string, string | number> {
  return { driver: "scsi-hd", id, bus: `${SCSI_CONTROLLER_ID}.0`, "scsi-id": disk.target ?? 0, lun: disk.lun ?? 0, drive: `drive-${id}`, serial: disk.serial };
}

export function scsiDriveOption(disk: ScsiDisk, id: string): string {
  return `file=${disk.file},format=raw,if=none,id=drive-${id},cache=${disk.cache ?? "writeback"}${disk.readOnly ? ",readonly=on" : ""}`;
}

/** The controller and `disks` on it, each unit with id `unit<i>`. */
export function scsiMachineArgs(board: Board, disks: readonly ScsiDisk[], controller = ""): string[] {
  const args = ["-device", `${virtioDevice(board, "scsi")},id=${SCSI_CONTROLLER_ID}${controller}`];
  disks.forEach((disk, i) => {
    const id = `unit${i}`;
    const properties = Object.entries(scsiHdProperties(disk, id))
      .filter(([key]) => key !== "driver")
      .map(([key, value]) => `${key}=${value}`)
      .join(",");
    args.push("-drive", scsiDriveOption(disk, id), "-device", `scsi-hd,${properties}`);
  });
  return args;
}
