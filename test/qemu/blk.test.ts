// virtio-blk on QEMU's own device: the blktest image runs checks against real disk images and the
// host verifies what reached the file.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, openSync, readSync, closeSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot } from "../../scripts/lib/qemu";
import { PATTERN_HEADER_BYTES, PATTERN_SECTOR_BYTES, patternByte } from "../../images/blktest/pattern";

const BOOT_TIMEOUT_MS = 120_000;
const MIB = 1024 * 1024;
const FILL_BYTES = 64 * MIB;
/** Small because SHA-256 in the interpreted guest under TCG runs at about 200 KB/s. */
const HASH_BYTES = 1 * MIB;
const HUGE_BYTES = 3 * 1024 * 1024 * MIB;
const SEED = 4242;
const EDGE_SEED = 77;

let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vireo-blk-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface DiskBoot {
  readonly command: string;
  readonly file: string;
  readonly drive?: string;
  readonly device?: string;
}

async function bootDisk({ command, file, drive = "", device = "" }: DiskBoot) {
  const result = await boot({
    app: "blktest",
    append: command,
    timeoutMs: BOOT_TIMEOUT_MS,
    qemuArgs: [
      "-drive", `file=${file},format=raw,if=none,id=d0,cache=unsafe${drive}`,
      "-device", `virtio-blk-pci,drive=d0,serial=vireo-disk${device}`,
    ],
  });
  expect(result.output, result.output).not.toMatch(/FAIL|virtio-error/);
  expect(result.status, result.output).toBe(0);
  return result.output;
}

function line(output: string, command: string): string {
  const match = new RegExp(`^blk ${command} ok (.*)$`, "m").exec(output);
  if (!match) throw new Error(`no "blk ${command} ok" line in:\n${output}`);
  return match[1];
}

/** Index of the first byte of `data` (starting at file sector `firstSector`) that breaks the pattern. */
function firstPatternMismatch(data: Uint8Array, firstSector: number, seed: number): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const template = new Uint8Array(PATTERN_SECTOR_BYTES);
  for (let i = PATTERN_HEADER_BYTES; i < PATTERN_SECTOR_BYTES; i++) template[i] = patternByte(seed, i);
  for (let at = 0, sector = firstSector; at < data.length; at += PATTERN_SECTOR_BYTES, sector++) {
    if (view.getUint32(at, true) !== sector >>> 0) return at;
    if (view.getUint32(at + 4, true) !== seed) return at + 4;
    const body = data.subarray(at + PATTERN_HEADER_BYTES, at + PATTERN_SECTOR_BYTES);
    if (Buffer.compare(body, template.subarray(PATTERN_HEADER_BYTES)) !== 0) return at + PATTERN_HEADER_BYTES;
  }
  return -1;
}

describe("virtio-blk on QEMU", () => {
  it("keeps 64 requests in flight, then fills a 64 MiB disk that the host verifies byte for byte", async () => {
    const file = join(dir, "fill.raw");
    writeFileSync(file, randomBytes(FILL_BYTES));
    const output = await bootDisk({ command: `blk=qd64,fill seed=${SEED}`, file });
    expect(output).toMatch(/^blk info 00:\S+ serial="vireo-disk" sectors=131072 block=512 ro=false/m);
    expect(line(output, "qd64")).toBe("writes-in-flight=64 reads-in-flight=64");
    expect(line(output, "fill")).toMatch(new RegExp(`^bytes=${FILL_BYTES} `));
    const data = readFileSync(file);
    expect(data.length).toBe(FILL_BYTES);
    expect(firstPatternMismatch(data, 0, SEED)).toBe(-1);
  });

  it("reads a random disk and prints the host's SHA-256 over the legacy transport (disable-modern=on)", async () => {
    const file = join(dir, "random.raw");
    const content = randomBytes(HASH_BYTES);
    writeFileSync(file, content);
    const output = await bootDisk({ command: "blk=sha256", file, device: ",disable-modern=on" });
    expect(output).toMatch(/^virtio \S+ type=blk transport=legacy /m);
    const digest = createHash("sha256").update(content).digest("hex");
    expect(line(output, "sha256")).toMatch(new RegExp(`^${digest} bytes=${HASH_BYTES} `));
  });

  it("refuses writes to a readonly=on drive with the read-only error and still reads it", async () => {
    const file = join(dir, "ro.raw");
    writeFileSync(file, Buffer.alloc(MIB, 0x5a));
    const output = await bootDisk({ command: "blk=readonly-check", file, drive: ",readonly=on" });
    const name = /^blk info (\S+)/m.exec(output)?.[1];
    expect(line(output, "readonly-check")).toBe(`error="${name}: read-only: write block 0: device is read-only" first-byte=${0x5a}`);
    expect(readFileSync(file).every((b) => b === 0x5a)).toBe(true);
  });

  it("reports the exact capacity of a sparse 3 TiB disk and writes its last sector", async () => {
    const file = join(dir, "huge.raw");
    writeFileSync(file, "");
    truncateSync(file, HUGE_BYTES);
    const output = await bootDisk({ command: "blk=edge", file });
    const sectors = HUGE_BYTES / PATTERN_SECTOR_BYTES;
    expect(line(output, "edge")).toBe(`capacity-sectors=${sectors} capacity-bytes=${HUGE_BYTES} last-block=${sectors - 1}`);
    const last = Buffer.alloc(PATTERN_SECTOR_BYTES);
    const fd = openSync(file, "r");
    readSync(fd, last, 0, last.length, HUGE_BYTES - PATTERN_SECTOR_BYTES);
    closeSync(fd);
    expect(firstPatternMismatch(last, sectors - 1, EDGE_SEED)).toBe(-1);
  });

  it("discards and writes zeroes on a discard=unmap drive; the host reads zeros there", async () => {
    const file = join(dir, "discard.raw");
    writeFileSync(file, Buffer.alloc(8 * MIB, 0xaa));
    const lba = 2048;
    const count = 2048;
    const output = await bootDisk({
      command: `blk=discard lba=${lba} count=${count}`,
      file,
      drive: ",discard=unmap",
      device: ",discard=on,write-zeroes=on",
    });
    expect(line(output, "discard")).toBe(`discarded=${lba}+${count} zeroed=${lba + count}+${count}`);
    const data = readFileSync(file);
    const start = lba * PATTERN_SECTOR_BYTES;
    const end = (lba + 2 * count) * PATTERN_SECTOR_BYTES;
    expect(data.subarray(start, end).every((b) => b === 0)).toBe(true);
    expect(data.subarray(0, start).every((b) => b === 0xaa)).toBe(true);
    expect(data.subarray(end).every((b) => b === 0xaa)).toBe(true);
  });
});
