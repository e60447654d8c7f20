import { describe, expect, it } from "vitest";
import { PciCommand, PciReg } from "../../kernel/pci/registers";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { BlkModel } from "../sim/virtio/blk-model";
import type { VirtioDeviceModel } from "../sim/virtio/device-model";
import { addVirtioMmio } from "../sim/virtio/mmio-device";
import { NetModel } from "../sim/virtio/net-model";
import { ModernBar, addVirtioPci } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";
import { VIRTIO_BLK_F, virtio_blk_config } from "../sim/virtio/spec/blk";
import { DEVICE_STATUS } from "../sim/virtio/spec/device-status";
import { VIRTIO_F, featureBit } from "../sim/virtio/spec/feature-bits";
import { VIRTIO_MMIO_CONFIG_OFFSET, virtio_mmio_registers } from "../sim/virtio/spec/mmio";
import { VIRTIO_NET_F } from "../sim/virtio/spec/net";
import { virtio_pci_common_cfg as cfg } from "../sim/virtio/spec/pci-common-cfg";
import { VIRTIO_PCI_LEGACY_QUEUE_ADDRESS_SHIFT, virtio_pci_legacy_header as legacy } from "../sim/virtio/spec/pci-legacy";
import {
  VIRTQ_AVAIL_ELEM_SIZE,
  VIRTQ_AVAIL_RING_OFFSET,
  VIRTQ_DESC_F,
  VIRTQ_DESC_SIZE,
  splitRingOffsets,
  virtq_avail,
  virtq_desc,
  virtq_used,
} from "../sim/virtio/spec/split-ring";

const { ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK } = DEVICE_STATUS;
const QUEUE_SIZE = 8;
const PAGE = 4096;
const MMIO_BASE = 0xfeb0_0000;

/**
 * A modern PCI function driven by raw register accesses written from the specification alone:
 * each test makes one driver-side mistake and expects the simulator to name it.
 */
