// The driver's register tables and ring format, field by field, against the simulator's own
// definitions typed in from the specification (test/sim/virtio/spec). The two are written
// independently; any difference is a bug in one of them.
import { describe, expect, it } from "vitest";
import { NINEP_CONFIG } from "../../drivers/virtio/9p/constants";
import { BLK_CONFIG } from "../../drivers/virtio/blk/constants";
import { CONSOLE_CONFIG } from "../../drivers/virtio/console/constants";
import { COMMON_FEATURE_NAMES, featureNames } from "../../drivers/virtio/features";
import { NET_CONFIG } from "../../drivers/virtio/net/constants";
import { SCSI_CONFIG } from "../../drivers/virtio/scsi/constants";
import type { Register } from "../../drivers/virtio/register";
import { splitRingLayout } from "../../drivers/virtio/ring/split-layout";
import { ALIGN_AVAIL, ALIGN_DESC, ALIGN_USED, AVAIL_NO_INTERRUPT, Desc, DescFlag, MAX_QUEUE_SIZE, RING_HEADER_SIZE, USED_ELEM_SIZE, USED_NO_NOTIFY } from "../../drivers/virtio/ring/split-format";
import { COMMON_CFG } from "../../drivers/virtio/transport/common-cfg";
import { LEGACY_HEADER, LEGACY_QUEUE_ALIGN } from "../../drivers/virtio/transport/legacy-registers";
import { MMIO_REGISTERS } from "../../drivers/virtio/transport/mmio-registers";
import { VIRTIO_PCI_CAP, VIRTIO_PCI_NOTIFY_CAP } from "../../drivers/virtio/transport/pci-capability";
import { virtio_9p_config } from "../sim/virtio/spec/9p";
import { virtio_blk_config } from "../sim/virtio/spec/blk";
import { virtio_console_config } from "../sim/virtio/spec/console";
import { VIRTIO_F, VIRTIO_F_LEGACY, featureBit } from "../sim/virtio/spec/feature-bits";
import type { SpecField, SpecTable } from "../sim/virtio/spec/field";
import { virtio_mmio_legacy_registers, virtio_mmio_registers } from "../sim/virtio/spec/mmio";
import { virtio_net_config } from "../sim/virtio/spec/net";
import { virtio_scsi_config } from "../sim/virtio/spec/scsi";
import { virtio_pci_cap, virtio_pci_notify_cap } from "../sim/virtio/spec/pci-capability";
import { virtio_pci_common_cfg } from "../sim/virtio/spec/pci-common-cfg";
import { virtio_pci_legacy_header, virtio_pci_legacy_msix } from "../sim/virtio/spec/pci-legacy";
import {
  VIRTQ_ALIGN,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_AVAIL_RING_OFFSET,
  VIRTQ_DESC_F,
  VIRTQ_DESC_SIZE,
  VIRTQ_MAX_SIZE,
  VIRTQ_USED_ELEM_SIZE,
  VIRTQ_USED_F_NO_NOTIFY,
  VIRTQ_USED_RING_OFFSET,
  legacyRingLayout,
  splitRingOffsets,
  virtq_desc,
} from "../sim/virtio/spec/split-ring";

type DriverTable = Readonly<Record<string, Register & { readonly count?: number }>>;

interface Block {
  readonly name: string;
  readonly driver: DriverTable;
  /** The specification's structures the block is made of (later ones fill in fields the first lacks). */
  readonly spec: readonly SpecTable[];
  /** Every specification field up to the driver's last one must be in the driver's table too. */
  readonly complete: boolean;
  /** Fields whose access deliberately differs from the specification's modern interface, and why. */
  readonly accessExceptions?: Readonly<Record<string, string>>;
}

