import type { ChecksumOffload } from "../../drivers/net-link";
import { PROTOCOL_TCP } from "../../runtime/net/ipv4-header";
import type { ManualScheduler } from "../net/manual-scheduler";
import { decodeFrame, decodeIpv4 } from "../net/packets";
import { SimLink } from "../net/sim-link";
import { decodeTcp, type DecodedTcp } from "./segments";

/** What happens to one frame: delivered, lost, sent twice, or held back by `delayMs`. */
export type Fate = "deliver" | "drop" | "duplicate" | { delayMs: number };

/** A SimLink whose transmissions pass a per-frame filter (loss, duplication, reordering). */
export class LossyLink extends SimLink {
  filter: (segment: DecodedTcp | null, frame: Uint8Array) => Fate = () => "deliver";
  dropped = 0;

  constructor(
    mac: Uint8Array,
    private readonly clock: ManualScheduler,
    mtu?: number,
  ) {
    super(mac, clock, mtu);
  }

  override transmit(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    const fate = this.filter(tcpOf(frame), frame);
    if (fate === "drop") {
      this.dropped++;
      return true;
    }
    if (fate === "duplicate") {
      super.transmit(frame, offload);
      return super.transmit(frame.slice(), offload);
    }
    if (fate !== "deliver") {
      this.clock.setTimer(fate.delayMs, () => super.transmit(frame, offload));
      return true;
    }
    return super.transmit(frame, offload);
  }
}

/** The TCP segment in an Ethernet frame, if it carries one. */
export function tcpOf(frame: Uint8Array): DecodedTcp | null {
  const ethernetFrame = decodeFrame(frame);
  if (ethernetFrame.etherType !== 0x0800) return null;
  const packet = decodeIpv4(ethernetFrame.payload);
  return packet.protocol === PROTOCOL_TCP ? decodeTcp(packet.source, packet.destination, packet.payload) : null;
}