function modern<M extends VirtioDeviceModel>(make: (machine: SimMachine) => M = (m) => new RngModel(m.memory, m.violations, QUEUE_SIZE) as unknown as M) {
  const machine = new SimMachine();
  const model = make(machine);
  const { fn, bars } = addVirtioPci(machine, model, { device: 3, layout: "modern" });
  fn.writeConfig(PciReg.Command, 2, PciCommand.MemorySpace);
  const bar = bars.modern ?? 0;
  machine.mapPhysical(bar, ModernBar.Size);
  const at = (field: { offset: number }) => bar + ModernBar.Common + field.offset;
  const mmio = machine.mmio;
  const status = (value: number) => mmio.write8(at(cfg.device_status), value);
  const features = (value: bigint) => {
    for (const select of [0, 1]) {
      mmio.write32(at(cfg.driver_feature_select), select);
      mmio.write32(at(cfg.driver_feature), Number((value >> BigInt(32 * select)) & 0xffff_ffffn));
    }
  };
  /** ACKNOWLEDGE, DRIVER, the features, FEATURES_OK. */
  const negotiate = (extra = 0n) => {
    status(ACKNOWLEDGE);
    status(ACKNOWLEDGE | DRIVER);
    features(featureBit(VIRTIO_F.VERSION_1) | extra);
    status(ACKNOWLEDGE | DRIVER | FEATURES_OK);
  };
  /** Queue 0 of QUEUE_SIZE entries in one page-aligned area, parts packed at the spec's alignments. */
  const ring = machine.memory.allocate(4 * PAGE, PAGE, Number.MAX_SAFE_INTEGER);
  const parts = splitRingOffsets(QUEUE_SIZE);
  const desc = ring.physical;
  const avail = desc + parts.descriptorTableSize;
  const used = Math.ceil((avail + parts.availableRingSize) / 4) * 4;
  const buffers = machine.memory.allocate(4 * PAGE, PAGE, Number.MAX_SAFE_INTEGER);
  const setUpQueue = (addresses = { desc, avail, used }) => {
    mmio.write16(at(cfg.queue_select), 0);
    mmio.write16(at(cfg.queue_size), QUEUE_SIZE);
    mmio.write64(at(cfg.queue_desc), BigInt(addresses.desc));
    mmio.write64(at(cfg.queue_driver), BigInt(addresses.avail));
    mmio.write64(at(cfg.queue_device), BigInt(addresses.used));
    mmio.write16(at(cfg.queue_enable), 1);
  };
  const view = (address: number, length: number) => machine.memory.dataView(address, length) as DataView;
  /** Brings the device to DRIVER_OK with queue 0 set up. */
  const ready = (extra = 0n) => {
    negotiate(extra);
    setUpQueue();
    status(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
    assertNoViolations(machine.violations);
  };
  /** Writes descriptor `index` of the table at `table`. */
  const writeDesc = (table: number, index: number, d: { addr?: number; len: number; flags: number; next?: number }) => {
    const v = view(table + index * VIRTQ_DESC_SIZE, VIRTQ_DESC_SIZE);
    v.setBigUint64(virtq_desc.addr.offset, BigInt(d.addr ?? buffers.physical), true);
    v.setUint32(virtq_desc.len.offset, d.len, true);
    v.setUint16(virtq_desc.flags.offset, d.flags, true);
    v.setUint16(virtq_desc.next.offset, d.next ?? 0, true);
  };
  let availIdx = 0;
  /** Makes the chain at `head` available and notifies queue 0. */
  const offer = (head: number) => {
    const v = view(avail, parts.availableRingSize);
    v.setUint16(VIRTQ_AVAIL_RING_OFFSET + VIRTQ_AVAIL_ELEM_SIZE * (availIdx % QUEUE_SIZE), head, true);
    availIdx = (availIdx + 1) & 0xffff;
    v.setUint16(virtq_avail.idx.offset, availIdx, true);
    mmio.write16(bar + ModernBar.Notify, 0);
  };
  return { machine, model, bar, at, status, features, negotiate, setUpQueue, ready, writeDesc, offer, view, desc, avail, used, buffers };
}

function expectViolation(machine: SimMachine, pattern: RegExp) {
  expect(() => assertNoViolations(machine.violations)).toThrow(pattern);
}

describe("driver requirements the simulator checks", () => {
  describe("status sequence and feature negotiation (3.1.1, 2.2.1)", () => {
    it("FEATURES_OK without DRIVER, DRIVER_OK without DRIVER", () => {
      const d = modern();
      d.status(ACKNOWLEDGE | FEATURES_OK);
      expectViolation(d.machine, /FEATURES_OK set without DRIVER/);
      d.machine.violations.clear();
      d.status(ACKNOWLEDGE | FEATURES_OK | DRIVER_OK);
      expectViolation(d.machine, /DRIVER_OK set without DRIVER/);
    });

    it("re-initialising before a read of the status confirmed the reset", () => {
      const d = modern();
      d.status(0);
      d.status(ACKNOWLEDGE);
      expectViolation(d.machine, /written before a read confirmed the reset/);
      d.machine.violations.clear();
      d.status(0);
      expect(d.machine.mmio.read8(d.at(cfg.device_status))).toBe(0);
      d.status(ACKNOWLEDGE);
      assertNoViolations(d.machine.violations);
    });

    it("a feature accepted without the feature it requires", () => {
      const d = modern((m) => new NetModel(m.memory, m.violations));
      d.status(ACKNOWLEDGE);
      d.status(ACKNOWLEDGE | DRIVER);
      d.features(featureBit(VIRTIO_F.VERSION_1) | featureBit(VIRTIO_NET_F.CTRL_RX));
      d.status(ACKNOWLEDGE | DRIVER | FEATURES_OK);
      expectViolation(d.machine, new RegExp(`feature ${VIRTIO_NET_F.CTRL_RX} accepted without ${VIRTIO_NET_F.CTRL_VQ}`));
      expect(d.machine.mmio.read8(d.at(cfg.device_status)) & FEATURES_OK).toBe(0);
    });

    it("driver features written after FEATURES_OK", () => {
      const d = modern();
      d.negotiate();
      d.features(featureBit(VIRTIO_F.VERSION_1));
      expectViolation(d.machine, /driver features written after FEATURES_OK/);
    });
  });

  describe("queue set-up (4.1.4.3.2, 2.7)", () => {
    it("queue set-up before FEATURES_OK", () => {
      const d = modern();
      d.status(ACKNOWLEDGE);
      d.status(ACKNOWLEDGE | DRIVER);
      d.setUpQueue();
      expectViolation(d.machine, /queue_size written before FEATURES_OK/);
    });

    it("queue set-up after DRIVER_OK", () => {
      const d = modern();
      d.ready();
      d.machine.mmio.write16(d.at(cfg.queue_select), 0);
      d.machine.mmio.write16(d.at(cfg.queue_size), QUEUE_SIZE);
      expectViolation(d.machine, /queue_size written after DRIVER_OK/);
    });

    it.each([
      ["descriptor table", { dDesc: 8, dAvail: 0, dUsed: 0 }, /descriptor table 0x[0-9a-f]+ not 16-aligned/],
      ["available ring", { dDesc: 0, dAvail: 1, dUsed: 0 }, /available ring 0x[0-9a-f]+ not 2-aligned/],
      ["used ring", { dDesc: 0, dAvail: 0, dUsed: 2 }, /used ring 0x[0-9a-f]+ not 4-aligned/],
    ])("a misaligned %s", (_, shift, pattern) => {
      const d = modern();
      d.negotiate();
      d.setUpQueue({ desc: d.desc + shift.dDesc, avail: d.avail + shift.dAvail, used: d.used + 16 + shift.dUsed });
      expectViolation(d.machine, pattern);
      expect(d.model.queues[0].enabled).toBe(false);
    });

    it("used ring flags not initialised to 0", () => {
      const d = modern();
      d.negotiate();
      d.view(d.used, 2).setUint16(virtq_used.flags.offset, 1, true);
      d.setUpQueue();
      expectViolation(d.machine, /used ring flags 0x1 not initialised to 0/);
    });

    it("writes to read-only fields and accesses of the wrong width", () => {
      const d = modern();
      d.machine.mmio.write16(d.at(cfg.queue_notify_off), 1);
      expectViolation(d.machine, /write to read-only queue_notify_off/);
      d.machine.violations.clear();
      d.machine.mmio.write32(d.at(cfg.queue_select), 0);
      expectViolation(d.machine, /4-byte access at 0x16 to 2-byte queue_select/);
    });

    it("queue_reset without VIRTIO_F_RING_RESET", () => {
      const d = modern();
      d.machine.mmio.write16(d.at(cfg.queue_reset), 1);
      expectViolation(d.machine, /queue_reset written without VIRTIO_F_RING_RESET/);
    });

    it("notify of a queue that is not enabled", () => {
      const d = modern((m) => new RngModel(m.memory, m.violations, QUEUE_SIZE) as unknown as VirtioDeviceModel);
      d.negotiate();
      d.status(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
      d.machine.mmio.write16(d.bar + ModernBar.Notify, 0);
      expectViolation(d.machine, /notify of disabled queue 0/);
    });
  });

  describe("device configuration accesses (4.1.3.1)", () => {
    const blk = () => modern((m) => new BlkModel(m.memory, m.violations, { sectors: 64 }));
    it("a width that does not match the field", () => {
      const d = blk();
      d.machine.mmio.read16(d.bar + ModernBar.Device + virtio_blk_config.blk_size.offset);
      expectViolation(d.machine, /2-byte access at 20 to 4-byte blk_size/);
    });

    it("a 64-bit field read in one 64-bit access instead of two 32-bit ones", () => {
      const d = blk();
      d.machine.mmio.read64(d.bar + ModernBar.Device + virtio_blk_config.capacity.offset);
      expectViolation(d.machine, /8-byte access at 0 to 8-byte capacity/);
      d.machine.violations.clear();
      d.machine.mmio.read32(d.bar + ModernBar.Device + virtio_blk_config.capacity.offset + 4);
      assertNoViolations(d.machine.violations);
    });

    it("a write to a read-only field", () => {
      const d = blk();
      d.machine.mmio.write32(d.bar + ModernBar.Device + virtio_blk_config.seg_max.offset, 1);
      expectViolation(d.machine, /write to read-only seg_max/);
    });

    it("writeback written without CONFIG_WCE negotiated, and accepted with it", () => {
      const without = blk();
      without.negotiate();
      without.machine.mmio.write8(without.bar + ModernBar.Device + virtio_blk_config.writeback.offset, 1);
      expectViolation(without.machine, /write to read-only device config at 32/);
      const withWce = modern((m) => new BlkModel(m.memory, m.violations, { sectors: 64, writeback: false }));
      withWce.negotiate(featureBit(VIRTIO_BLK_F.CONFIG_WCE));
      withWce.machine.mmio.write8(withWce.bar + ModernBar.Device + virtio_blk_config.writeback.offset, 1);
      assertNoViolations(withWce.machine.violations);
      expect(withWce.model.config[virtio_blk_config.writeback.offset]).toBe(1);
    });
  });

  describe("split ring descriptors (2.7.5)", () => {
    const WRITE = VIRTQ_DESC_F.WRITE;
    const NEXT = VIRTQ_DESC_F.NEXT;
    const INDIRECT = VIRTQ_DESC_F.INDIRECT;

    it("a well-formed chain is accepted (the baseline for the cases below)", () => {
      const d = modern();
      d.ready();
      d.writeDesc(d.desc, 0, { len: 16, flags: WRITE });
      d.offer(0);
      assertNoViolations(d.machine.violations);
      expect(d.model.queues[0].usedIdx).toBe(1);
    });

    it("INDIRECT together with NEXT", () => {
      const d = modern();
      d.ready(featureBit(VIRTIO_F.INDIRECT_DESC));
      d.writeDesc(d.desc, 0, { len: 2 * VIRTQ_DESC_SIZE, flags: INDIRECT | NEXT, next: 1 });
      d.offer(0);
      expectViolation(d.machine, /INDIRECT together with NEXT/);
    });

    it("INDIRECT inside an indirect table", () => {
      const d = modern();
      d.ready(featureBit(VIRTIO_F.INDIRECT_DESC));
      const table = d.buffers.physical + PAGE;
      d.writeDesc(table, 0, { addr: table, len: VIRTQ_DESC_SIZE, flags: INDIRECT });
      d.writeDesc(d.desc, 0, { addr: table, len: VIRTQ_DESC_SIZE, flags: INDIRECT });
      d.offer(0);
      expectViolation(d.machine, /INDIRECT inside an indirect table/);
    });

    it("INDIRECT without INDIRECT_DESC negotiated", () => {
      const d = modern();
      d.ready();
      d.writeDesc(d.desc, 0, { addr: d.buffers.physical + PAGE, len: VIRTQ_DESC_SIZE, flags: INDIRECT });
      d.offer(0);
      expectViolation(d.machine, /INDIRECT descriptor without INDIRECT_DESC negotiated/);
    });

    it("an indirect table making the chain longer than the queue size", () => {
      const d = modern();
      d.ready(featureBit(VIRTIO_F.INDIRECT_DESC));
      const table = d.buffers.physical + PAGE;
      const entries = QUEUE_SIZE + 1;
      for (let i = 0; i < entries; i++) d.writeDesc(table, i, { len: 16, flags: WRITE | (i + 1 < entries ? NEXT : 0), next: i + 1 });
      d.writeDesc(d.desc, 0, { addr: table, len: entries * VIRTQ_DESC_SIZE, flags: INDIRECT });
      d.offer(0);
      expectViolation(d.machine, /indirect table of 9 entries is longer than the queue size 8/);
    });

    it("a chain that loops", () => {
      const d = modern();
      d.ready();
      d.writeDesc(d.desc, 0, { len: 16, flags: NEXT, next: 1 });
      d.writeDesc(d.desc, 1, { len: 16, flags: NEXT, next: 0 });
      d.offer(0);
      expectViolation(d.machine, /descriptor chain from 0 longer than 8 \(loop\)/);
    });

    it("a chain longer than 2^32 bytes", () => {
      const d = modern();
      d.ready();
      d.writeDesc(d.desc, 0, { len: 0xffff_ffff, flags: NEXT, next: 1 });
      d.writeDesc(d.desc, 1, { len: 2, flags: 0 });
      d.offer(0);
      expectViolation(d.machine, /descriptor chain from 0 longer than 2\^32 bytes/);
    });

    it("a device-readable descriptor after a device-writable one", () => {
      const d = modern();
      d.ready();
      d.writeDesc(d.desc, 0, { len: 16, flags: WRITE | NEXT, next: 1 });
      d.writeDesc(d.desc, 1, { len: 16, flags: 0 });
      d.offer(0);
      expectViolation(d.machine, /readable descriptor 1 after a writable one/);
    });

    it("a descriptor made available again while the device still owns it", () => {
      const d = modern();
      d.ready();
      d.model.holdCompletions = true;
      d.writeDesc(d.desc, 0, { len: 16, flags: WRITE });
      d.offer(0);
      assertNoViolations(d.machine.violations);
      d.offer(0);
      expectViolation(d.machine, /descriptor 0 made available again while the device still owns it/);
      d.machine.violations.clear();
      d.model.holdCompletions = false;
      d.model.releaseHeld(0);
      d.offer(0);
      assertNoViolations(d.machine.violations);
    });

    it("avail idx moved more than the queue size ahead", () => {
      const d = modern();
      d.ready();
      d.view(d.avail, 4).setUint16(virtq_avail.idx.offset, QUEUE_SIZE + 1, true);
      d.machine.mmio.write16(d.bar + ModernBar.Notify, 0);
      expectViolation(d.machine, /avail idx 9 is 9 ahead of 0 \(size 8\)/);
    });

    it("avail flags other than 0 with EVENT_IDX, other than 0 or 1 without", () => {
      const withEventIdx = modern();
      withEventIdx.ready(featureBit(VIRTIO_F.EVENT_IDX));
      withEventIdx.view(withEventIdx.avail, 2).setUint16(virtq_avail.flags.offset, 1, true);
      withEventIdx.writeDesc(withEventIdx.desc, 0, { len: 16, flags: WRITE });
      withEventIdx.offer(0);
      expectViolation(withEventIdx.machine, /avail flags 0x1 with EVENT_IDX/);
      const without = modern();
      without.ready();
      without.view(without.avail, 2).setUint16(virtq_avail.flags.offset, 2, true);
      without.writeDesc(without.desc, 0, { len: 16, flags: WRITE });
      without.offer(0);
      expectViolation(without.machine, /avail flags 0x2 \(must be 0 or 1\)/);
    });
  });

  describe("virtio-mmio (4.2.2.2)", () => {
    function mmioDevice() {
      const machine = new SimMachine();
      const model = new RngModel(machine.memory, machine.violations, QUEUE_SIZE);
      addVirtioMmio(machine, model, MMIO_BASE, 2);
      machine.mapPhysical(MMIO_BASE, VIRTIO_MMIO_CONFIG_OFFSET);
      const reg = (name: keyof typeof virtio_mmio_registers) => MMIO_BASE + virtio_mmio_registers[name].offset;
      return { machine, model, reg };
    }

    it("a read of a write-only register", () => {
      const { machine, reg } = mmioDevice();
      machine.mmio.read32(reg("QueueDescLow"));
      expectViolation(machine, /read of write-only QueueDescLow/);
    });

    it("DeviceFeatures read before DeviceFeaturesSel was written", () => {
      const { machine, reg } = mmioDevice();
      machine.mmio.read32(reg("DeviceFeatures"));
      expectViolation(machine, /DeviceFeatures read before DeviceFeaturesSel was written/);
    });

    it("InterruptACK with undefined bits", () => {
      const { machine, reg } = mmioDevice();
      machine.mmio.write32(reg("InterruptACK"), 4);
      expectViolation(machine, /InterruptACK 0x4 sets undefined bits/);
    });

    it("QueueReady set before QueueNum was written", () => {
      const { machine, model, reg } = mmioDevice();
      machine.mmio.write32(reg("Status"), ACKNOWLEDGE);
      machine.mmio.write32(reg("Status"), ACKNOWLEDGE | DRIVER);
      machine.mmio.write32(reg("DriverFeaturesSel"), 1);
      machine.mmio.write32(reg("DriverFeatures"), 1);
      machine.mmio.write32(reg("Status"), ACKNOWLEDGE | DRIVER | FEATURES_OK);
      machine.mmio.write32(reg("QueueSel"), 0);
      machine.mmio.write32(reg("QueueReady"), 1);
      expectViolation(machine, /queue 0 enabled before QueueNum was written/);
      expect(model.queues[0].enabled).toBe(false);
    });

    it("queue registers written while QueueReady is set", () => {
      const { machine, model, reg } = mmioDevice();
      machine.mmio.write32(reg("Status"), ACKNOWLEDGE);
      machine.mmio.write32(reg("Status"), ACKNOWLEDGE | DRIVER);
      machine.mmio.write32(reg("DriverFeaturesSel"), 1);
      machine.mmio.write32(reg("DriverFeatures"), 1);
      machine.mmio.write32(reg("Status"), ACKNOWLEDGE | DRIVER | FEATURES_OK);
      const ring = machine.memory.allocate(PAGE, PAGE, Number.MAX_SAFE_INTEGER);
      const parts = splitRingOffsets(QUEUE_SIZE);
      machine.mmio.write32(reg("QueueSel"), 0);
      machine.mmio.write32(reg("QueueNum"), QUEUE_SIZE);
      machine.mmio.write32(reg("QueueDescLow"), ring.physical);
      machine.mmio.write32(reg("QueueDriverLow"), ring.physical + parts.descriptorTableSize);
      machine.mmio.write32(reg("QueueDeviceLow"), ring.physical + PAGE / 2);
      machine.mmio.write32(reg("QueueReady"), 1);
      assertNoViolations(machine.violations);
      expect(model.queues[0].enabled).toBe(true);
      machine.mmio.write32(reg("QueueNum"), QUEUE_SIZE / 2);
      expectViolation(machine, /QueueNum written while queue 0 is ready/);
    });
  });

  describe("legacy PCI (4.1.4.10, 2.7.2)", () => {
    it("a legacy queue area that does not reach the end of the used ring", () => {
      const machine = new SimMachine();
      const model = new RngModel(machine.memory, machine.violations, 64);
      const { fn, bars } = addVirtioPci(machine, model, { device: 3, layout: "legacy", msixVectors: 0 });
      fn.writeConfig(PciReg.Command, 2, PciCommand.IoSpace);
      const io = bars.legacy ?? 0;
      machine.ports.write8(io + legacy.device_status.offset, ACKNOWLEDGE);
      machine.ports.write8(io + legacy.device_status.offset, ACKNOWLEDGE | DRIVER);
      // One page holds the descriptor table and available ring of 64 entries; the used ring is on the next page.
      const area = machine.memory.allocate(PAGE, PAGE, Number.MAX_SAFE_INTEGER);
      machine.ports.write32(io + legacy.queue_address.offset, area.physical >>> VIRTIO_PCI_LEGACY_QUEUE_ADDRESS_SHIFT);
      expectViolation(machine, /legacy ring area 0x[0-9a-f]+\+\d+ outside DMA memory/);
      expect(model.queues[0].enabled).toBe(false);
    });
  });
});
