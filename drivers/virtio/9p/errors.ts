import { VirtioDeviceError, VirtioError, VirtioTimeoutError, VirtioUsageError } from "../errors";
import { errnoName } from "./errno";

/** The server refused a request (Rlerror): `errno` is Linux's number, `code` its name (ENOENT, EACCES...). */
export class NinePError extends VirtioError {
  constructor(
    deviceName: string,
    readonly errno: number,
    detail: string,
  ) {
    super(deviceName, errnoName(errno), detail);
  }
}

/** A reply that breaks the protocol (size, type, tag, a length past the message, a bad qid): nothing of it was trusted. */
export class NineProtocolError extends VirtioDeviceError {}

/** No reply within the request's deadline (the request was flushed), or the device stopped answering altogether. */
export class NineTimeoutError extends VirtioTimeoutError {}

/** The client was used wrongly or is out of a bounded resource (fids, waiting requests), or the share is gone. */
export class NineUsageError extends VirtioUsageError {}

/** The caller gave up on the request (its AbortSignal fired): it was flushed. */
export class NineCancelledError extends VirtioError {}
