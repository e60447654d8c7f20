import { DmaSlab } from "../../../kernel/dma";
import { machineMemoryPressure, type MemoryPressure, type PageCounts } from "../../../kernel/memory-pressure";
import type { Platform } from "../../../kernel/platform";
import type { VirtioDevice } from "../device";
import type { VirtioInterruptMode } from "../interrupts";
import { Completion, type Virtqueue } from "../ring/virtqueue";
import type { Transport } from "../transport/transport";
import { BALLOON_CONFIG, BALLOON_PAGE_SIZE, BALLOON_PFN_SHIFT, BalloonFeature, PFN_BYTES } from "./constants";
import { balloonQueues } from "./layout";
import { FreePageReporter, type FreePageReportingOptions } from "./reporting";
import { STATS_BUFFER_BYTES, writeBalloonStats } from "./stats";

export interface VirtioBalloonOptions {
  /** The page allocator's counts: the statistics, and the floor the balloon keeps. */
  readonly pages: PageCounts;
  /** Where DEFLATE_ON_OOM offers the balloon's pages (default: the machine's). */
  readonly pressure?: MemoryPressure;
  /** Free memory the guest always keeps: the balloon never inflates below it (default 16 MiB). */
  readonly minFreeBytes?: number;
  /** Page frame numbers per inflate or deflate buffer (default 256, one KiB). */
  readonly pfnsPerBuffer?: number;
  /** Inflate and deflate buffers in flight per queue (default 16). */
  readonly buffersPerQueue?: number;
  /** With PAGE_REPORTING negotiated: how free memory is reported. */
  readonly reporting?: FreePageReportingOptions;
}

export const DEFAULT_MIN_FREE_BYTES = 16 * 1024 * 1024;
const DEFAULT_PFNS_PER_BUFFER = 256;
const DEFAULT_BUFFERS_PER_QUEUE = 16;
/** Inflate and deflate rings; buffersPerQueue of their entries are used. */
const PFN_QUEUE_SIZE = 64;
/** The statistics queue holds one buffer at a time (5.5.6.3). */
const STATS_QUEUE_SIZE = 4;
/** Ranges of one free page report at most. */
const REPORTING_QUEUE_SIZE = 32;
/** How long an out-of-memory deflate waits for the device's acknowledgement under MUST_TELL_HOST. */
const OOM_ACK_TIMEOUT_NS = 100_000_000;
const OOM_ACK_POLL_NS = 100_000;

/** What the balloon holds and wants, for apps and tests. */
export interface BalloonState {
  /** num_pages as the device last set it. */
  readonly requested: number;
  /** `actual` as last written: pages the device acknowledged in the balloon. */
  readonly actual: number;
  /** Pages in inflate buffers the device has not acknowledged yet. */
  readonly inflating: number;
  /** Pages in deflate buffers the device has not acknowledged yet. */
  readonly deflating: number;
  /** The request could not be met without going below the free-memory floor. */
  readonly bounded: boolean;
  /** Pages given back to the allocator on its demand (DEFLATE_ON_OOM). */
  readonly oomDeflated: number;
}

/** Whole pages taken from the allocator as one run (or what is left of one). */
interface PageRun {
  readonly physical: number;
  count: number;
}

/**
 * One slot of an inflate or deflate queue: a buffer of page frame numbers and the runs it names
 * (inflate: runs that join the balloon on acknowledgement; deflate under MUST_TELL_HOST: runs that
 * go back to the allocator on acknowledgement), `count` pages in all.
 */
interface PfnSlot {
  readonly view: DataView;
  readonly runs: PageRun[];
  count: number;
}

/**
 * virtio-balloon: follows the device's `num_pages` with real pages. Inflating takes pages out of
 * the page allocator and names them on the inflateq; they join the balloon once the device
 * acknowledges. Deflating names acknowledged balloon pages on the deflateq and gives them back to
 * the allocator (at once, or after the acknowledgement under MUST_TELL_HOST). `actual` follows the
 * acknowledgements. The balloon never takes the guest below `minFreeBytes` of free memory: a
 * larger request is bounded (`bounded`) and retried whenever the device wakes the driver.
 *
 * Inflating and deflating never overlap: a page given back while a deflate is unacknowledged
 * could otherwise be named again in an inflate the device processes first.
 */
