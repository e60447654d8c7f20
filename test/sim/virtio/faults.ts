/** Ways a simulated virtio device can misbehave on purpose. All may be changed at any time. */
export interface VirtioFaults {
  /** Status never reads back 0 after a reset write. */
  resetNeverCompletes: boolean;
  /** Status reads after a reset write that still show DEVICE_NEEDS_RESET before one reads 0 (a slow reset). */
  resetLateReads: number;
  /** FEATURES_OK is never accepted. */
  refuseFeaturesOk: boolean;
  /** The modern interface does not offer VERSION_1, which a conforming device must (section 6.1). */
  withholdVersion1: boolean;
  /** Per-queue maximum sizes reported instead of the real ones (0, non powers of two...). */
  queueMaxSizes: number[] | undefined;
  /** Used ids: as is, beyond the ring, one not in flight, or each completion reported twice. */
  usedId: "ok" | "out-of-range" | "not-in-flight" | "repeat";
  /** Added to every used length (beyond the writable bytes, with any positive value on a full buffer). */
  usedLengthExtra: number;
  /** Packed rings: used descriptors with AVAIL and USED both inverted, or differing (AVAIL right, USED wrong). */
  usedWrapBits: "ok" | "inverted" | "mismatched";
  /** Every completion is followed by a used entry for a buffer never made available. */
  usedAhead: boolean;
  /** The device takes nothing and completes nothing (notifications are still counted). */
  stalled: boolean;
  /** Device-config reads that still bump config_generation (Infinity: always). */
  configGenerationBumps: number;
  /** Reported queue_notify_off instead of the real one. */
  notifyOffset: number | undefined;
  /** MSI-X vector registers refuse (read back NO_VECTOR) every entry from this one up. */
  refuseVectorsFrom: number;
  /** MSI-X vector registers read back this instead of an accepted entry. */
  vectorReadback: number | undefined;
  /**
   * The device hit an error it cannot recover from alone (section 2.1.2): status reads with
   * DEVICE_NEEDS_RESET and the queues are no longer served, until the driver resets the device.
   */
  needsReset: boolean;
}

export function defaultFaults(): VirtioFaults {
  return {
    resetNeverCompletes: false,
    resetLateReads: 0,
    refuseFeaturesOk: false,
    withholdVersion1: false,
    queueMaxSizes: undefined,
    usedId: "ok",
    usedLengthExtra: 0,
    usedWrapBits: "ok",
    usedAhead: false,
    stalled: false,
    configGenerationBumps: 0,
    notifyOffset: undefined,
    refuseVectorsFrom: Number.POSITIVE_INFINITY,
    vectorReadback: undefined,
    needsReset: false,
  };
}
