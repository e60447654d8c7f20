/// <reference path="../../boot/platform.d.ts" />
/// <reference path="../../boot/guest-globals.d.ts" />
/// <reference path="../../boot/guest-web.d.ts" />
/**
 * The app API (`import { serve } from "vireo"`): importing it brings the machine's devices up
 * (boot report on the console; `crypto` once a virtio-rng is there) and installs the web
 * platform's HTTP globals. The network comes up on first use by `serve` or `fetch`: DHCP, or
 * `ip=A/P gw=G dns=D` on the kernel command line (`vireo run --append`).
 * For full control (own device bring-up, own NetStack) import "vireo/low-level" instead.
 */
import { system } from "../../kernel/prelude";
import type { BlockDevice } from "../block/device";
import { watchBlockDevices, type BlockDeviceListener } from "../block/registry";
import { startDevices } from "../devices";
import { openShare as openShareByTag, type Share, type ShareOptions } from "../fs/index";
import type { KvOpenOptions, KvStore } from "../kv/store";
import type { NetStack } from "../net/stack";
import { eventLoopScheduler, systemRandom } from "../services";
import { installHttpGlobals, networkFetch } from "./globals";
import { AppMachine } from "./machine";
import { machineStatus as collectStatus, type MachineStatus } from "./machine-status";
import { serveOn, type AppServeOptions, type AppServer, type Handler } from "./server";

const machine = new AppMachine({
  startDevices: () => startDevices(system),
  commandLine: system.commandLine.text,
  scheduler: eventLoopScheduler(system.platform),
  randomFor: systemRandom,
});

const NS_PER_MS = 1e6;
/** Milliseconds since kernel entry: when TypeScript started, and when the app API began bringing the devices up. */
export const bootTimes = {
  typescriptStartedMs: system.typescriptStartNs / NS_PER_MS,
  devicesStartedMs: system.platform.monotonicNs() / NS_PER_MS,
} as const;

installHttpGlobals();
Object.assign(globalThis, { fetch: networkFetch(() => machine.network()) });
machine.devices();

/** Answers HTTP requests with `handler` (or `options.fetch`) on port 80 (or `options.port`). */
export function serve(handler: Handler | AppServeOptions): AppServer {
  return serveOn(() => machine.network(), handler);
}

/** The disk with `serial` (`vireo run --disk FILE,serial=NAME`), or the first disk. */
export function openDisk(serial?: string): BlockDevice {
  return machine.openDisk(serial);
}

/**
 * Calls `listener` when a disk appears or goes away while the machine runs (a SCSI unit
 * hot-plugged or unplugged on a virtio-scsi controller); returns a function that stops it. A
 * removed disk fails every call with an offline error.
 */
export function watchDisks(listener: BlockDeviceListener): () => void {
  return watchBlockDevices(listener);
}

/** The key-value store on a disk (see openDisk); a blank disk becomes an empty store. */
export function openKv(serial?: string, options?: KvOpenOptions): Promise<KvStore> {
  return machine.openKv(serial, options);
}

/** The configured network stack (UDP, TCP, DNS, ping) for what serve and fetch do not cover. */
export function network(): Promise<NetStack> {
  return machine.network();
}

/**
 * A snapshot for status pages: each virtio device (features by name, ring layout, per-queue
 * figures), the network's counters (null until serve or fetch brought it up; `nic.recoveries`
 * counts device resets it came back from), each disk's, memory and uptime. Plain data: JSON as is.
 */
export function machineStatus(): MachineStatus {
  const devices = machine.devices();
  return collectStatus({
    monotonicNs: system.platform.monotonicNs(),
    memory: vireoNative.memoryUsage(),
    virtio: devices.virtio,
    disks: devices.disks,
    network: machine.networkIfUp,
  });
}

/**
 * The host folder shared under mount tag `tag` (QEMU `-virtfs local,path=DIR,mount_tag=TAG,security_model=none`),
 * with readFile, writeFile, readdir, stat, mkdir, rm, rename and open as node:fs/promises has them.
 */
export function openShare(tag: string, options?: ShareOptions): Promise<Share> {
  return openShareByTag(tag, options);
}

/** The kernel command line (`vireo run --append "k=v flag"`). */
export const commandLine = system.commandLine;

/** Ends the machine with `status` (the exit status `vireo run` returns). */
export function exit(status: number): never {
  return system.platform.exit(status);
}

export { AppError, type AppErrorCode } from "./errors";
export type { AppServeOptions, AppServer, Handler, ListenInfo } from "./server";
export type { DeviceStatus, MachineStatus, QueueStatus, RingStatus } from "./machine-status";
export type { BlockDevice } from "../block/device";
export type { BlockDeviceListener } from "../block/registry";
export { BlockRequestError } from "../../drivers/block-driver";
export { BlockOfflineError, BlockTimeoutError } from "../block/errors";
export { KvError, type KvErrorCode } from "../kv/errors";
export { KvStore, type KvOpenOptions, type KvStats } from "../kv/store";
export { Sha256, sha256Hex } from "../crypto/sha256";
export { staticFiles, StaticFileError, type StaticFilesOptions } from "../http/static-files";
export type { FileEntry, FileKind, FileSource } from "../http/file-source";
export { TarSource, type TarDisk, type TarSourceOptions } from "../fs/tar-source";
export { TarError, type TarErrorCode } from "../fs/tar-header";
export { FileHandle, FileStats, FsError, FsPathError, Share, shareFileSource, type OpenFlags, type ShareOptions } from "../fs/index";