export class VirtioBalloon {
  readonly interruptMode: VirtioInterruptMode;
  readonly inflateQueue: Virtqueue<number>;
  readonly deflateQueue: Virtqueue<number>;
  readonly statsQueue: Virtqueue<number> | undefined;
  readonly reporter: FreePageReporter | undefined;
  private readonly platform: Platform;
  private readonly transport: Transport;
  private readonly pages: PageCounts;
  private readonly mustTellHost: boolean;
  private readonly floorPages: number;
  private readonly pfnsPerBuffer: number;
  private readonly inflateSlots: PfnSlot[];
  private readonly deflateSlots: PfnSlot[];
  private readonly freeInflateSlots: number[];
  private readonly freeDeflateSlots: number[];
  private readonly pfnSlab: DmaSlab;
  private readonly statsSlab: DmaSlab | undefined;
  private readonly statsView: DataView | undefined;
  /** Acknowledged balloon pages, as runs; deflating takes the newest first. */
  private readonly held: PageRun[] = [];
  private heldPages = 0;
  private readonly unregisterReclaimer: (() => void) | undefined;
  private requested = 0;
  private actual = 0;
  private inflating = 0;
  private deflating = 0;
  private bounded = false;
  private oomDeflated = 0;
  /** Set while the balloon itself is changing (adjusting, or deflating for the allocator). */
  private busy = false;
  private stopped = false;

