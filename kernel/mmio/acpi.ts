/**
 * virtio-mmio devices the DSDT describes (QEMU microvm with ACPI on): devices whose `_HID` is
 * "LNRO0005", each with a fixed 32-bit memory range and an extended interrupt in its `_CRS`.
 */
import { walkAmlDevices, type AmlDevice } from "../acpi/aml";
import { parseResources } from "../acpi/resources";
import { AcpiError, hasAcpi, readAcpiTables, readDsdt } from "../acpi/tables";
import type { Platform } from "../platform";
import { MAX_GSI, MAX_WINDOW_BYTES, type MmioDeviceWindow, type MmioDiscoveryProblem } from "./window";

export const VIRTIO_MMIO_HID = "LNRO0005";

export interface AcpiDevices {
  readonly windows: MmioDeviceWindow[];
  readonly problems: MmioDiscoveryProblem[];
}

function windowOf(device: AmlDevice): MmioDeviceWindow | string {
  const crs = device.names.get("_CRS");
  if (crs?.kind !== "buffer") return "no _CRS resource template";
  let resources;
  try {
    resources = parseResources(crs.bytes);
  } catch (error) {
    if (error instanceof AcpiError) return error.message;
    throw error;
  }
  const memory = resources.memory[0];
  if (memory === undefined) return "no fixed memory range in _CRS";
  if (memory.size === 0 || memory.size > MAX_WINDOW_BYTES) return `memory range of ${memory.size} bytes`;
  const interrupt = resources.interrupts[0];
  if (interrupt !== undefined && interrupt.gsi > MAX_GSI) return `interrupt ${interrupt.gsi} is beyond GSI ${MAX_GSI}`;
  return { base: memory.base, size: memory.size, interrupt, source: "acpi" };
}

/** The DSDT's virtio-mmio devices; none (and no problem) on a machine without ACPI or without a DSDT. */
export function virtioMmioFromAcpi(platform: Platform): AcpiDevices {
  const windows: MmioDeviceWindow[] = [];
  const problems: MmioDiscoveryProblem[] = [];
  if (!hasAcpi(platform)) return { windows, problems };
  let devices: AmlDevice[];
  try {
    const dsdt = readDsdt(platform, readAcpiTables(platform));
    if (dsdt === undefined) return { windows, problems };
    const walk = walkAmlDevices(dsdt);
    devices = walk.devices;
    if (walk.unknownTerms > 0) problems.push({ source: "acpi", text: "DSDT", reason: `${walk.unknownTerms} scopes cut short at terms this walker does not read` });
  } catch (error) {
    if (!(error instanceof AcpiError)) throw error;
    problems.push({ source: "acpi", text: "DSDT", reason: error.message });
    return { windows, problems };
  }
  for (const device of devices) {
    const hid = device.names.get("_HID");
    if (hid?.kind !== "string" || hid.value !== VIRTIO_MMIO_HID) continue;
    const window = windowOf(device);
    if (typeof window === "string") problems.push({ source: "acpi", text: device.path, reason: window });
    else windows.push(window);
  }
  return { windows, problems };
}
