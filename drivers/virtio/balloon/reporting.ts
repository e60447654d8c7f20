import type { PageCounts } from "../../../kernel/memory-pressure";
import type { Platform } from "../../../kernel/platform";
import { VirtioUsageError } from "../errors";
import { Completion, type Virtqueue } from "../ring/virtqueue";
import { BALLOON_PAGE_SIZE } from "./constants";

export interface FreePageReportingOptions {
  /** Bytes of one reported range, whole pages (default 2 MiB). */
  readonly rangeBytes?: number;
  /** Ranges per report at most (default 16; also bounded by the queue). */
  readonly rangesPerReport?: number;
}

const DEFAULT_RANGE_BYTES = 2 * 1024 * 1024;
const DEFAULT_RANGES_PER_REPORT = 16;
/** The one report in flight. */
const REPORT_TOKEN = 0;

/**
 * Free page reporting (VIRTIO_BALLOON_F_PAGE_REPORTING, section 5.5.6.6): free memory is taken out
 * of the allocator in runs of whole pages (never touched: `takePages` neither maps nor zeroes
 * them), offered to the device as device-writable buffers (it may discard their contents) and
 * given back to the allocator once the device used them. PAGE_POISON is not negotiated, so they
 * count as uninitialised, and the allocator zeroes every allocation anyway. One report is in flight at a time, and a report
 * never takes the guest below the balloon's free-memory floor. Further reports follow memory the
 * guest used and freed again, checked whenever the device asks for statistics.
 */
export class FreePageReporter {
  private readonly rangeBytes: number;
  private readonly rangesPerReport: number;
  /** First physical address of each range in the report in flight. */
  private readonly ranges: number[] = [];
  private inFlight = false;
  /** The fewest free pages seen since the last report. */
  private lowestFree = 0;
  /** Reports the device acknowledged, and the bytes they covered. */
  reports = 0;
  reportedBytes = 0;

  constructor(
    private readonly platform: Platform,
    readonly queue: Virtqueue<number>,
    private readonly pages: PageCounts,
    private readonly floorPages: number,
    options: FreePageReportingOptions = {},
  ) {
    this.rangeBytes = options.rangeBytes ?? DEFAULT_RANGE_BYTES;
    if (!(Number.isInteger(this.rangeBytes / BALLOON_PAGE_SIZE) && this.rangeBytes > 0)) {
      throw new VirtioUsageError(queue.deviceName, "reporting-range", `${this.rangeBytes} bytes is not whole pages`);
    }
    this.rangesPerReport = Math.min(options.rangesPerReport ?? DEFAULT_RANGES_PER_REPORT, queue.maxChainLength);
  }

  /** Offers free ranges to the device unless a report is in flight or nothing can be spared. */
  report(): void {
    if (this.inFlight) return;
    const rangePages = this.rangeBytes / BALLOON_PAGE_SIZE;
    this.lowestFree = this.pages.freePages();
    while (this.ranges.length < this.rangesPerReport && this.pages.freePages() - rangePages >= this.floorPages) {
      const range = this.takeRange();
      if (range === undefined) break;
      this.ranges.push(range);
    }
    if (this.ranges.length === 0) return;
    const queue = this.queue;
    queue.begin();
    for (const range of this.ranges) queue.addWritable(range, this.rangeBytes);
    queue.publish(REPORT_TOKEN);
    queue.kick();
    this.inFlight = true;
  }

  /**
   * A new report when free memory grew by at least one range above its lowest point since the
   * last report (memory the guest used and gave back since then).
   */
  reportIfGrown(): void {
    const free = this.pages.freePages();
    if (free < this.lowestFree) this.lowestFree = free;
    else if (free - this.lowestFree >= this.rangeBytes / BALLOON_PAGE_SIZE) this.report();
  }

  /** Takes the acknowledged report: its ranges go back to the allocator. */
  collect(): void {
    this.queue.drain(this.takeReport);
  }

  private readonly takeReport = (): number => {
    let taken = 0;
    while (this.queue.nextCompletion() === Completion.Taken) {
      for (const range of this.ranges) {
        this.reportedBytes += this.rangeBytes;
        this.platform.returnPages(range, this.rangeBytes / BALLOON_PAGE_SIZE);
      }
      this.ranges.length = 0;
      this.inFlight = false;
      this.reports++;
      taken++;
    }
    return taken;
  };

  private takeRange(): number | undefined {
    try {
      return this.platform.takePages(this.rangeBytes / BALLOON_PAGE_SIZE);
    } catch (cause) {
      if (cause instanceof RangeError) return undefined;
      throw cause;
    }
  }
}
