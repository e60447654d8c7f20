/** The console driver's bounds: every buffer, queue and backlog has one. */

/** Longest port name accepted, in UTF-8 bytes (the specification sets none; names are tags). */
export const MAX_PORT_NAME_BYTES = 255;
/**
 * One control receive buffer: the header, the longest name and the NUL some devices add (QEMU).
 * A message that fills the whole buffer may have been cut short and is refused.
 */
export const CONTROL_BUFFER_BYTES = 512;

export interface ConsoleLimits {
  /** Ports served at most (the device's max_nr_ports may be larger; further ports are refused). */
  readonly maxPorts: number;
  /** Receive buffers per port and their size: the most a port holds for a reader that is not reading. */
  readonly rxBuffers: number;
  readonly rxBufferSize: number;
  /** Transmit buffers per port and their size: the most a port has in flight to the device. */
  readonly txBuffers: number;
  readonly txBufferSize: number;
  /** Control receive buffers kept posted (QEMU drops a message when none is posted). */
  readonly controlBuffers: number;
  /** Control messages to the device in flight, and waiting for a free slot. */
  readonly controlSlots: number;
  readonly controlBacklog: number;
  /** Used buffers taken per queue in one poll, so that one busy queue cannot starve the rest. */
  readonly budget: number;
}

export const DEFAULT_CONSOLE_LIMITS: ConsoleLimits = {
  maxPorts: 32,
  rxBuffers: 16,
  rxBufferSize: 4096,
  txBuffers: 16,
  txBufferSize: 4096,
  controlBuffers: 32,
  controlSlots: 16,
  controlBacklog: 128,
  budget: 64,
};