const BLOCKS: readonly Block[] = [
  { name: "virtio_pci_common_cfg", driver: COMMON_CFG, spec: [virtio_pci_common_cfg], complete: true },
  { name: "legacy PCI header", driver: LEGACY_HEADER, spec: [virtio_pci_legacy_header, virtio_pci_legacy_msix], complete: true },
  { name: "virtio-mmio registers", driver: MMIO_REGISTERS, spec: [virtio_mmio_registers, virtio_mmio_legacy_registers], complete: false },
  { name: "virtio_pci_cap", driver: VIRTIO_PCI_CAP, spec: [virtio_pci_cap], complete: false },
  { name: "virtio_pci_notify_cap", driver: VIRTIO_PCI_NOTIFY_CAP, spec: [virtio_pci_cap, virtio_pci_notify_cap], complete: false },
  { name: "virtio_blk_config", driver: BLK_CONFIG, spec: [virtio_blk_config], complete: false },
  { name: "virtio_console_config", driver: CONSOLE_CONFIG, spec: [virtio_console_config], complete: true },
  { name: "virtio_9p_config", driver: NINEP_CONFIG, spec: [virtio_9p_config], complete: true },
  { name: "virtio_scsi_config", driver: SCSI_CONFIG, spec: [virtio_scsi_config], complete: true },
  {
    name: "virtio_net_config",
    driver: NET_CONFIG,
    spec: [virtio_net_config],
    complete: false,
    accessExceptions: { mac: "written through legacy interfaces without CTRL_MAC_ADDR (section 5.1.4, legacy interface)" },
  },
];

/** The specification's key for a driver key: the same, or the field of a nested struct (`topology.opt_io_size`). */
function specEntry(spec: readonly SpecTable[], key: string): [string, SpecField] | undefined {
  for (const table of spec) {
    if (key in table) return [key, table[key]];
    const nested = Object.keys(table).filter((k) => k.endsWith(`.${key}`));
    if (nested.length === 1) return [nested[0], table[nested[0]]];
  }
  return undefined;
}

/** Every difference between a driver table and the specification, as readable lines. */
export function tableDifferences(block: Block): string[] {
  const problems: string[] = [];
  let driverEnd = 0;
  for (const [key, entry] of Object.entries(block.driver)) {
    driverEnd = Math.max(driverEnd, entry.offset + entry.width * (entry.count ?? 1));
    const found = specEntry(block.spec, key);
    if (found === undefined) {
      problems.push(`${block.name}.${key}: not in the specification`);
      continue;
    }
    const [specKey, field] = found;
    if (entry.name !== key) problems.push(`${block.name}.${key}: entry named ${entry.name}`);
    if (entry.offset !== field.offset) problems.push(`${block.name}.${key}: offset 0x${entry.offset.toString(16)}, specification (${specKey}) 0x${field.offset.toString(16)}`);
    if (entry.width !== field.width) problems.push(`${block.name}.${key}: width ${entry.width}, specification ${field.width}`);
    if ((entry.count ?? 1) !== (field.count ?? 1)) problems.push(`${block.name}.${key}: count ${entry.count ?? 1}, specification ${field.count ?? 1}`);
    if (entry.access !== field.access && block.accessExceptions?.[key] === undefined) problems.push(`${block.name}.${key}: access ${entry.access}, specification ${field.access}`);
  }
  if (block.complete) {
    for (const table of block.spec) {
      for (const [key, field] of Object.entries(table)) {
        if (field.offset < driverEnd && !(key in block.driver)) problems.push(`${block.name}.${key}: missing from the driver's table`);
      }
    }
  }
  return problems;
}

describe("driver tables against the specification", () => {
  it.each(BLOCKS.map((b) => [b.name, b] as const))("%s matches field by field", (_, block) => {
    expect(tableDifferences(block)).toEqual([]);
  });

  it("finds a wrong offset, width, access, a stray and a missing field (the comparison can fail)", () => {
    const broken: DriverTable = {
      ...COMMON_CFG,
      queue_driver: { ...COMMON_CFG.queue_driver, offset: COMMON_CFG.queue_device.offset },
      num_queues: { ...COMMON_CFG.num_queues, width: 4 },
      device_feature: { ...COMMON_CFG.device_feature, access: "rw" },
      queue_bogus: { name: "queue_bogus", offset: 0x40, width: 2, access: "rw" },
    };
    delete (broken as Record<string, unknown>).queue_enable;
    expect(tableDifferences({ name: "common", driver: broken, spec: [virtio_pci_common_cfg], complete: true })).toEqual([
      "common.device_feature: access rw, specification ro",
      "common.num_queues: width 4, specification 2",
      "common.queue_driver: offset 0x30, specification (queue_driver) 0x28",
      "common.queue_bogus: not in the specification",
      "common.queue_enable: missing from the driver's table",
      "common.queue_notify_data: missing from the driver's table",
      "common.queue_reset: missing from the driver's table",
    ]);
  });
});

