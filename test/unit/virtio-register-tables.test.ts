import { describe, expect, it } from "vitest";
import { BLK_CONFIG } from "../../drivers/virtio/blk/constants";
import { NET_CONFIG } from "../../drivers/virtio/net/constants";
import {
  blockLength,
  readRegister,
  readRegister64,
  register,
  registerArray,
  registerEnd,
  writeRegister,
  writeRegister64,
  type RegisterReadPort,
  type RegisterTable,
  type RegisterWritePort,
} from "../../drivers/virtio/register";
import { COMMON_CFG, COMMON_CFG_MIN_LENGTH, ISR_MIN_LENGTH, PCI_ISR } from "../../drivers/virtio/transport/common-cfg";
import { LEGACY_CONFIG_OFFSET, LEGACY_CONFIG_OFFSET_MSIX, LEGACY_HEADER } from "../../drivers/virtio/transport/legacy-registers";
import { MMIO_CONFIG_OFFSET, MMIO_REGISTERS } from "../../drivers/virtio/transport/mmio-registers";
import {
  VIRTIO_CAP_MIN_LENGTH,
  VIRTIO_NOTIFY_CAP_MIN_LENGTH,
  VIRTIO_PCI_CAP,
  VIRTIO_PCI_NOTIFY_CAP,
} from "../../drivers/virtio/transport/pci-capability";
import { LEGACY_HEADER_LENGTH } from "../../drivers/virtio/transport/pci-legacy";

/** Every register table of the driver. */
const TABLES: ReadonlyArray<readonly [name: string, table: RegisterTable]> = [
  ["COMMON_CFG", COMMON_CFG],
  ["PCI_ISR", PCI_ISR],
  ["VIRTIO_PCI_CAP", VIRTIO_PCI_CAP],
  ["VIRTIO_PCI_NOTIFY_CAP", VIRTIO_PCI_NOTIFY_CAP],
  ["LEGACY_HEADER", LEGACY_HEADER],
  ["MMIO_REGISTERS", MMIO_REGISTERS],
  ["BLK_CONFIG", BLK_CONFIG],
  ["NET_CONFIG", NET_CONFIG],
];

/**
 * The transport blocks with the length the transport checks before using them. Device
 * configurations have none: their windows are as long as the device says, and every access is
 * bounds-checked.
 */
const VALIDATED_LENGTHS: ReadonlyArray<readonly [name: string, table: RegisterTable, validatedLength: number]> = [
  ["COMMON_CFG", COMMON_CFG, COMMON_CFG_MIN_LENGTH],
  ["PCI_ISR", PCI_ISR, ISR_MIN_LENGTH],
  ["VIRTIO_PCI_CAP", VIRTIO_PCI_CAP, VIRTIO_CAP_MIN_LENGTH],
  ["VIRTIO_PCI_NOTIFY_CAP", VIRTIO_PCI_NOTIFY_CAP, VIRTIO_NOTIFY_CAP_MIN_LENGTH],
  ["LEGACY_HEADER", LEGACY_HEADER, LEGACY_HEADER_LENGTH],
  ["MMIO_REGISTERS", MMIO_REGISTERS, MMIO_CONFIG_OFFSET],
];

describe.each(TABLES)("register table %s", (_name, table) => {
  const entries = Object.entries(table);

  it("names every entry by its key, once", () => {
    for (const [key, reg] of entries) expect(reg.name).toBe(key);
    expect(new Set(entries.map(([, reg]) => reg.name)).size).toBe(entries.length);
  });

  it("aligns every offset to its width", () => {
    for (const [, reg] of entries) {
      expect(Number.isInteger(reg.offset) && reg.offset >= 0, reg.name).toBe(true);
      expect(reg.offset % reg.width, reg.name).toBe(0);
      if (reg.count !== undefined) expect(Number.isInteger(reg.count) && reg.count > 1, reg.name).toBe(true);
    }
  });

  it("has no two entries overlapping", () => {
    const sorted = entries.map(([, reg]) => reg).sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i].offset, `${sorted[i - 1].name} runs into ${sorted[i].name}`).toBeGreaterThanOrEqual(registerEnd(sorted[i - 1]));
    }
  });
});

describe.each(VALIDATED_LENGTHS)("register table %s", (_name, table, validatedLength) => {
  it("fits in the length the transport validates", () => {
    expect(blockLength(table)).toBeLessThanOrEqual(validatedLength);
  });
});

