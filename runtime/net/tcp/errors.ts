export type TcpErrorCode =
  /** The peer answered the SYN with RST. */
  | "refused"
  /** The peer reset an established connection, or the app aborted it. */
  | "reset"
  /** Retransmissions or keep-alive probes went unanswered. */
  | "timeout"
  /** The operation needs a direction that is already shut. */
  | "closed"
  | "addressInUse"
  /** A connection or buffer limit was reached. */
  | "limit"
  | "unreachable";

export class TcpError extends Error {
  constructor(
    readonly code: TcpErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "TcpError";
  }
}
