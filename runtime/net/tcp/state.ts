/** Connection states (RFC 9293 3.3.2). LISTEN belongs to TcpListener, not to connections. */
export type TcpState =
  | "SYN_SENT"
  | "SYN_RECEIVED"
  | "ESTABLISHED"
  | "FIN_WAIT_1"
  | "FIN_WAIT_2"
  | "CLOSE_WAIT"
  | "CLOSING"
  | "LAST_ACK"
  | "TIME_WAIT"
  | "CLOSED";

/** States in which arriving data is delivered to the app. */
export function acceptsData(state: TcpState): boolean {
  return state === "ESTABLISHED" || state === "FIN_WAIT_1" || state === "FIN_WAIT_2";
}

/** States after the handshake in which we may still send data. */
export function canSendData(state: TcpState): boolean {
  return state === "ESTABLISHED" || state === "CLOSE_WAIT";
}
