import { DeviceType } from "../device-types";
import type { VirtioDriver } from "../registry";
import { registerVirtioDriver } from "../registry";
import { VIRTIO_SCSI_DRIVER_FEATURES } from "./features";
import { VirtioScsi, type VirtioScsiOptions } from "./scsi";

/**
 * Creates the control, event and request queues at attach; posts the event buffers and scans the
 * bus once the device is live; every unit fails what is in flight on a broken ring or a detach.
 */
export function createVirtioScsiDriver(options: VirtioScsiOptions = {}): VirtioDriver<VirtioScsi> {
  return {
    type: DeviceType.Scsi,
    name: "virtio-scsi",
    features: VIRTIO_SCSI_DRIVER_FEATURES,
    attach: (device) => new VirtioScsi(device, options),
    ready: (scsi) => scsi.start(),
    ringBroken: (scsi, error) => scsi.ringBroken(error),
    detach: (scsi) => scsi.detach(),
  };
}

/** Makes PCI / mmio probing hand virtio-scsi controllers to this driver. */
export function registerVirtioScsiDriver(options: VirtioScsiOptions = {}): void {
  registerVirtioDriver(createVirtioScsiDriver(options));
}
