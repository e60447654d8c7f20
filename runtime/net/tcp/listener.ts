import { reportCallbackError } from "../errors";
import type { TcpConnection } from "./connection";

export interface ListenOptions {
  /** Handshakes in progress for this port, at most; further SYNs get SYN cookies or are dropped. */
  backlog?: number;
}

/** A passive open on one port. Each completed handshake is handed to `onConnection`. */
export class TcpListener {
  /** Connections of this listener still in SYN_RECEIVED. */
  pendingHandshakes = 0;
  /** Cookie clock step of the last SYN cookie this listener sent. */
  lastCookieStep = Number.NEGATIVE_INFINITY;
  private open = true;

  constructor(
    readonly port: number,
    readonly backlog: number,
    private readonly onConnection: (connection: TcpConnection) => void,
    private readonly release: (listener: TcpListener) => void,
  ) {}

  get listening(): boolean {
    return this.open;
  }

  /** Stops accepting; established connections carry on. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.release(this);
  }

  deliver(connection: TcpConnection): void {
    if (!this.open) return connection.abort();
    try {
      this.onConnection(connection);
    } catch (error) {
      reportCallbackError(error);
    }
  }
}
