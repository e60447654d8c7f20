// Validation of the virtio PCI vendor capabilities (virtio 1.2 section 4.1.4): which ones the
// transport accepts, which it skips, and what it says when none of a kind is usable.
import { describe, expect, it } from "vitest";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { PciCapabilityId } from "../../kernel/pci/registers";
import { VirtioTransportError } from "../../drivers/virtio/errors";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { BLK_CONFIG } from "../../drivers/virtio/blk/constants";
import { BlkModel } from "../sim/virtio/blk-model";
import { addVirtioPci, ModernBar, type SimVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";

/** struct virtio_pci_cap, as offsets from the capability (virtio 1.2 section 4.1.4). */
const Cap = { Len: 2, CfgType: 3, Bar: 4, Offset: 8, Length: 12 } as const;
const CfgType = { Common: 1, Notify: 2, Isr: 3, Device: 4 } as const;
/** sizeof(struct virtio_pci_common_cfg) up to queue_device, the fields the driver uses. */
const COMMON_CFG_LENGTH = 0x38;
const SECTORS = 2048;

/** A virtio-blk function (slot 3) whose capabilities `spoil` may change before it is enumerated. */
function rig(spoil: (sim: SimVirtioPci) => void = () => {}, layout: VirtioPciLayout = "modern") {
  const machine = new SimMachine();
  const model = new BlkModel(machine.memory, machine.violations, { sectors: SECTORS });
  const sim = addVirtioPci(machine, model, { device: 3, layout });
  spoil(sim);
  const config = new PortPciConfig(machine.ports);
  const [fn] = enumeratePci(config);
  return { machine, sim, create: () => createPciTransport(machine, config, fn) };
}

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

/** The bytes of a struct virtio_pci_cap after its id and next pointer. */
function virtioCapBody(cfgType: number, bar: number, offset: number, length: number): number[] {
  return [16, cfgType, bar, 0, 0, 0, ...le32(offset), ...le32(length)];
}

/** A vendor capability appended to the list: a `cfgType` window of `length` bytes at `offset` in `bar`. */
function addVendorCap(sim: SimVirtioPci, cfgType: number, bar: number, offset: number, length: number): number {
  return sim.fn.addCapability(PciCapabilityId.Vendor, virtioCapBody(cfgType, bar, offset, length));
}

/** The `detail` of the error creating the transport throws (it must be a no-transport error). */
function failure(spoil: (sim: SimVirtioPci) => void): { detail: string; caps: Record<string, number> } {
  const { sim, create } = rig(spoil);
  let thrown: unknown;
  try {
    create();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(VirtioTransportError);
  const error = thrown as VirtioTransportError;
  expect(error.code).toBe("no-transport");
  expect(error.deviceName).toBe("00:03.0");
  return { detail: error.detail, caps: sim.caps };
}

const hex = (n: number) => `0x${n.toString(16)}`;

describe("virtio PCI capabilities: what is accepted", () => {
  it("reads the common and device windows the capabilities name", () => {
    const { machine, create } = rig();
    const transport = create();
    expect(transport.kind).toBe("modern");
    expect(transport.notifyKind).toBe("mem");
    expect(transport.numQueues()).toBe(1);
    expect(transport.readConfig64(BLK_CONFIG.capacity)).toBe(BigInt(SECTORS));
    assertNoViolations(machine.violations);
  });

  it("accepts structures and windows of exactly the minimum sizes", () => {
    const { create } = rig((sim) => {
      sim.fn.poke32(sim.caps.common + Cap.Length, COMMON_CFG_LENGTH);
      sim.fn.poke32(sim.caps.notify + Cap.Length, 2);
      sim.fn.poke32(sim.caps.isr + Cap.Length, 1);
      sim.fn.poke32(sim.caps.device + Cap.Length, 1);
    });
    const transport = create();
    expect(transport.kind).toBe("modern");
    expect(transport.numQueues()).toBe(1);
  });

  it("accepts a window that ends exactly at the end of its BAR", () => {
    const { create } = rig((sim) => sim.fn.poke32(sim.caps.common + Cap.Length, ModernBar.Size));
    expect(create().numQueues()).toBe(1);
  });

  it("takes the first usable capability of a type and ignores later ones", () => {
    // A second common capability over the device-config window would read nonsense if it were used.
    const { create } = rig((sim) => addVendorCap(sim, CfgType.Common, ModernBar.Index, ModernBar.Device, COMMON_CFG_LENGTH));
    const transport = create();
    expect(transport.numQueues()).toBe(1);
    expect(transport.readConfig64(BLK_CONFIG.capacity)).toBe(BigInt(SECTORS));
  });

  it("skips an unusable capability for a later usable one of the same type", () => {
    const { machine, create } = rig((sim) => {
      sim.fn.poke8(sim.caps.common + Cap.Bar, 3);
      addVendorCap(sim, CfgType.Common, ModernBar.Index, ModernBar.Common, COMMON_CFG_LENGTH);
    });
    const transport = create();
    expect(transport.kind).toBe("modern");
    expect(transport.numQueues()).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("ignores capability types it does not use, however malformed", () => {
    const { create } = rig((sim) => {
      addVendorCap(sim, 0, 7, 0xffff_0000, 0);
      addVendorCap(sim, 9, 7, 0xffff_0000, 0);
    });
    expect(create().kind).toBe("modern");
  });
});

describe("virtio PCI capabilities: what is refused, and why", () => {
  it("a capability shorter than struct virtio_pci_cap", () => {
    const { detail, caps } = failure((sim) => sim.fn.poke8(sim.caps.common + Cap.Len, 15));
    expect(detail).toBe(`no usable common capability; cap@${hex(caps.common)} type 1: cap_len 15 < 16`);
  });

  it("a notify capability without its notify_off_multiplier", () => {
    const { detail, caps } = failure((sim) => sim.fn.poke8(sim.caps.notify + Cap.Len, 19));
    expect(detail).toBe(`no usable notify capability; cap@${hex(caps.notify)} type 2: cap_len 19 < 20`);
  });

  it("windows shorter than the structure they hold", () => {
    expect(failure((sim) => sim.fn.poke32(sim.caps.common + Cap.Length, COMMON_CFG_LENGTH - 1)).detail).toMatch(
      /^no usable common capability; cap@0x[0-9a-f]+ type 1: length 55 < 56$/,
    );
    expect(failure((sim) => sim.fn.poke32(sim.caps.notify + Cap.Length, 1)).detail).toMatch(
      /^no usable notify capability; cap@0x[0-9a-f]+ type 2: length 1 < 2$/,
    );
    expect(failure((sim) => sim.fn.poke32(sim.caps.isr + Cap.Length, 0)).detail).toMatch(/^no usable isr capability; cap@0x[0-9a-f]+ type 3: length 0 < 1$/);
  });

  it("a window reaching one byte past the end of its BAR", () => {
    const { detail, caps } = failure((sim) => sim.fn.poke32(sim.caps.isr + Cap.Offset, ModernBar.Size));
    expect(detail).toBe(`no usable isr capability; cap@${hex(caps.isr)} type 3: [0x4000, +0x1) outside BAR4 (0x4000)`);
    expect(failure((sim) => sim.fn.poke32(sim.caps.common + Cap.Length, ModernBar.Size + 1)).detail).toMatch(
      /type 1: \[0x0, \+0x4001\) outside BAR4 \(0x4000\)$/,
    );
  });

  it("a BAR above 5, or one the function does not implement", () => {
    expect(failure((sim) => sim.fn.poke8(sim.caps.common + Cap.Bar, 6)).detail).toMatch(/^no usable common capability; cap@0x[0-9a-f]+ type 1: BAR6 absent or unassigned$/);
    expect(failure((sim) => sim.fn.poke8(sim.caps.isr + Cap.Bar, 3)).detail).toMatch(/^no usable isr capability; cap@0x[0-9a-f]+ type 3: BAR3 absent or unassigned$/);
  });

  it("names every missing kind, then every problem in capability order", () => {
    const { detail, caps } = failure((sim) => {
      sim.fn.poke8(sim.caps.common + Cap.Bar, 6);
      sim.fn.poke8(sim.caps.isr + Cap.Len, 2);
      sim.fn.poke32(sim.caps.notify + Cap.Length, 0);
    });
    expect(detail).toBe(
      [
        "no usable common/notify/isr capability",
        `cap@${hex(caps.common)} type 1: BAR6 absent or unassigned`,
        `cap@${hex(caps.notify)} type 2: length 0 < 2`,
        `cap@${hex(caps.isr)} type 3: cap_len 2 < 16`,
      ].join("; "),
    );
  });

  it("a capability of another id is never read as a virtio one, however much it looks like one", () => {
    const { detail } = failure((sim) => {
      sim.fn.poke8(sim.caps.common + Cap.Bar, 6);
      // A PCI Express capability (id 0x10) whose bytes spell a usable common window.
      sim.fn.addCapability(PciCapabilityId.PciExpress, virtioCapBody(CfgType.Common, ModernBar.Index, ModernBar.Common, COMMON_CFG_LENGTH));
    });
    expect(detail).toMatch(/^no usable common capability; cap@0x[0-9a-f]+ type 1: BAR6 absent or unassigned$/);
  });

  it("a bad device-config capability alone does not make the function unusable", () => {
    const { create } = rig((sim) => sim.fn.poke8(sim.caps.device + Cap.Bar, 6));
    const transport = create();
    expect(transport.kind).toBe("modern");
    expect(transport.numQueues()).toBe(1);
  });
});
