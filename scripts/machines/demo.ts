// The demo machine: virtio-rng, a persistent virtio-blk disk (created on first run) for the
// key-value store, and virtio-net on QEMU user networking with the HTTP port forwarded.
import { existsSync, mkdirSync, openSync, closeSync, ftruncateSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUILD_DIR } from "../lib/paths";
import { virtioDevice } from "./board";
import { SCSI_CONTROLLER_ID } from "./scsi";
import { hostFolderArgs } from "./share";
import type { Machine, MachineOptions } from "./types";

export const DEMO_DISK = join(BUILD_DIR, "demo-disk.img");
export const DEMO_DISK_BYTES = 64 * 1024 * 1024;
export const DEMO_GUEST_HTTP_PORT = 80;
export const DEMO_MAC = "52:54:00:12:34:56";

export function createDiskIfMissing(path: string, bytes: number): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "w");
  ftruncateSync(fd, bytes);
  closeSync(fd);
}

export interface DemoVariant {
  /** Put QEMU's blkdebug error injection, with the rules in this file, between the disk and its image. */
  readonly blkdebugConfig?: string;
  /** A `-netdev` (its id must be net0) in place of user networking with the HTTP port forwarded. */
  readonly netdev?: string;
  /** Properties appended to the virtio-net device (e.g. `host_tso4=off,guest_tso4=off`). */
  readonly netDeviceOptions?: string;
  /** The key-value disk as a scsi-hd unit on a virtio-scsi controller instead of a virtio-blk device. */
  readonly scsi?: boolean;
  /** A host folder shared with mount tag "www": the demo serves it at /files/. */
  readonly www?: string;
}

export function demoMachine(options: MachineOptions, disk = DEMO_DISK, variant: DemoVariant = {}): Machine {
  createDiskIfMissing(disk, DEMO_DISK_BYTES);
  const board = options.board ?? "pc";
  // blkdebug under the raw format layer sees the raw layer's block events; errors reach the guest.
  const drive = variant.blkdebugConfig === undefined ? `file=${disk}` : `file=blkdebug:${variant.blkdebugConfig}:${disk},werror=report,rerror=report`;
  const kvDisk = variant.scsi
    ? ["-device", `${virtioDevice(board, "scsi")},id=${SCSI_CONTROLLER_ID}`, "-device", `scsi-hd,bus=${SCSI_CONTROLLER_ID}.0,drive=kv,serial=vireo-kv`]
    : ["-device", `${virtioDevice(board, "blk")},drive=kv,serial=vireo-kv`];
  return {
    qemuArgs: [
      "-device", virtioDevice(board, "rng"),
      "-drive", `${drive},format=raw,if=none,id=kv,cache=writeback`,
      ...kvDisk,
      "-netdev", variant.netdev ?? `user,id=net0,hostfwd=tcp:127.0.0.1:${options.httpPort}-:${DEMO_GUEST_HTTP_PORT}`,
      "-device", `${virtioDevice(board, "net")},netdev=net0,mac=${DEMO_MAC}${variant.netDeviceOptions === undefined ? "" : `,${variant.netDeviceOptions}`}`,
      ...(variant.www === undefined ? [] : hostFolderArgs(virtioDevice(board, "9p"), { id: "www", dir: variant.www, tag: "www", readonly: true })),
    ],
    banner: `Vireo demo: http://127.0.0.1:${options.httpPort} (Ctrl-C stops the machine)`,
  };
}
