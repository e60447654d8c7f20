import { VirtioBlockDeviceError, VirtioBlockRequestError } from "../block-errors";

/** A request the device answered with a failure (the virtio-blk family of VirtioBlockRequestError). */
export abstract class BlkRequestError extends VirtioBlockRequestError {}

/** Status IOERR. */
export class BlkIoError extends BlkRequestError {
  readonly failure = "io";

  constructor(deviceName: string, request: string) {
    super(deviceName, "ioerr", request, "device reported an I/O error");
  }
}

/** Status UNSUPP, or an operation the device did not offer (rejected before submission). */
export class BlkUnsupportedError extends BlkRequestError {
  readonly failure = "unsupported";

  constructor(deviceName: string, request: string, detail = "device reported the request unsupported") {
    super(deviceName, "unsupported", request, detail);
  }
}

/** A write, discard or write-zeroes on a read-only device; it never reaches the ring. */
export class BlkReadOnlyError extends BlkRequestError {
  readonly failure = "read-only";

  constructor(deviceName: string, request: string) {
    super(deviceName, "read-only", request, "device is read-only");
  }
}

/** The device answered with a status byte or used length it may not give; nothing of it is trusted. */
export class BlkDeviceError extends VirtioBlockDeviceError {}
