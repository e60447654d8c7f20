import type { BlockDriver } from "../../drivers/block-driver";
import type { EventLoop } from "../../kernel/event-loop";

/** The part of the event loop a disk needs. */
export type BlockLoop = Pick<EventLoop, "addPoller" | "addWakeSource" | "setTimeout" | "clearTimeout">;

/**
 * How the scheduler hears of completions. Either way, requests in flight keep the machine alive
 * and an idle disk does not.
 */
export interface CompletionWatch {
  /** Called after every change to the number of requests in flight. */
  setBusy(busy: boolean): void;
  /** Stops watching (the driver is being replaced or given up). */
  close(): void;
  /** Asks for one more completion pass on a later loop turn (requests completed without an interrupt). */
  wake(): void;
}

/**
 * Interrupts: one wake source, woken by the driver's completion interrupt. Referenced only while
 * requests are in flight; the loop never spins for the disk, it waits for the interrupt.
 */
class InterruptCompletions implements CompletionWatch {
  private readonly source: ReturnType<BlockLoop["addWakeSource"]>;

  constructor(driver: BlockDriver, loop: BlockLoop, onCompletions: () => void) {
    const source = loop.addWakeSource(onCompletions).unref();
    driver.onInterrupt = () => source.wake();
    this.source = source;
  }

  setBusy(busy: boolean): void {
    if (busy) this.source.ref();
    else this.source.unref();
  }

  close(): void {
    this.source.close();
  }

  wake(): void {
    this.source.wake();
  }
}

/** Polling (no interrupts, or asked not to use them): an event-loop poller while requests are in flight. */
class PolledCompletions implements CompletionWatch {
  private poller: { close(): void } | undefined;

  constructor(
    private readonly loop: BlockLoop,
    private readonly onCompletions: () => void,
  ) {}

  setBusy(busy: boolean): void {
    if (busy && this.poller === undefined) this.poller = this.loop.addPoller(this.onCompletions);
    else if (!busy && this.poller !== undefined) {
      this.poller.close();
      this.poller = undefined;
    }
  }

  close(): void {
    this.setBusy(false);
  }

  wake(): void {
    this.setBusy(true);
  }
}

export function watchCompletions(driver: BlockDriver, loop: BlockLoop, onCompletions: () => void): CompletionWatch {
  return driver.polled ? new PolledCompletions(loop, onCompletions) : new InterruptCompletions(driver, loop, onCompletions);
}
