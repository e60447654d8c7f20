import type { VirtioError } from "../errors";

/** Per-device traffic and fault counters of one virtio-net device. */
export class VirtioNetCounters {
  rxFrames = 0;
  rxBytes = 0;
  /** Frames that arrived spread over more than one buffer (MRG_RXBUF). */
  rxMerged = 0;
  /** Coalesced TCP segments the device delivered beyond the MTU (GUEST_TSO4, gso_type TCPV4). */
  rxSegmented = 0;
  /** Shorter than the virtio-net header plus an Ethernet header. */
  rxShort = 0;
  /** Header values the driver did not ask for (gso_type, gso_size, bad num_buffers) or oversized frames. */
  rxBadHeader = 0;
  /** Arrived before a receive handler was registered. */
  rxNoHandler = 0;
  txFrames = 0;
  txBytes = 0;
  /** Frames handed to the device for TCP segmentation (HOST_TSO4). */
  txSegmented = 0;
  /** transmit() returned false: every buffer or descriptor was in flight. */
  txRingFull = 0;
  /** Larger than the MTU allows; dropped. */
  txOversize = 0;
  /** Notifications sent for transmit batches. */
  txKicks = 0;
  ctrlCommands = 0;
  ctrlErrors = 0;
  linkChanges = 0;
  /** Invalid values the device wrote (rings, headers, acks); the last one is kept. */
  deviceErrors = 0;
  lastDeviceError: VirtioError | undefined;

  deviceError(error: VirtioError): void {
    this.deviceErrors++;
    this.lastDeviceError = error;
  }
}
