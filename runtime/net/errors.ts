export type NetErrorCode =
  | "timeout"
  | "unreachable"
  | "nxdomain"
  | "serverFailure"
  | "noData"
  | "malformed"
  | "noServer"
  | "badName"
  | "badAddress"
  | "badConfig"
  | "addressInUse"
  /** The operation needs a direction or socket that is already shut. */
  | "closed"
  /** The peer answered a TCP SYN with RST. */
  | "refused"
  /** The peer reset an established TCP connection. */
  | "reset"
  /** A connection or buffer limit was reached. */
  | "limit";

/** The one error type the stack hands to apps; `code` says what went wrong. */
export class NetError extends Error {
  constructor(
    readonly code: NetErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "NetError";
  }
}

/**
 * Surfaces an exception thrown by an app callback without unwinding into the driver's receive
 * path: it becomes an unhandled rejection, which the runtime reports.
 */
export function reportCallbackError(error: unknown): void {
  void Promise.reject(error);
}
