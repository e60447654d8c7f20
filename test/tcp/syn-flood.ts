import type { ScriptedPeer } from "./scripted-peer";
import { SYN } from "./segments";

/** First source port of a flood; the scripted client's PEER_PORT lies above every flood. */
const FLOOD_FIRST_PORT = 1000;

/** `count` SYNs to port 80 from distinct source ports, none of which will ever answer. */
export function synFlood(peer: ScriptedPeer, count: number): void {
  for (let i = 0; i < count; i++) peer.send({ seq: i * 7919, flags: SYN, sourcePort: FLOOD_FIRST_PORT + i });
}