describe("driver ring format against the specification", () => {
  it("descriptor fields, flags, element sizes, limits and alignments", () => {
    expect({ size: Desc.Size, addr: Desc.Addr, len: Desc.Len, flags: Desc.Flags, next: Desc.Next }).toEqual({
      size: VIRTQ_DESC_SIZE,
      addr: virtq_desc.addr.offset,
      len: virtq_desc.len.offset,
      flags: virtq_desc.flags.offset,
      next: virtq_desc.next.offset,
    });
    expect({ next: DescFlag.Next, write: DescFlag.Write, indirect: DescFlag.Indirect }).toEqual({ next: VIRTQ_DESC_F.NEXT, write: VIRTQ_DESC_F.WRITE, indirect: VIRTQ_DESC_F.INDIRECT });
    expect([AVAIL_NO_INTERRUPT, USED_NO_NOTIFY]).toEqual([VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_USED_F_NO_NOTIFY]);
    expect([RING_HEADER_SIZE, RING_HEADER_SIZE, USED_ELEM_SIZE, MAX_QUEUE_SIZE]).toEqual([VIRTQ_AVAIL_RING_OFFSET, VIRTQ_USED_RING_OFFSET, VIRTQ_USED_ELEM_SIZE, VIRTQ_MAX_SIZE]);
    expect([ALIGN_DESC, ALIGN_AVAIL, ALIGN_USED]).toEqual([VIRTQ_ALIGN.descriptorTable, VIRTQ_ALIGN.availableRing, VIRTQ_ALIGN.usedRing]);
  });

  it.each([1, 2, 16, 256, 1024, 32768])("places the parts of a %i-entry queue where the specification puts them", (size) => {
    const parts = splitRingOffsets(size);
    const modern = splitRingLayout(size, { contiguous: false, align: ALIGN_DESC });
    expect(modern.avail - modern.desc).toBe(parts.descriptorTableSize);
    expect(modern.usedEvent - modern.avail).toBe(parts.usedEvent);
    expect(modern.availEvent - modern.used).toBe(parts.availEvent);
    expect(modern.used % VIRTQ_ALIGN.usedRing).toBe(0);
    expect(modern.used - (modern.avail + parts.availableRingSize)).toBeLessThan(VIRTQ_ALIGN.usedRing);
    const legacy = splitRingLayout(size, { contiguous: true, align: LEGACY_QUEUE_ALIGN });
    const expected = legacyRingLayout(size, LEGACY_QUEUE_ALIGN);
    expect({ desc: legacy.desc, avail: legacy.avail, used: legacy.used, total: legacy.totalSize }).toEqual({
      desc: expected.descriptorTable,
      avail: expected.availableRing,
      used: expected.usedRing,
      total: expected.totalSize,
    });
  });
});

describe("driver feature names against the specification", () => {
  it("names each device-independent bit as the specification does, and only those it names", () => {
    const spec: Record<string, number> = { ...VIRTIO_F, ...VIRTIO_F_LEGACY };
    for (const [bit, name] of COMMON_FEATURE_NAMES) expect(spec[name.toUpperCase().replaceAll("-", "_")], name).toBe(bit);
    const named = COMMON_FEATURE_NAMES.map(([bit]) => bit);
    expect(featureNames(named.reduce((mask, bit) => mask | featureBit(bit), 0n), COMMON_FEATURE_NAMES)).toEqual(
      [...COMMON_FEATURE_NAMES].sort((a, b) => a[0] - b[0]).map(([, name]) => name),
    );
  });
});