  constructor(
    private readonly device: VirtioDevice,
    options: VirtioBalloonOptions,
  ) {
    this.platform = device.platform;
    this.transport = device.transport;
    this.pages = options.pages;
    this.mustTellHost = device.has(BalloonFeature.MustTellHost);
    this.floorPages = Math.ceil((options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES) / BALLOON_PAGE_SIZE);
    const queues = balloonQueues(device.offeredFeatures, device.features, (index) => device.transport.queueMaxSize(index) > 0);
    const bound = [queues.inflate, queues.deflate, queues.stats, queues.reporting].filter((q): q is number => q !== undefined);
    this.interruptMode = device.bindInterrupts({ queues: bound, onQueue: this.onQueue });
    const buffers = options.buffersPerQueue ?? DEFAULT_BUFFERS_PER_QUEUE;
    this.inflateQueue = device.createQueue<number>(queues.inflate, { maxSize: PFN_QUEUE_SIZE });
    this.deflateQueue = device.createQueue<number>(queues.deflate, { maxSize: PFN_QUEUE_SIZE });
    this.pfnsPerBuffer = options.pfnsPerBuffer ?? DEFAULT_PFNS_PER_BUFFER;
    const perQueue = Math.min(buffers, this.inflateQueue.size, this.deflateQueue.size);
    this.pfnSlab = new DmaSlab(this.platform, 2 * perQueue, this.pfnsPerBuffer * PFN_BYTES);
    this.inflateSlots = this.slots(0, perQueue);
    this.deflateSlots = this.slots(perQueue, perQueue);
    this.freeInflateSlots = this.inflateSlots.map((_, i) => i);
    this.freeDeflateSlots = this.deflateSlots.map((_, i) => i);
    if (queues.stats !== undefined) {
      this.statsQueue = device.createQueue<number>(queues.stats, { maxSize: STATS_QUEUE_SIZE });
      this.statsSlab = new DmaSlab(this.platform, 1, STATS_BUFFER_BYTES);
      const bytes = this.statsSlab.bytes(0);
      this.statsView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    if (queues.reporting !== undefined) {
      const queue = device.createQueue<number>(queues.reporting, { maxSize: REPORTING_QUEUE_SIZE });
      this.reporter = new FreePageReporter(this.platform, queue, this.pages, this.floorPages, options.reporting);
    }
    if (device.has(BalloonFeature.DeflateOnOom)) this.unregisterReclaimer = (options.pressure ?? machineMemoryPressure).add(this.reclaim);
  }

  /** After DRIVER_OK: the first statistics buffer, the first free page report, then the device's request. */
  start(): void {
    if (this.statsQueue !== undefined) this.postStats();
    this.reporter?.report();
    this.configChanged();
  }

  get state(): BalloonState {
    return {
      requested: this.requested,
      actual: this.actual,
      inflating: this.inflating,
      deflating: this.deflating,
      bounded: this.bounded,
      oomDeflated: this.oomDeflated,
    };
  }

  /** The device changed num_pages (or may have): follow it. */
  configChanged(): void {
    this.requested = this.transport.readConfigStable(() => this.transport.readConfig(BALLOON_CONFIG.num_pages));
    this.adjust();
  }

  /**
   * A device without interrupts (mmio, or probed without a router) is driven by its owner calling
   * this: a configuration change, then completions on every queue.
   */
  poll(): void {
    this.device.checkConfig();
    for (const queue of [this.inflateQueue, this.deflateQueue, this.statsQueue, this.reporter?.queue]) if (queue !== undefined) this.onQueue(queue.index);
  }

  /** The balloon's pages go back with the device's DMA memory when it is reset; stop using them. */
  detach(): void {
    this.stopped = true;
    this.unregisterReclaimer?.();
  }

  private readonly onQueue = (index: number): void => {
    if (this.stopped) return;
    if (index === this.inflateQueue.index) this.inflateQueue.drain(this.takeInflated);
    else if (index === this.deflateQueue.index) this.deflateQueue.drain(this.takeDeflated);
    else if (index === this.statsQueue?.index) this.answerStats(this.statsQueue);
    else if (index === this.reporter?.queue.index) this.reporter.collect();
    this.updateActual();
    this.adjust();
  };

  /** Runs `work` with the balloon marked busy: neither `adjust` nor an out-of-memory deflate may start meanwhile. */
  private whileBusy(work: () => void): void {
    this.busy = true;
    try {
      work();
    } finally {
      this.busy = false;
    }
  }

  /** Inflates or deflates toward num_pages, as far as free slots, the floor and memory allow. */
  private adjust(): void {
    if (this.stopped || this.busy) return;
    this.whileBusy(() => {
      const inBalloon = this.heldPages + this.inflating;
      if (this.requested > inBalloon) {
        if (this.deflating === 0) this.inflate(this.requested - inBalloon);
      } else {
        this.bounded = false;
        if (this.requested < inBalloon && this.inflating === 0) this.deflate(inBalloon - this.requested);
      }
    });
  }

  private inflate(wanted: number): void {
    const spare = Math.max(0, Math.floor(this.pages.freePages()) - this.floorPages);
    let remaining = Math.min(wanted, spare);
    this.bounded = remaining < wanted;
    let posted = false;
    while (remaining > 0 && this.freeInflateSlots.length > 0) {
      const index = this.freeInflateSlots[this.freeInflateSlots.length - 1];
      const slot = this.inflateSlots[index];
      const fill = Math.min(remaining, this.pfnsPerBuffer);
      let runPages = fill;
      while (slot.count < fill) {
        const run = this.takeRun(Math.min(runPages, fill - slot.count));
        if (run === undefined) break;
        for (let i = 0; i < run.count; i++) slot.view.setUint32((slot.count + i) * PFN_BYTES, pageFrameNumber(run.physical) + i, true);
        slot.runs.push(run);
        slot.count += run.count;
        runPages = run.count;
      }
      if (slot.count === 0) {
        this.bounded = true;
        break;
      }
      this.publish(this.inflateQueue, index, slot);
      this.freeInflateSlots.pop();
      this.inflating += slot.count;
      remaining -= slot.count;
      posted = true;
    }
    if (posted) this.inflateQueue.kick();
  }

  /** A run of up to `count` pages out of the allocator (smaller when memory is fragmented), or undefined when it has none. */
  private takeRun(count: number): PageRun | undefined {
    for (let pages = count; ; pages = Math.ceil(pages / 2)) {
      try {
        return { physical: this.platform.takePages(pages), count: pages };
      } catch (cause) {
        if (!(cause instanceof RangeError)) throw cause;
        if (pages === 1) return undefined;
      }
    }
  }

  /** Names up to `wanted` acknowledged pages on the deflateq; returns how many went back to the allocator now. */
  private deflate(wanted: number): number {
    let remaining = Math.min(wanted, this.heldPages);
    let released = 0;
    let posted = false;
    while (remaining > 0 && this.freeDeflateSlots.length > 0) {
      const index = this.freeDeflateSlots.pop() as number;
      const slot = this.deflateSlots[index];
      const fill = Math.min(remaining, this.pfnsPerBuffer);
      while (slot.count < fill) {
        const top = this.held[this.held.length - 1];
        const pages = Math.min(top.count, fill - slot.count);
        top.count -= pages;
        if (top.count === 0) this.held.pop();
        const physical = top.physical + top.count * BALLOON_PAGE_SIZE;
        for (let i = 0; i < pages; i++) slot.view.setUint32((slot.count + i) * PFN_BYTES, pageFrameNumber(physical) + i, true);
        slot.count += pages;
        // Without MUST_TELL_HOST the pages may be used before the device acknowledges (5.5.6).
        if (this.mustTellHost) slot.runs.push({ physical, count: pages });
        else this.platform.returnPages(physical, pages);
      }
      this.publish(this.deflateQueue, index, slot);
      this.heldPages -= slot.count;
      this.deflating += slot.count;
      remaining -= slot.count;
      if (!this.mustTellHost) released += slot.count;
      posted = true;
    }
    if (posted) this.deflateQueue.kick();
    return released;
  }

  private publish(queue: Virtqueue<number>, index: number, slot: PfnSlot): void {
    queue.begin();
    queue.addReadable(this.pfnSlab.physical(this.slotIndex(queue, index)), slot.count * PFN_BYTES);
    queue.publish(index);
  }

  private slotIndex(queue: Virtqueue<number>, index: number): number {
    return queue === this.inflateQueue ? index : this.inflateSlots.length + index;
  }

  private readonly takeInflated = (): number => {
    let taken = 0;
    while (this.inflateQueue.nextCompletion() === Completion.Taken) {
      const index = this.inflateQueue.completedToken as number;
      const slot = this.inflateSlots[index];
      for (const run of slot.runs) this.held.push(run);
      this.heldPages += slot.count;
      this.inflating -= slot.count;
      slot.runs.length = 0;
      slot.count = 0;
      this.freeInflateSlots.push(index);
      taken++;
    }
    return taken;
  };

  private readonly takeDeflated = (): number => {
    let taken = 0;
    while (this.deflateQueue.nextCompletion() === Completion.Taken) {
      const index = this.deflateQueue.completedToken as number;
      const slot = this.deflateSlots[index];
      for (const run of slot.runs) this.platform.returnPages(run.physical, run.count);
      this.deflating -= slot.count;
      slot.runs.length = 0;
      slot.count = 0;
      this.freeDeflateSlots.push(index);
      taken++;
    }
    return taken;
  };

  /** The device used the statistics buffer: it wants fresh figures (5.5.6.3). */
  /**
   * The device used the statistics buffer: a fresh one goes back after the drain, not inside it, so
   * a device using each buffer the moment it gets it is answered once per turn, not in an endless loop.
   */
  private answerStats(queue: Virtqueue<number>): void {
    if (queue.drain(this.takeStatsRequest) === 0 || queue.broken !== undefined) return;
    this.postStats();
    this.reporter?.reportIfGrown();
  }

  private readonly takeStatsRequest = (): number => {
    const queue = this.statsQueue as Virtqueue<number>;
    let taken = 0;
    while (queue.nextCompletion() === Completion.Taken) taken++;
    return taken;
  };

  /** The one statistics buffer, filled with the current figures, back to the device. */
  private postStats(): void {
    const queue = this.statsQueue as Virtqueue<number>;
    writeBalloonStats(this.statsView as DataView, this.pages);
    queue.begin();
    queue.addReadable((this.statsSlab as DmaSlab).physical(0), STATS_BUFFER_BYTES);
    queue.publish(0);
    queue.kick();
  }

  /** `actual`: pages in the balloon as far as the device has acknowledged (deflates not yet acknowledged count). */
  private updateActual(): void {
    const actual = this.heldPages + this.deflating;
    if (actual === this.actual || this.stopped) return;
    this.actual = actual;
    this.transport.writeConfig(BALLOON_CONFIG.actual, actual);
  }

  /**
   * DEFLATE_ON_OOM: the allocator is out of memory; give back up to `wanted` balloon pages now.
   * Under MUST_TELL_HOST the pages are free only once the device acknowledged, so this waits for
   * that (bounded). The floor keeps the balloon from taking them again at once.
   */
  private readonly reclaim = (wanted: number): number => {
    if (this.stopped || this.busy) return 0;
    let released = 0;
    this.whileBusy(() => {
      released = this.deflate(wanted);
      if (this.mustTellHost) released = this.awaitDeflateAcks();
    });
    this.oomDeflated += released;
    this.updateActual();
    return released;
  };

  /** Polls the deflateq until every deflate is acknowledged or the deadline passes; returns the pages freed. */
  private awaitDeflateAcks(): number {
    const before = this.deflating;
    const deadline = this.platform.monotonicNs() + OOM_ACK_TIMEOUT_NS;
    while (this.deflating > 0 && this.deflateQueue.broken === undefined) {
      this.deflateQueue.drain(this.takeDeflated);
      const now = this.platform.monotonicNs();
      if (this.deflating === 0 || now > deadline) break;
      this.platform.waitForInterrupt(Math.min(deadline, now + OOM_ACK_POLL_NS));
    }
    return before - this.deflating;
  }

  private slots(first: number, count: number): PfnSlot[] {
    const slots: PfnSlot[] = [];
    for (let i = 0; i < count; i++) {
      const bytes = this.pfnSlab.bytes(first + i);
      slots.push({ view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), runs: [], count: 0 });
    }
    return slots;
  }
}

/** A page frame number as the inflate and deflate arrays carry it. */
function pageFrameNumber(physical: number): number {
  return Math.floor(physical / 2 ** BALLOON_PFN_SHIFT);
}
