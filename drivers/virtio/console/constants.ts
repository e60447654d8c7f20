/** virtio-console (device type 3) registers and wire formats, from the virtio 1.x specification (section 5.3). */
import { register } from "../register";

export const ConsoleFeature = {
  /** cols and rows are valid. */
  Size: 0,
  /** max_nr_ports is valid and the control queues are used. */
  Multiport: 1,
  /** emerg_wr is valid. */
  EmergWrite: 2,
} as const;

/** Names of the virtio-console feature bits (virtio 1.2 section 5.3.3). */
export const CONSOLE_FEATURE_NAMES: readonly (readonly [number, string])[] = [
  [ConsoleFeature.Size, "size"],
  [ConsoleFeature.Multiport, "multiport"],
  [ConsoleFeature.EmergWrite, "emerg-write"],
];

/**
 * Device configuration, `struct virtio_console_config`. cols comes before rows as devices and
 * drivers lay it out (QEMU, Linux); emerg_wr is the one field the driver writes.
 */
export const CONSOLE_CONFIG = {
  cols: register("cols", 0, 2, "ro"),
  rows: register("rows", 2, 2, "ro"),
  max_nr_ports: register("max_nr_ports", 4, 4, "ro"),
  emerg_wr: register("emerg_wr", 8, 4, "wo"),
} as const;

/** The `event` values of a control message (section 5.3.6.2). */
export const ControlEvent = {
  DeviceReady: 0,
  DeviceAdd: 1,
  DeviceRemove: 2,
  PortReady: 3,
  ConsolePort: 4,
  Resize: 5,
  PortOpen: 6,
  PortName: 7,
} as const;
export type ControlEventValue = (typeof ControlEvent)[keyof typeof ControlEvent];

/** `struct virtio_console_control`: le32 id (port number), le16 event, le16 value. */
export const ControlMessage = { Size: 8, Id: 0, Event: 4, Value: 6 } as const;
/** `struct virtio_console_resize`, after the control header: le16 cols, le16 rows. */
export const ControlResize = { Size: 4, Cols: 0, Rows: 2 } as const;

/** `value` of DEVICE_READY / PORT_READY and of PORT_OPEN. */
export const ControlValue = { Failure: 0, Success: 1, Closed: 0, Open: 1 } as const;

/** Queue indices (section 5.3.2): port 0's pair, the control pair, then a pair per further port. */
export const ConsoleQueue = { Port0Receive: 0, Port0Transmit: 1, ControlReceive: 2, ControlTransmit: 3 } as const;
const QUEUES_PER_PORT = 2;
const FIRST_EXTRA_PORT_QUEUE = 4;

export function receiveQueueOf(port: number): number {
  return port === 0 ? ConsoleQueue.Port0Receive : FIRST_EXTRA_PORT_QUEUE + (port - 1) * QUEUES_PER_PORT;
}

export function transmitQueueOf(port: number): number {
  return receiveQueueOf(port) + 1;
}

/** Queues a device with `ports` ports has (the control pair only with MULTIPORT). */
export function queueCountFor(ports: number, multiport: boolean): number {
  return multiport ? FIRST_EXTRA_PORT_QUEUE + (ports - 1) * QUEUES_PER_PORT : QUEUES_PER_PORT;
}
