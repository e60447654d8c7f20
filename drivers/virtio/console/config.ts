import type { VirtioDevice } from "../device";
import { VirtioConfigError } from "../errors";
import { CONSOLE_CONFIG, ConsoleFeature, queueCountFor } from "./constants";

/** The device configuration, validated; fields of features not negotiated hold their defaults. */
export interface ConsoleConfig {
  /** SIZE: the console size of port 0; 0 x 0 without it. */
  readonly cols: number;
  readonly rows: number;
  /** MULTIPORT: max_nr_ports; 1 otherwise. */
  readonly maxPorts: number;
}

/** Reads the configuration under one config generation, then validates it. */
export function readConsoleConfig(device: VirtioDevice): ConsoleConfig {
  const transport = device.transport;
  const size = device.has(ConsoleFeature.Size);
  const multiport = device.has(ConsoleFeature.Multiport);
  const raw = transport.readConfigStable(() => ({
    cols: size ? transport.readConfig(CONSOLE_CONFIG.cols) : 0,
    rows: size ? transport.readConfig(CONSOLE_CONFIG.rows) : 0,
    maxPorts: multiport ? transport.readConfig(CONSOLE_CONFIG.max_nr_ports) : 1,
  }));
  if (raw.maxPorts < 1) throw new VirtioConfigError(device.name, "max_nr_ports", "0 ports");
  // Every port the device may announce needs its queue pair: more ports than queues is a lie.
  const queues = transport.numQueues();
  if (queueCountFor(raw.maxPorts, multiport) > queues) {
    throw new VirtioConfigError(device.name, "max_nr_ports", `${raw.maxPorts} ports need ${queueCountFor(raw.maxPorts, multiport)} queues; the device has ${queues}`);
  }
  return raw;
}

/** SIZE: cols and rows again, after a configuration change. */
export function readConsoleSize(device: VirtioDevice): { cols: number; rows: number } {
  const transport = device.transport;
  return transport.readConfigStable(() => ({ cols: transport.readConfig(CONSOLE_CONFIG.cols), rows: transport.readConfig(CONSOLE_CONFIG.rows) }));
}
