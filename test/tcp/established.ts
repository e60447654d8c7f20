import type { RandomSource } from "../../runtime/net/scheduler";
import type { TcpOptions } from "../../runtime/net/tcp/config";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { ScriptedPeer } from "./scripted-peer";
import { ACK, SYN, mssOption } from "./segments";

export const PEER_MSS = 1000;

export interface Established {
  peer: ScriptedPeer;
  connection: TcpConnection;
  /** The stack's next sequence number. */
  ours: number;
  /** The peer's next sequence number. */
  theirs: number;
}

/** A passive connection on port 80 to a scripted peer (MSS 1000, no window scaling). */
export function establish(options: Partial<TcpOptions> = {}, peerIsn = 5000, window = 65535, random?: RandomSource): Established {
  const peer = new ScriptedPeer(options, random);
  let connection: TcpConnection | null = null;
  peer.tcp.listen(80, (accepted) => (connection = accepted));
  peer.send({ seq: peerIsn, flags: SYN, options: mssOption(PEER_MSS) });
  const [synAck] = peer.take();
  const ours = (synAck.seq + 1) >>> 0;
  const theirs = (peerIsn + 1) >>> 0;
  peer.send({ seq: theirs, ack: ours, flags: ACK, window });
  if (connection === null) throw new Error("handshake did not complete");
  return { peer, connection, ours, theirs };
}
