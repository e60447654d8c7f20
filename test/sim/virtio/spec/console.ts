import type { SpecTable } from "./field";

/** struct virtio_console_config (virtio 1.2 section 5.3.4). */
export const virtio_console_config = {
  cols: { offset: 0, width: 2, access: "ro" },
  rows: { offset: 2, width: 2, access: "ro" },
  max_nr_ports: { offset: 4, width: 4, access: "ro" },
  emerg_wr: { offset: 8, width: 4, access: "wo" },
} as const satisfies SpecTable;
