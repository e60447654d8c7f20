import type { ChecksumOffload, FrameHandler, NetLink } from "../../drivers/net-link";
import { RecoveryBudget } from "../recovery-budget";
import { NetError } from "./errors";
import type { Scheduler, TimerHandle } from "./scheduler";

export interface RecoveringLinkOptions {
  readonly scheduler: Scheduler;
  /** Device resets allowed in any minute before the link is given up (default 5). */
  readonly maxRecoveriesPerMinute?: number;
}

const DEFAULT_RECOVERIES_PER_MINUTE = 5;
const MAC_LENGTH = 6;

/**
 * One NetLink for the stack across device resets. When the link under it breaks (a corrupted ring,
 * a device that asked for a reset), the link reads down, and on the next loop turn the device is
 * reset and the link that comes back takes over the stack's handlers; the stack is told the link is
 * up again, and TCP retransmits what was lost in between. A link that cannot reset, that keeps
 * breaking past the budget, or whose reset fails is given up: `offline` says why.
 */
export class RecoveringLink implements NetLink {
  /** The address the stack uses: the device's, kept when it comes back (announced again on link up). */
  readonly mac = new Uint8Array(MAC_LENGTH);
  /** Resets that brought the link back. */
  recoveries = 0;
  /** Why the link last broke. */
  lastError: Error | undefined;
  /** Set once the link is given up. */
  offline: NetError | undefined;
  private current: NetLink;
  private receiveHandler: FrameHandler | undefined;
  private linkHandler: ((up: boolean) => void) | undefined;
  private pending: TimerHandle | undefined;
  private readonly budget: RecoveryBudget;

  constructor(
    link: NetLink,
    private readonly options: RecoveringLinkOptions,
  ) {
    this.current = link;
    this.budget = new RecoveryBudget(options.maxRecoveriesPerMinute ?? DEFAULT_RECOVERIES_PER_MINUTE);
    this.mac.set(link.mac);
    link.onBroken = this.onLinkBroken;
  }

  /** The link serving now (a new one after each reset). */
  get link(): NetLink {
    return this.current;
  }

  get mtu(): number {
    return this.current.mtu;
  }

  get checksumOffload(): boolean {
    return this.current.checksumOffload;
  }

  get segmentationLimit(): number {
    return this.current.segmentationLimit ?? 0;
  }

  get linkUp(): boolean {
    return this.pending === undefined && this.offline === undefined && this.current.linkUp;
  }

  transmit(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    return this.current.transmit(frame, offload);
  }

  allocateFrame(length: number): Uint8Array | undefined {
    return this.current.allocateFrame(length);
  }

  transmitAllocated(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    return this.current.transmitAllocated(frame, offload);
  }

  onReceive(handler: FrameHandler): void {
    this.receiveHandler = handler;
    this.current.onReceive(handler);
  }

  onLinkChange(handler: (up: boolean) => void): void {
    this.linkHandler = handler;
    this.current.onLinkChange(handler);
  }

  /** Possibly from inside the broken link's receive path: the reset waits for the next turn. */
  private readonly onLinkBroken = (error: Error): void => {
    this.lastError = error;
    if (this.pending !== undefined || this.offline !== undefined) return;
    this.pending = this.options.scheduler.setTimer(0, this.recover);
    this.linkHandler?.(false);
  };

  private readonly recover = (): void => {
    this.pending = undefined;
    const old = this.current;
    const reason = this.lastError?.message ?? "the link broke";
    if (old.reset === undefined) return this.giveUp(`${reason}; the driver cannot reset the device`);
    if (!this.budget.take(this.options.scheduler.now())) {
      return this.giveUp(`${reason}; already reset ${this.budget.limit} times within a minute`);
    }
    let next: NetLink;
    try {
      next = old.reset();
    } catch (error) {
      return this.giveUp(`${reason}; the device did not come back: ${(error as Error).message}`);
    }
    this.recoveries++;
    this.current = next;
    next.onBroken = this.onLinkBroken;
    if (this.receiveHandler !== undefined) next.onReceive(this.receiveHandler);
    if (this.linkHandler !== undefined) next.onLinkChange(this.linkHandler);
    if (next.linkUp) this.linkHandler?.(true);
  };

  private giveUp(detail: string): void {
    this.offline = new NetError("closed", `network link given up: ${detail}`);
  }
}
