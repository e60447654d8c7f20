/**
 * Arguments a block call refused before anything was submitted. Device-side failures are the
 * driver's typed errors (BlockError: io, unsupported, read-only, device).
 */
export class BlockArgumentError extends Error {
  constructor(
    readonly device: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${device}: ${field}: ${detail}`);
    this.name = new.target.name;
  }
}

/** The blocks asked for lie (partly) beyond the device's capacity, or the lba is not a block number. */
export class BlockRangeError extends BlockArgumentError {}

/** A length that is not a whole number of logical blocks. */
export class BlockAlignmentError extends BlockArgumentError {}