describe("register layout facts the transports rely on", () => {
  it("puts the legacy device configuration right after the header, with and without the MSI-X vectors", () => {
    expect(LEGACY_CONFIG_OFFSET).toBe(registerEnd(LEGACY_HEADER.isr_status));
    expect(LEGACY_HEADER.config_msix_vector.offset).toBe(LEGACY_CONFIG_OFFSET);
    expect(LEGACY_CONFIG_OFFSET_MSIX).toBe(blockLength(LEGACY_HEADER));
  });

  it("gives the notify capability the plain capability's fields at the same places", () => {
    for (const [key, reg] of Object.entries(VIRTIO_PCI_CAP)) expect(VIRTIO_PCI_NOTIFY_CAP[key as keyof typeof VIRTIO_PCI_CAP]).toEqual(reg);
  });
});

/** Records each access as "<op><width>@<offset>=<value>". */
function recordingPort(reads: Record<number, number> = {}): RegisterReadPort & RegisterWritePort & { log: string[] } {
  const log: string[] = [];
  const read = (width: number) => (offset: number) => {
    log.push(`r${width}@${offset}`);
    return reads[offset] ?? 0;
  };
  const write = (width: number) => (offset: number, value: number) => {
    log.push(`w${width}@${offset}=${value}`);
  };
  return { log, read8: read(1), read16: read(2), read32: read(4), write8: write(1), write16: write(2), write32: write(4) };
}

describe("register accessors", () => {
  it("access each entry with exactly its width", () => {
    const port = recordingPort();
    readRegister(port, COMMON_CFG.device_status);
    readRegister(port, COMMON_CFG.num_queues);
    readRegister(port, COMMON_CFG.device_feature);
    writeRegister(port, COMMON_CFG.queue_select, 3);
    expect(port.log).toEqual(["r1@20", "r2@18", "r4@4", "w2@22=3"]);
  });

  it("split 64-bit fields into two 32-bit accesses, low half first", () => {
    const port = recordingPort({ 0x20: 0x89ab_cdef, 0x24: 0x1234 });
    expect(readRegister64(port, COMMON_CFG.queue_desc)).toBe(0x1234_89ab_cdefn);
    writeRegister64(port, COMMON_CFG.queue_driver, 0x1_2345_6789);
    expect(port.log).toEqual(["r4@32", "r4@36", "w4@40=591751049", "w4@44=1"]);
  });

  it("reach the elements of an array field and refuse indices beyond it", () => {
    const port = recordingPort();
    readRegister(port, NET_CONFIG.mac, 5);
    writeRegister(port, NET_CONFIG.mac, 0x52, 1);
    expect(port.log).toEqual(["r1@5", "w1@1=82"]);
    expect(() => readRegister(port, NET_CONFIG.mac, 6)).toThrow(RangeError);
    expect(() => readRegister(port, NET_CONFIG.status, 1)).toThrow(RangeError);
  });

  it("place the elements of an array field of wider elements one width apart, and end after the last", () => {
    const pairs = registerArray("pairs", 4, 2, 3, "rw");
    const port = recordingPort();
    readRegister(port, pairs, 2);
    writeRegister(port, pairs, 7, 1);
    expect(port.log).toEqual(["r2@8", "w2@6=7"]);
    expect(registerEnd(pairs)).toBe(10);
    const single = register("queue_size", 12, 2, "rw");
    expect(single).toEqual({ name: "queue_size", offset: 12, width: 2, access: "rw" });
    expect(registerEnd(single)).toBe(14);
  });

  it("refuse a negative or fractional element index, naming the field and its length", () => {
    const port = recordingPort();
    expect(() => readRegister(port, NET_CONFIG.mac, -1)).toThrow(RangeError);
    expect(() => readRegister(port, NET_CONFIG.mac, -1)).toThrow(/mac\[-1\].* 6 element/);
    expect(() => writeRegister(port, NET_CONFIG.mac, 0, 1.5)).toThrow(/mac\[1\.5\].* 6 element/);
    expect(() => readRegister(port, NET_CONFIG.status, 2)).toThrow(/status\[2\].* 1 element/);
    expect(port.log).toEqual([]);
  });

  it("refuse, in the types, writes to read-only entries and reads of write-only ones", () => {
    const port = recordingPort();
    // Never called: the checks are the compiler's.
    const typeChecks = (): void => {
      // @ts-expect-error device_feature is read-only for the driver
      writeRegister(port, COMMON_CFG.device_feature, 0);
      // @ts-expect-error QueueNotify is write-only
      readRegister(port, MMIO_REGISTERS.QueueNotify);
      // @ts-expect-error an 8-byte field takes the 64-bit accessor
      readRegister(port, COMMON_CFG.queue_desc);
    };
    expect(typeof typeChecks).toBe("function");
  });
});
