/**
 * The error families every virtio disk (virtio-blk, a virtio-scsi logical unit) reports block
 * requests with: each names the device, what was asked (`request`: "read sector 8 x16",
 * "Read10 lba 8 x16", "flush") and the block layer's failure kind.
 */
import type { BlockError, BlockFailure } from "../block-driver";
import { VirtioDeviceError, VirtioError } from "./errors";

/** A request the device answered with a failure, or refused before submission. */
export abstract class VirtioBlockRequestError extends VirtioError implements BlockError {
  abstract readonly failure: BlockFailure;

  constructor(
    deviceName: string,
    code: string,
    readonly request: string,
    detail: string,
  ) {
    super(deviceName, code, `${request}: ${detail}`);
  }
}

/** The device answered a request with values it may not give: nothing of the answer is trusted. */
export class VirtioBlockDeviceError extends VirtioDeviceError implements BlockError {
  readonly failure = "device";

  constructor(
    deviceName: string,
    code: string,
    readonly request: string,
    detail: string,
  ) {
    super(deviceName, code, `${request}: ${detail}`);
  }
}
