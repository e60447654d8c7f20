// virtio-scsi on QEMU's own controller (virtio-scsi-pci) with scsi-hd units: the scsitest image
// runs the blk checks on a chosen unit and the host verifies what reached the image files; a unit
// is hot-plugged and unplugged over QMP while the guest runs; the demo keeps its key-value store
// on a SCSI unit across a reboot.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PATTERN_HEADER_BYTES, PATTERN_SECTOR_BYTES, patternByte } from "../../images/blktest/pattern";
import { boot, launch } from "../../scripts/lib/qemu";
import { MICROVM_MACHINE } from "../../scripts/machines/boards";
import { scsiDriveOption, scsiHdProperties, scsiMachineArgs, type ScsiDisk } from "../../scripts/machines/scsi";
import { bootDemo, send } from "./lib/demo-guest";
import { freePort } from "./lib/ports";
import { qmp } from "./lib/qmp";

const BOOT_TIMEOUT_MS = 150_000;
const MIB = 1024 * 1024;
const FILL_BYTES = 64 * MIB;
const SMALL_BYTES = 8 * MIB;
const SEED = 1717;

let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vireo-scsi-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function image(name: string, bytes: number, random = false): string {
  const file = join(dir, name);
  if (random) writeFileSync(file, randomBytes(bytes));
  else {
    writeFileSync(file, "");
    truncateSync(file, bytes);
  }
  return file;
}

async function bootUnits(command: string, disks: readonly ScsiDisk[]): Promise<string> {
  const result = await boot({ app: "scsitest", append: command, timeoutMs: BOOT_TIMEOUT_MS, qemuArgs: scsiMachineArgs("pc", disks) });
  expect(result.output, result.output).not.toMatch(/FAIL|virtio-error/);
  expect(result.status, result.output).toBe(0);
  return result.output;
}

function line(output: string, command: string): string {
  const match = new RegExp(`^scsi ${command} ok (.*)$`, "m").exec(output);
  if (!match) throw new Error(`no "scsi ${command} ok" line in:\n${output}`);
  return match[1];
}

/** Index of the first byte of `data` (file sector 0 on) that breaks the fill pattern, or -1. */
function firstPatternMismatch(data: Uint8Array, seed: number): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const template = new Uint8Array(PATTERN_SECTOR_BYTES);
  for (let i = PATTERN_HEADER_BYTES; i < PATTERN_SECTOR_BYTES; i++) template[i] = patternByte(seed, i);
  for (let at = 0, sector = 0; at < data.length; at += PATTERN_SECTOR_BYTES, sector++) {
    if (view.getUint32(at, true) !== sector >>> 0) return at;
    if (view.getUint32(at + 4, true) !== seed) return at + 4;
    if (Buffer.compare(data.subarray(at + PATTERN_HEADER_BYTES, at + PATTERN_SECTOR_BYTES), template.subarray(PATTERN_HEADER_BYTES)) !== 0) return at + PATTERN_HEADER_BYTES;
  }
  return -1;
}

