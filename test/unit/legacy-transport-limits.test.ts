// The legacy (virtio 0.9) PCI transport at its edges: the BAR0 it needs, queue sizes and ring
// addresses it refuses, queue indices it will not select, and what it does without MSI-X.
import { describe, expect, it } from "vitest";
import { VirtioQueueError, VirtioTransportError } from "../../drivers/virtio/errors";
import { LegacyPciTransport } from "../../drivers/virtio/transport/pci-legacy";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { isMsixEnabled } from "../../kernel/pci/capabilities";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { openBar } from "../../kernel/pci/io-region";
import { SIM_DMA_BASE, SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { EchoModel } from "../sim/virtio/echo-model";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { VIRTIO_MSI_NO_VECTOR } from "../sim/virtio/spec/pci-capability";
import { VIRTIO_PCI_LEGACY_CONFIG_OFFSET_MSIX, VIRTIO_PCI_LEGACY_QUEUE_ADDRESS_SHIFT, VIRTIO_PCI_LEGACY_QUEUE_ALIGN } from "../sim/virtio/spec/pci-legacy";
import { toDriverStatus, virtioFailure } from "./transport-harness";

const NAME = "00:03.0";
/** Queues the legacy transport selects at most. */
const LEGACY_QUEUE_LIMIT = 64;
/** The header up to and including the MSI-X vector registers. */
const HEADER_LENGTH = VIRTIO_PCI_LEGACY_CONFIG_OFFSET_MSIX;
/** The first page frame number queue_address (32 bits) cannot hold. */
const PFN_LIMIT = 2 ** 32;
const QUEUE_SIZE = 16;

/** A legacy-only echo device with `queues` queues of 16 entries in slot 3. */
function rig(queues = 1) {
  const machine = new SimMachine();
  const model = new EchoModel(machine.memory, machine.violations, queues);
  addVirtioPci(machine, model, { device: 3, layout: "legacy" });
  const config = new PortPciConfig(machine.ports);
  const [fn] = enumeratePci(config);
  /** The transport over the first `length` bytes of BAR0. */
  const open = (length: number) =>
    new LegacyPciTransport(machine, NAME, model.deviceType, openBar(machine, config, fn, 0).window(0, length), () => isMsixEnabled(config, fn.address, fn.msix));
  return { machine, model, open, create: () => createPciTransport(machine, config, fn) };
}

const ring = (descriptorArea: number) => ({ descriptorArea, driverArea: 0, deviceArea: 0 });

describe("legacy PCI: BAR0", () => {
  it("refuses a BAR0 shorter than the header, saying how long each is", () => {
    const { open } = rig();
    const error = virtioFailure(VirtioTransportError, "legacy-bar", () => open(HEADER_LENGTH - 1));
    expect(error.deviceName).toBe(NAME);
    expect(error.detail).toBe(`BAR0 has ${HEADER_LENGTH - 1} bytes, the legacy header ${HEADER_LENGTH}`);
  });

  it("accepts a BAR0 that is exactly the header", () => {
    const { machine, open } = rig(2);
    expect(open(HEADER_LENGTH).numQueues()).toBe(2);
    assertNoViolations(machine.violations);
  });
});

describe("legacy PCI: queues", () => {
  it("counts a device with queues at every selectable index", () => {
    const { machine, create } = rig(LEGACY_QUEUE_LIMIT);
    expect(create().numQueues()).toBe(LEGACY_QUEUE_LIMIT);
    assertNoViolations(machine.violations);
  });

  it("selects no queue outside 0..63", () => {
    const { machine, create } = rig();
    const transport = create();
    expect(virtioFailure(VirtioQueueError, "queue-index", () => transport.queueMaxSize(-1)).detail).toBe("queue -1 out of range");
    expect(virtioFailure(VirtioQueueError, "queue-index", () => transport.queueMaxSize(LEGACY_QUEUE_LIMIT)).detail).toBe(`queue ${LEGACY_QUEUE_LIMIT} out of range`);
    expect(transport.queueMaxSize(LEGACY_QUEUE_LIMIT - 1)).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("refuses any size but the device's own, and sets nothing up", () => {
    const { model, create } = rig();
    const transport = create();
    toDriverStatus(transport);
    const error = virtioFailure(VirtioQueueError, "queue-size", () => transport.setupQueue(0, QUEUE_SIZE / 2, ring(SIM_DMA_BASE)));
    expect(error.detail).toBe(`queue 0: legacy size is fixed at ${QUEUE_SIZE}, asked ${QUEUE_SIZE / 2}`);
    expect(model.queues[0].enabled).toBe(false);
  });

  it("refuses a ring that does not start on a page", () => {
    const { model, create } = rig();
    const transport = create();
    toDriverStatus(transport);
    const address = SIM_DMA_BASE + VIRTIO_PCI_LEGACY_QUEUE_ALIGN / 2;
    const error = virtioFailure(VirtioQueueError, "queue-address", () => transport.setupQueue(0, QUEUE_SIZE, ring(address)));
    expect(error.detail).toBe(`queue 0: ring at 0x${address.toString(16)} has no 32-bit PFN`);
    expect(model.queues[0].enabled).toBe(false);
  });

  it("refuses a page whose frame number queue_address cannot hold", () => {
    const { model, create } = rig();
    const transport = create();
    toDriverStatus(transport);
    const address = PFN_LIMIT * 2 ** VIRTIO_PCI_LEGACY_QUEUE_ADDRESS_SHIFT;
    expect(virtioFailure(VirtioQueueError, "queue-address", () => transport.setupQueue(0, QUEUE_SIZE, ring(address))).detail).toBe(
      `queue 0: ring at 0x${address.toString(16)} has no 32-bit PFN`,
    );
    expect(model.queues[0].enabled).toBe(false);
  });
});

describe("legacy PCI: without MSI-X", () => {
  it("vector requests answer 'no vector' and write no vector register", () => {
    const { machine, model, create } = rig();
    const transport = create();
    expect(transport.setConfigVector(0)).toBe(VIRTIO_MSI_NO_VECTOR);
    expect(transport.setQueueVector(0, 1)).toBe(VIRTIO_MSI_NO_VECTOR);
    expect(model.vectorWrites).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("has no generation counter: the generation never changes", () => {
    const { model, create } = rig();
    const transport = create();
    expect(transport.configGeneration()).toBe(0);
    model.changeConfig((view) => view.setUint16(0, 80, true));
    expect(transport.configGeneration()).toBe(0);
  });
});
