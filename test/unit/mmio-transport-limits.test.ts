// The virtio-mmio transport at its edges: windows and register values it refuses, queue indices
// it will not select, what it writes on an interrupt status read, and what version 1 and 2 differ in.
import { describe, expect, it } from "vitest";
import { MemoryRegion } from "../../kernel/pci/io-region";
import { BLK_CONFIG } from "../../drivers/virtio/blk/constants";
import { VirtioDevice } from "../../drivers/virtio/device";
import { VirtioConfigError, VirtioQueueError, VirtioTransportError } from "../../drivers/virtio/errors";
import { MmioTransport } from "../../drivers/virtio/transport/mmio";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import type { Transport } from "../../drivers/virtio/transport/transport";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SIM_DMA_BASE, SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { BlkModel } from "../sim/virtio/blk-model";
import type { VirtioDeviceModel } from "../sim/virtio/device-model";
import { EchoModel } from "../sim/virtio/echo-model";
import { MMIO_WINDOW_SIZE, MmioInterface } from "../sim/virtio/mmio";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { VIRTIO_MMIO_CONFIG_OFFSET, VIRTIO_MMIO_INT, VIRTIO_MMIO_VERSION, virtio_mmio_legacy_registers, virtio_mmio_registers } from "../sim/virtio/spec/mmio";
import { VIRTIO_MSI_NO_VECTOR } from "../sim/virtio/spec/pci-capability";
import { toDriverStatus, virtioFailure } from "./transport-harness";

const BASE = 0xfeb0_0000;
const NAME = "mmio@0xfeb00000";
const REG = virtio_mmio_registers;
/** Queues a virtio-mmio transport selects at most (QueueSel is checked against it). */
const MMIO_QUEUE_LIMIT = 64;
/** The legacy interface counts queue page frames in 4 KiB pages. */
const LEGACY_PAGE = 4096;

/**
 * A virtio-mmio device at BASE whose register window can answer `overrides` (offset -> value)
 * instead of the device, and records every register write the driver makes.
 */
function rig<M extends VirtioDeviceModel>(version: number, makeModel: (machine: SimMachine) => M, overrides: Readonly<Record<number, number>> = {}) {
  const machine = new SimMachine();
  const model = makeModel(machine);
  const iface = new MmioInterface(model, version);
  model.name = NAME;
  const writes: { offset: number; value: number }[] = [];
  machine.addMmioWindow(BASE, MMIO_WINDOW_SIZE, {
    read: (offset, width) => overrides[offset] ?? iface.read(offset, width),
    write: (offset, width, value) => {
      writes.push({ offset, value });
      iface.write(offset, width, value);
    },
  });
  machine.mapPhysical(BASE, MMIO_WINDOW_SIZE);
  const open = (length = MMIO_WINDOW_SIZE) => new MmioTransport(machine, NAME, new MemoryRegion(machine.mmio, BASE, length));
  return { machine, model, writes, open };
}

const echo = (queues: number) => (machine: SimMachine) => new EchoModel(machine.memory, machine.violations, queues);
const blk = (machine: SimMachine) => new BlkModel(machine.memory, machine.violations, { sectors: 2048 });

describe("virtio-mmio: the register window", () => {
  it("refuses a window too short for the register block, saying how long it is", () => {
    const { open } = rig(VIRTIO_MMIO_VERSION.modern, echo(1));
    const error = virtioFailure(VirtioTransportError, "mmio-window", () => open(VIRTIO_MMIO_CONFIG_OFFSET - 1));
    expect(error.deviceName).toBe(NAME);
    expect(error.detail).toBe(`${VIRTIO_MMIO_CONFIG_OFFSET - 1} bytes, the register block ${VIRTIO_MMIO_CONFIG_OFFSET}`);
  });

  it("accepts a window that ends where the device configuration would begin", () => {
    const { machine, model, open } = rig(VIRTIO_MMIO_VERSION.modern, echo(2));
    const transport = open(VIRTIO_MMIO_CONFIG_OFFSET);
    expect(transport.deviceType).toBe(model.deviceType);
    expect(transport.numQueues()).toBe(2);
    assertNoViolations(machine.violations);
  });

  it("refuses a window whose magic value is not 'virt', naming the value found", () => {
    const { open } = rig(VIRTIO_MMIO_VERSION.modern, echo(1), { [REG.MagicValue.offset]: 0x1234_5678 });
    expect(virtioFailure(VirtioTransportError, "mmio-magic", () => open()).detail).toBe("magic 0x12345678");
  });

  it.each([0, 3])("refuses version %i (only 1 and 2 exist)", (version) => {
    const { open } = rig(VIRTIO_MMIO_VERSION.modern, echo(1), { [REG.Version.offset]: version });
    expect(virtioFailure(VirtioTransportError, "mmio-version", () => open()).detail).toBe(`unsupported version ${version}`);
  });
});