describe("virtio-scsi on QEMU", () => {
  it("finds two LUNs on one controller and fills the 64 MiB one, which the host verifies byte for byte", async () => {
    const small = image("small.raw", SMALL_BYTES, true);
    const smallBefore = readFileSync(small);
    const big = image("fill.raw", FILL_BYTES, true);
    const output = await bootUnits(`scsi=qd64,fill disk=fill seed=${SEED}`, [
      { file: small, serial: "small", lun: 0, cache: "unsafe" },
      { file: big, serial: "fill", lun: 1, cache: "unsafe" },
    ]);
    expect(output).toMatch(/^virtio 00:\S+ type=scsi /m);
    expect(output).toMatch(new RegExp(`^scsi 00:\\S+/0:0 vendor="QEMU" product="QEMU HARDDISK" serial="small" blocks=${SMALL_BYTES / 512} block=512 ro=false`, "m"));
    expect(output).toMatch(new RegExp(`^scsi 00:\\S+/0:1 vendor="QEMU" product="QEMU HARDDISK" serial="fill" blocks=${FILL_BYTES / 512} block=512 ro=false`, "m"));
    expect(output).toMatch(/^scsi disks 2$/m);
    expect(line(output, "qd64")).toBe("writes-in-flight=64 reads-in-flight=64");
    expect(line(output, "fill")).toMatch(new RegExp(`^bytes=${FILL_BYTES} `));
    const data = readFileSync(big);
    expect(data.length).toBe(FILL_BYTES);
    expect(firstPatternMismatch(data, SEED)).toBe(-1);
    // The other unit on the same controller was not touched.
    expect(Buffer.compare(readFileSync(small), smallBefore)).toBe(0);
  });

  it("runs on microvm too: the controller on virtio-mmio (version 2) with packed rings", async () => {
    const file = image("mmio.raw", SMALL_BYTES, true);
    const result = await boot({
      app: "scsitest",
      entry: "pvh",
      append: `scsi=qd64,fill seed=${SEED}`,
      timeoutMs: BOOT_TIMEOUT_MS,
      qemuArgs: [
        "-M", MICROVM_MACHINE,
        "-global", "virtio-mmio.force-legacy=off",
        ...scsiMachineArgs("microvm", [{ file, serial: "mmio", cache: "unsafe" }], ",packed=on"),
      ],
    });
    expect(result.output, result.output).not.toMatch(/FAIL|virtio-error/);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/^virtio mmio@0x[0-9a-f]+ type=scsi transport=mmio .*ring=packed/m);
    expect(line(result.output, "qd64")).toBe("writes-in-flight=64 reads-in-flight=64");
    expect(firstPatternMismatch(readFileSync(file), SEED)).toBe(-1);
  });

  it("refuses writes to a unit on a read-only drive, and the image is unchanged", async () => {
    const file = image("ro.raw", SMALL_BYTES, true);
    const before = readFileSync(file);
    const output = await bootUnits("scsi=readonly-check disk=ro", [{ file, serial: "ro", readOnly: true }]);
    expect(output).toMatch(/^scsi 00:\S+\/0:0 .* serial="ro" .* ro=true/m);
    expect(line(output, "readonly-check")).toMatch(new RegExp(`read-only.* first-byte=${before[0]}$`));
    expect(Buffer.compare(readFileSync(file), before)).toBe(0);
  });

  it("sees a third LUN hot-plugged over QMP while running, uses it, and sees it unplugged", async () => {
    const socket = join(dir, "qmp.sock");
    const hot: ScsiDisk = { file: image("hot.raw", SMALL_BYTES), serial: "hot", lun: 2 };
    const guest = launch({
      app: "scsitest",
      append: "scsi=hotplug hot=hot wait-s=90",
      timeoutMs: BOOT_TIMEOUT_MS,
      qemuArgs: [
        ...scsiMachineArgs("pc", [
          { file: image("lun0.raw", SMALL_BYTES), serial: "lun0", lun: 0 },
          { file: image("lun1.raw", SMALL_BYTES), serial: "lun1", lun: 1 },
        ]),
        "-qmp", `unix:${socket},server=on,wait=off`,
      ],
    });
    try {
      await guest.waitFor(/^scsi waiting for plug$/m, BOOT_TIMEOUT_MS);
      const { driver, ...properties } = scsiHdProperties(hot, "hot");
      const drive = Object.fromEntries(scsiDriveOption(hot, "hot").split(",").map((kv) => kv.split("=")));
      await qmp(socket, [
        { execute: "blockdev-add", arguments: { driver: "raw", "node-name": drive.id, file: { driver: "file", filename: hot.file } } },
        { execute: "device_add", arguments: { driver, ...properties } },
      ]);
      await guest.waitFor(/^scsi hot disk \S+\/0:2 blocks=16384 verified; waiting for unplug$/m, BOOT_TIMEOUT_MS);
      await qmp(socket, [{ execute: "device_del", arguments: { id: "hot" } }]);
      const result = await guest.exited;
      expect(result.output).toMatch(/^scsi 00:\S+\/0:2 .* serial="hot" .* added$/m);
      expect(result.output).toMatch(/^scsi 00:\S+\/0:2 removed$/m);
      expect(line(result.output, "hotplug")).toBe("serial=hot plugged, verified, unplugged");
      expect(result.status, result.output).toBe(0);
      const written = readFileSync(hot.file).subarray(0, 64 * 1024);
      expect(written.every((byte, i) => byte === ((i * 7 + 3) & 0xff))).toBe(true);
    } finally {
      await guest.stop();
    }
  });

  it("runs the demo's key-value store on a SCSI unit, keeping values across a reboot", async () => {
    const disk = join(dir, "kv.img");
    const port = await freePort();
    const target = { host: "127.0.0.1", port };
    const value = randomBytes(200_000);
    let guest = await bootDemo({ disk, httpPort: port, variant: { scsi: true } });
    try {
      expect(guest.output).toMatch(/^scsi 00:\S+\/0:0 .* serial="vireo-kv" /m);
      expect([201, 204]).toContain((await send(target, "PUT", "/kv/kept", value)).status);
      await guest.stop();
      guest = await bootDemo({ disk, httpPort: port, variant: { scsi: true } });
      const back = await send(target, "GET", "/kv/kept");
      expect(back.status).toBe(200);
      expect(Buffer.compare(back.body, value)).toBe(0);
    } finally {
      await guest.stop();
    }
  });
});
