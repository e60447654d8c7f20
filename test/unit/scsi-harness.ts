// Shared set-up for the virtio-scsi tests: one simulated controller with its units, probed, every
// unit adopted as a BlockDevice.
import { createVirtioScsiDriver } from "../../drivers/virtio/scsi/driver";
import type { ScsiLun } from "../../drivers/virtio/scsi/lun";
import { VirtioScsi } from "../../drivers/virtio/scsi/scsi";
import { probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { createEventLoop } from "../../kernel/event-loop";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { BlockDevice, type BlockDeviceOptions } from "../../runtime/block/device";
import { DmaBuffers } from "../../runtime/block/dma-buffers";
import type { LogicalUnitOptions } from "../sim/scsi-target";
import { SimMachine } from "../sim/machine";
import { ScsiModel, type ScsiModelOptions } from "../sim/virtio/scsi-model";
import { addVirtioPci } from "../sim/virtio/pci-device";

export interface ScsiRigOptions extends ScsiModelOptions {
  /** Units present at boot: [target, lun, options]. */
  readonly units: readonly (readonly [number, number, LogicalUnitOptions])[];
  readonly device?: BlockDeviceOptions;
  readonly interrupts?: boolean;
  /** Runs on the model before probing (faults during discovery). */
  readonly prepare?: (model: ScsiModel) => void;
}

export function scsiRig(options: ScsiRigOptions) {
  const machine = new SimMachine();
  const model = new ScsiModel(machine.memory, machine.violations, options);
  for (const [target, lun, unit] of options.units) model.attach(target, lun, unit);
  options.prepare?.(model);
  addVirtioPci(machine, model, { device: 5, layout: "modern" });
  const registry = new VirtioDriverRegistry();
  registry.register(createVirtioScsiDriver({ interrupts: options.interrupts }));
  const config = new PortPciConfig(machine.ports);
  const probe = probeVirtioPci(machine, config, enumeratePci(config), registry);
  const uncaught: unknown[] = [];
  const loop = createEventLoop(() => machine.monotonicNs(), (error) => uncaught.push(error));
  const scsi = probe.devices[0].instance as VirtioScsi;
  const buffers = new DmaBuffers(machine);
  const disk = (unit: ScsiLun) => new BlockDevice(unit, machine, loop, buffers, options.device);
  return { machine, model, probe, loop, scsi, disk, uncaught };
}
