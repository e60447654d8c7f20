// The devices `vireo run` and `vireo test` give a machine, from their flags: a virtio-rng always,
// virtio-net on QEMU user networking (ports forwarded) or a tap device, virtio-blk disks and
// virtio-9p host folders.
import { existsSync } from "node:fs";
import { BOARDS, type Board } from "../machines/boards";
import { UsageError } from "./errors";
import { hostFolderArgs } from "../machines/share";

export interface DiskFlag {
  readonly file: string;
  readonly serial?: string;
  readonly readonly: boolean;
}

export interface ShareFlag {
  readonly dir: string;
  readonly tag: string;
  readonly readonly: boolean;
}

export type NetFlag = { readonly kind: "user" } | { readonly kind: "tap"; readonly ifname: string } | { readonly kind: "none" };

export interface PortForward {
  readonly host: number;
  readonly guest: number;
}

export interface DeviceFlags {
  readonly disks: readonly DiskFlag[];
  readonly net: NetFlag;
  readonly ports: readonly PortForward[];
  readonly shares?: readonly ShareFlag[];
}

const MAX_PORT = 65535;
/** virtio-blk's serial is 20 bytes (VIRTIO_BLK_ID_BYTES). */
const MAX_SERIAL_BYTES = 20;
const LOCALHOST = "127.0.0.1";

export function boardNamed(name: string): Board {
  const board: Board | undefined = Object.hasOwn(BOARDS, name) ? BOARDS[name as keyof typeof BOARDS] : undefined;
  if (board === undefined) throw new UsageError(`unknown machine "${name}" (known: ${Object.keys(BOARDS).join(", ")})`);
  return board;
}

/** FILE[,serial=S][,readonly] */
export function parseDisk(text: string): DiskFlag {
  const [file, ...options] = text.split(",");
  if (!file) throw new UsageError(`--disk needs a file: --disk FILE[,serial=S][,readonly]`);
  if (!existsSync(file)) throw new UsageError(`--disk ${file}: no such file (make one: truncate -s 64M ${file})`);
  let serial: string | undefined;
  let readonly = false;
  for (const option of options) {
    if (option === "readonly") readonly = true;
    else if (option.startsWith("serial=")) serial = option.slice("serial=".length);
    else throw new UsageError(`--disk ${text}: unknown option "${option}" (serial=S or readonly)`);
  }
  if (serial !== undefined && (serial === "" || Buffer.byteLength(serial) > MAX_SERIAL_BYTES || !/^[\x21-\x7e]+$/.test(serial))) {
    throw new UsageError(`--disk serial "${serial}": 1 to ${MAX_SERIAL_BYTES} printable characters without commas`);
  }
  return { file, serial, readonly };
}

/** QEMU's longest virtio-9p mount tag. */
const MAX_TAG_BYTES = 31;

/** DIR,tag=TAG[,readonly] */
export function parseShare(text: string): ShareFlag {
  const [dir, ...options] = text.split(",");
  if (!dir) throw new UsageError("--share needs a folder: --share DIR,tag=TAG[,readonly]");
  if (!existsSync(dir)) throw new UsageError(`--share ${dir}: no such folder`);
  let tag: string | undefined;
  let readonly = false;
  for (const option of options) {
    if (option === "readonly") readonly = true;
    else if (option.startsWith("tag=")) tag = option.slice("tag=".length);
    else throw new UsageError(`--share ${text}: unknown option "${option}" (tag=TAG or readonly)`);
  }
  if (tag === undefined || tag === "" || Buffer.byteLength(tag) > MAX_TAG_BYTES || !/^[\x21-\x7e]+$/.test(tag)) {
    throw new UsageError(`--share ${text}: tag=TAG of 1 to ${MAX_TAG_BYTES} printable characters without commas (the app opens it with openShare(TAG))`);
  }
  return { dir, tag, readonly };
}

/** user | tap:IFNAME | none */
export function parseNet(text: string): NetFlag {
  if (text === "user" || text === "none") return { kind: text };
  if (text.startsWith("tap:") && text.length > "tap:".length) return { kind: "tap", ifname: text.slice("tap:".length) };
  throw new UsageError(`--net ${text}: expected user, tap:IFNAME or none`);
}

function portNumber(text: string, flag: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= MAX_PORT)) throw new UsageError(`--port ${flag}: ports are 1 to ${MAX_PORT}`);
  return port;
}

/** HOST:GUEST, or PORT for the same number on both sides. */
export function parsePort(text: string): PortForward {
  const parts = text.split(":");
  if (parts.length > 2) throw new UsageError(`--port ${text}: expected HOST:GUEST`);
  const host = portNumber(parts[0], text);
  return { host, guest: parts.length === 2 ? portNumber(parts[1], text) : host };
}

export function deviceArgs(board: Board, flags: DeviceFlags): string[] {
  if (flags.ports.length > 0 && flags.net.kind !== "user") throw new UsageError("--port forwards through QEMU user networking: use it with --net user");
  const args = ["-device", board.virtioDevice("rng")];
  flags.disks.forEach((disk, index) => {
    const id = `disk${index}`;
    const drive = `file=${disk.file.replace(/,/g, ",,")},format=raw,if=none,id=${id},cache=writeback${disk.readonly ? ",readonly=on" : ""}`;
    args.push("-drive", drive, "-device", `${board.virtioDevice("blk")},drive=${id}${disk.serial === undefined ? "" : `,serial=${disk.serial}`}`);
  });
  (flags.shares ?? []).forEach((share, index) => {
    args.push(...hostFolderArgs(board.virtioDevice("9p"), { id: `share${index}`, dir: share.dir, tag: share.tag, readonly: share.readonly }));
  });
  if (flags.net.kind === "user") {
    const forwards = flags.ports.map((p) => `,hostfwd=tcp:${LOCALHOST}:${p.host}-:${p.guest}`).join("");
    args.push("-netdev", `user,id=net0${forwards}`, "-device", `${board.virtioDevice("net")},netdev=net0`);
  } else if (flags.net.kind === "tap") {
    args.push("-netdev", `tap,id=net0,ifname=${flags.net.ifname},script=no,downscript=no`, "-device", `${board.virtioDevice("net")},netdev=net0`);
  }
  return args;
}
