import { DeviceType } from "../device-types";
import { feature } from "../features";
import type { VirtioDriver } from "../registry";
import { ConsoleFeature } from "./constants";
import { VirtioConsole, type VirtioConsoleOptions } from "./console";

/** Everything the driver can use; the device's offer decides what is negotiated. */
export const VIRTIO_CONSOLE_FEATURES = [ConsoleFeature.Size, ConsoleFeature.Multiport, ConsoleFeature.EmergWrite]
  .map(feature)
  .reduce((all, bit) => all | bit, 0n);

/** The virtio-console driver for the registry; `options.loop` runs each device from the event loop. */
export function createVirtioConsoleDriver(options: VirtioConsoleOptions = {}): VirtioDriver<VirtioConsole> {
  return {
    type: DeviceType.Console,
    name: "virtio-console",
    features: VIRTIO_CONSOLE_FEATURES,
    attach: (device) => new VirtioConsole(device, options),
    ready: (console) => console.start(),
    configChanged: (console) => console.configChanged(),
    ringBroken: (console, error) => console.ringBroken(error),
    detach: (console) => console.detach(),
  };
}
