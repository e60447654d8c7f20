import type { SpecTable } from "./field";

/** struct virtio_console_config (virtio 1.2 section 5.3.4). */
export const virtio_console_config = {
  cols: { offset: 0, width: 2, access: "ro" },
  rows: { offset: 2, width: 2, access: "ro" },
  max_nr_ports: { offset: 4, width: 4, access: "ro" },
  emerg_wr: { offset: 8, width: 4, access: "wo" },
} as const satisfies SpecTable;

/** Console feature bits (section 5.3.3). */
export const VIRTIO_CONSOLE_F = { SIZE: 0, MULTIPORT: 1, EMERG_WRITE: 2 } as const;

/** Virtqueues (section 5.3.2): port 0's pair, the control pair, then a pair per further port. */
export const VIRTIO_CONSOLE_QUEUE = { receiveq_port0: 0, transmitq_port0: 1, control_receiveq: 2, control_transmitq: 3, receiveq_port1: 4 } as const;

/** struct virtio_console_control (section 5.3.6.2). */
export const virtio_console_control = {
  id: { offset: 0, width: 4, access: "ro" },
  event: { offset: 4, width: 2, access: "ro" },
  value: { offset: 6, width: 2, access: "ro" },
} as const satisfies SpecTable;
export const VIRTIO_CONSOLE_CONTROL_SIZE = 8;

/** struct virtio_console_resize, following the control header of a RESIZE. */
export const virtio_console_resize = {
  cols: { offset: 0, width: 2, access: "ro" },
  rows: { offset: 2, width: 2, access: "ro" },
} as const satisfies SpecTable;

/** The `event` values of struct virtio_console_control. */
export const VIRTIO_CONSOLE_EVENT = {
  DEVICE_READY: 0,
  DEVICE_ADD: 1,
  DEVICE_REMOVE: 2,
  PORT_READY: 3,
  CONSOLE_PORT: 4,
  RESIZE: 5,
  PORT_OPEN: 6,
  PORT_NAME: 7,
} as const;