describe("virtio-mmio: queues", () => {
  it.each([VIRTIO_MMIO_VERSION.legacy, VIRTIO_MMIO_VERSION.modern])("version %i counts a device with queues at every selectable index", (version) => {
    const { machine, open } = rig(version, echo(MMIO_QUEUE_LIMIT));
    expect(open().numQueues()).toBe(MMIO_QUEUE_LIMIT);
    assertNoViolations(machine.violations);
  });

  it("selects no queue outside 0..63, and writes no QueueSel for one", () => {
    const { machine, writes, open } = rig(VIRTIO_MMIO_VERSION.modern, echo(1));
    const transport = open();
    writes.length = 0;
    expect(virtioFailure(VirtioQueueError, "queue-index", () => transport.queueMaxSize(-1)).detail).toBe("queue -1 out of range");
    expect(virtioFailure(VirtioQueueError, "queue-index", () => transport.queueMaxSize(MMIO_QUEUE_LIMIT)).detail).toBe(`queue ${MMIO_QUEUE_LIMIT} out of range`);
    expect(writes).toEqual([]);
    // The last index is selectable: a queue the device does not have reads as size 0.
    expect(transport.queueMaxSize(MMIO_QUEUE_LIMIT - 1)).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("version 1 refuses a ring that does not start on a page, and writes no QueuePFN", () => {
    const { model, writes, open } = rig(VIRTIO_MMIO_VERSION.legacy, echo(1));
    const transport = open();
    toDriverStatus(transport);
    const misaligned = { descriptorArea: SIM_DMA_BASE + LEGACY_PAGE / 2, driverArea: 0, deviceArea: 0 };
    expect(virtioFailure(VirtioQueueError, "queue-address", () => transport.setupQueue(0, 16, misaligned)).detail).toBe("queue 0: ring not page aligned");
    expect(writes.some((w) => w.offset === virtio_mmio_legacy_registers.QueuePFN.offset)).toBe(false);
    expect(model.queues[0].enabled).toBe(false);
  });

  it("version 2 uses the queue size the driver asks for, and places the rings as PCI does", () => {
    const { machine, model, open } = rig(VIRTIO_MMIO_VERSION.modern, echo(2));
    const device = new VirtioDevice(machine, open());
    device.acknowledge();
    device.negotiate(0n);
    device.createQueue(0, { maxSize: 4 });
    device.createQueue(1);
    device.driverOk();
    expect(model.queues.map((q) => q.size)).toEqual([4, 16]);

    // The same device over PCI: both modern interfaces place a queue's three areas the same way.
    const pciMachine = new SimMachine();
    const pciModel = new EchoModel(pciMachine.memory, pciMachine.violations, 2);
    addVirtioPci(pciMachine, pciModel, { device: 3, layout: "modern" });
    const config = new PortPciConfig(pciMachine.ports);
    const pciDevice = new VirtioDevice(pciMachine, createPciTransport(pciMachine, config, enumeratePci(config)[0]));
    pciDevice.acknowledge();
    pciDevice.negotiate(0n);
    pciDevice.createQueue(1);
    const areas = (q: { desc: number; driver: number; device: number }) => [q.driver - q.desc, q.device - q.desc];
    expect(areas(model.queues[1])).toEqual(areas(pciModel.queues[1]));
    assertNoViolations(machine.violations);
    assertNoViolations(pciMachine.violations);
  });
});

describe("virtio-mmio: interrupts and configuration", () => {
  it("acknowledges the interrupt bits it reads, and writes no InterruptACK when none is set", () => {
    const { machine, model, writes, open } = rig(VIRTIO_MMIO_VERSION.modern, echo(1));
    const transport = open();
    writes.length = 0;
    expect(transport.readIsr()).toBe(0);
    expect(writes).toEqual([]);

    model.changeConfig((view) => view.setUint16(0, 80, true));
    expect(transport.readIsr()).toBe(VIRTIO_MMIO_INT.CONFIG);
    expect(writes).toEqual([{ offset: REG.InterruptACK.offset, value: VIRTIO_MMIO_INT.CONFIG }]);
    expect(model.isr).toBe(0);
    expect(transport.readIsr()).toBe(0);
    expect(writes).toHaveLength(1);
    assertNoViolations(machine.violations);
  });

  it("has no MSI-X: vector requests answer 'no vector' and write nothing", () => {
    const { writes, open } = rig(VIRTIO_MMIO_VERSION.modern, echo(1));
    const transport: Transport = open();
    writes.length = 0;
    expect(transport.setConfigVector(0)).toBe(VIRTIO_MSI_NO_VECTOR);
    expect(transport.setQueueVector(0, 1)).toBe(VIRTIO_MSI_NO_VECTOR);
    expect(writes).toEqual([]);
  });

  it("version 2 reads ConfigGeneration, and notices a configuration that never settles", () => {
    const { model, open } = rig(VIRTIO_MMIO_VERSION.modern, blk);
    const transport = open();
    expect(transport.configGeneration()).toBe(0);
    model.changeConfig((view) => view.setUint32(0, 4096, true));
    expect(transport.configGeneration()).toBe(1);
    model.faults.configGenerationBumps = Number.POSITIVE_INFINITY;
    const error = virtioFailure(VirtioConfigError, "config-unstable", () => transport.readConfigStable(() => transport.readConfig64(BLK_CONFIG.capacity)));
    expect(error.detail).toBe("generation changed on 16 reads");
  });

  it("version 1 has no generation counter: the generation never changes", () => {
    const { model, open } = rig(VIRTIO_MMIO_VERSION.legacy, blk);
    const transport = open();
    model.changeConfig((view) => view.setUint32(0, 4096, true));
    expect(transport.configGeneration()).toBe(0);
    model.faults.configGenerationBumps = Number.POSITIVE_INFINITY;
    expect(transport.readConfigStable(() => transport.readConfig64(BLK_CONFIG.capacity))).toBe(4096n);
  });
});
