/**
 * The boundary between the network stack and a NIC driver (virtio-net in the image, a simulated
 * wire in tests). Frames are complete Ethernet frames without FCS or any device header.
 */

/**
 * Asks the device to compute a 16-bit one's complement checksum over frame[start, end) and store
 * it at frame[start + offset] (the virtio-net csum_start/csum_offset model). The stack has already
 * written the pseudo-header sum into that field.
 */
export interface ChecksumOffload {
  readonly start: number;
  readonly offset: number;
  /**
   * TCP segmentation offload, only on a link with a `segmentationLimit`: the link sends the frame
   * (TCP over IPv4) as segments of at most this many payload bytes, each behind a copy of the
   * frame's first `headerLength` bytes (Ethernet, IPv4 and TCP headers) with lengths, sequence
   * numbers, flags and checksums fixed up. The pseudo-header sum in the checksum field covers the
   * whole frame's TCP length. Absent or 0: the frame goes out as it is.
   */
  readonly segmentSize?: number;
  readonly headerLength?: number;
}

export interface RxInfo {
  /** The device has verified the transport (UDP/TCP) checksum; the stack skips its own check. */
  readonly checksumValidated: boolean;
}

/**
 * Valid only for the duration of the call: the driver may reuse `frame` afterwards. A link that
 * takes large receives may hand over TCP segments the device coalesced beyond the MTU.
 */
export type FrameHandler = (frame: Uint8Array, info: RxInfo) => void;

export interface NetLink {
  /** Six bytes. */
  readonly mac: Uint8Array;
  /** Largest Ethernet payload (IP packet) the link carries, normally 1500. */
  readonly mtu: number;
  readonly linkUp: boolean;
  /** Whether transmit() honours its `offload` argument. */
  readonly checksumOffload: boolean;
  /**
   * With TCP segmentation offload, the largest Ethernet payload (IPv4 packet, as for `mtu`) the
   * link takes with `offload.segmentSize`; absent or 0 without it.
   */
  readonly segmentationLimit?: number;
  /**
   * Queues a frame. On true the link owns `frame` (the stack never touches it again); false means
   * the transmit ring is full and nothing was queued.
   */
  transmit(frame: Uint8Array, offload?: ChecksumOffload): boolean;
  /**
   * A frame of `length` bytes in the link's own transmit memory (contents unspecified), so that the
   * stack builds it in place; undefined when none is free or `length` is too large. It stays
   * reserved until transmitAllocated() or the next allocateFrame(), which reuses the same memory.
   */
  allocateFrame(length: number): Uint8Array | undefined;
  /** Queues the frame from the last allocateFrame(), as transmit() would without copying it. */
  transmitAllocated(frame: Uint8Array, offload?: ChecksumOffload): boolean;
  /** Registers the single receive handler. */
  onReceive(handler: FrameHandler): void;
  /** Registers the single link state handler. */
  onLinkChange(handler: (up: boolean) => void): void;
  /**
   * The link carries nothing more until its device is reset (a corrupted ring, or a device that
   * asked for a reset): called once, possibly from inside the link's own receive path, so the
   * listener must not reset from within the call. Links that never break leave it alone.
   */
  onBroken?: ((error: Error) => void) | undefined;
  /**
   * Resets the device and brings the link up again. Returns the link that serves from then on (this
   * one is finished: it sends and receives nothing more and calls no handler). Throws when the
   * device could not be brought back. Absent when the driver cannot reset its device.
   */
  reset?(): NetLink;
}
