import type { ChecksumOffload, FrameHandler, NetLink, RxInfo } from "../../drivers/net-link";
import type { ManualScheduler } from "./manual-scheduler";

export interface SentFrame {
  readonly frame: Uint8Array;
  readonly offload: ChecksumOffload | undefined;
}

const NOT_VALIDATED: RxInfo = { checksumValidated: false };
/** What allocated frames hold before the stack writes them. */
const STALE_BYTE = 0xa5;

/** A NetLink whose transmissions are recorded and, when wired to a peer, delivered on the next tick. */
export class SimLink implements NetLink {
  readonly mtu: number;
  linkUp = true;
  checksumOffload = false;
  /** Set above the MTU to take TCP segments the link would cut up (frames then carry a segment size). */
  segmentationLimit = 0;
  /** Delay before a transmitted frame reaches the peer. */
  latencyMs = 0;
  /** While true, transmit() reports a full ring. */
  ringFull = false;
  /** While true, allocateFrame() has no transmit memory to offer. */
  noTransmitMemory = false;
  /** Frames sent through allocateFrame() and transmitAllocated(). */
  allocatedSent = 0;
  readonly sent: SentFrame[] = [];
  private receiveHandler: FrameHandler | null = null;
  private linkHandler: ((up: boolean) => void) | null = null;
  private peer: SimLink | null = null;

  constructor(
    readonly mac: Uint8Array,
    private readonly scheduler: ManualScheduler,
    mtu = 1500,
  ) {
    this.mtu = mtu;
  }

  transmit(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    if (this.ringFull) return false;
    this.sent.push({ frame, offload });
    const peer = this.peer;
    if (peer !== null) this.scheduler.setTimer(this.latencyMs, () => peer.inject(frame));
    return true;
  }

  /** A fresh frame filled with stale bytes, as a device's reused transmit memory would hold. */
  allocateFrame(length: number): Uint8Array | undefined {
    if (this.ringFull || this.noTransmitMemory) return undefined;
    return new Uint8Array(length).fill(STALE_BYTE);
  }

  transmitAllocated(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    const queued = this.transmit(frame, offload);
    if (queued) this.allocatedSent++;
    return queued;
  }

  onReceive(handler: FrameHandler): void {
    this.receiveHandler = handler;
  }

  onLinkChange(handler: (up: boolean) => void): void {
    this.linkHandler = handler;
  }

  /** Hands a frame to the stack as if it had arrived from the wire. */
  inject(frame: Uint8Array, info: RxInfo = NOT_VALIDATED): void {
    this.receiveHandler?.(frame, info);
  }

  setLinkUp(up: boolean): void {
    this.linkUp = up;
    this.linkHandler?.(up);
  }

  /** Frames sent since the last call. */
  takeSent(): SentFrame[] {
    return this.sent.splice(0);
  }

  static connect(a: SimLink, b: SimLink): void {
    a.peer = b;
    b.peer = a;
  }
}

export function mac(last: number): Uint8Array {
  return new Uint8Array([0x52, 0x54, 0x00, 0x12, 0x34, last]);
}
