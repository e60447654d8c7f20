import { BlockRequestError } from "../../drivers/block-driver";

/**
 * Arguments a block call refused before anything was submitted. Device-side failures are the
 * driver's typed errors (BlockError: io, unsupported, read-only, device); timeouts and a disk
 * given up are the block layer's (BlockTimeoutError, BlockOfflineError).
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

/**
 * A request that got no answer in time: its deadline passed on the device, it was in flight
 * when the device was reset, or it waited in the queue past its deadline (then it never reached
 * the device). Never an acknowledgement: a write that timed out on the device may or may not
 * have reached the medium, and a reader must not assume either.
 */
export class BlockTimeoutError extends BlockRequestError {
  constructor(deviceName: string, detail: string) {
    super(deviceName, "timeout", detail);
  }
}

/**
 * The disk was given up and refuses every request at once. `code` says why: "recovery-limit"
 * (too many resets in a minute), "reset-failed" (the device did not come back), "no-reset" (its
 * driver cannot reset it), "identity" (BlockIdentityError).
 */
export class BlockOfflineError extends BlockRequestError {
  constructor(deviceName: string, code: string, detail: string) {
    super(deviceName, "offline", detail, code);
  }
}

/** After a reset the device came back as another disk (serial, block size or capacity differ). */
export class BlockIdentityError extends BlockOfflineError {
  constructor(deviceName: string, detail: string) {
    super(deviceName, "identity", detail);
  }
}
