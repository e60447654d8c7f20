import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { PARK, VirtioDeviceModel, type RequestResult, type RingOffer } from "./device-model";
import type { SimRequest } from "./request";
import { VIRTIO_BALLOON_F, VIRTIO_BALLOON_PFN_SHIFT, VIRTIO_BALLOON_STAT_SIZE, virtio_balloon_config, virtio_balloon_stat } from "./spec/balloon";
import { VIRTIO_DEVICE_ID } from "./spec/device-ids";
import { featureBit, hasFeatureBit } from "./spec/feature-bits";
import { tableSize } from "./spec/field";

const PAGE = 2 ** VIRTIO_BALLOON_PFN_SHIFT;
const PFN_BYTES = 4;
const QUEUE_SIZE = 128;
/** What the device does to a page it was given: anything (section 5.5.6.2); this pattern shows it. */
export const BALLOON_SCRIBBLE = 0xba;

export interface BalloonModelOptions extends RingOffer {
  /** Device feature bits offered (default STATS_VQ, DEFLATE_ON_OOM, PAGE_REPORTING). */
  readonly features?: bigint;
  /**
   * Number the queues as section 5.5.2 does, 0..4 whether or not the optional ones exist (an
   * absent one has size 0), rather than consecutively over the queues the device has.
   */
  readonly specNumbering?: boolean;
}

type QueueRole = "inflate" | "deflate" | "stats" | "free-page" | "reporting";
/** Queue roles by index as section 5.5.2 numbers them. */
const SPEC_ROLES: readonly QueueRole[] = ["inflate", "deflate", "stats", "free-page", "reporting"];

/**
 * The traditional memory balloon (section 5.5). Queues: inflateq, deflateq, then statsq and
 * reporting_vq when offered, numbered consecutively over the queues the device has (as QEMU
 * does; section 5.5.2 lists reporting_vq as 4 with a free_page_vq, never offered here, at 3).
 *
 * It keeps the set of pages in the balloon and checks what the driver can be seen doing: inflated
 * pages lie in memory the driver allocated and are not in the balloon already; deflated pages are
 * in it; `actual` matches the balloon once every request was processed; pages in the balloon stay
 * allocated until deflated; one statistics buffer at a time, with the same statistics each time;
 * reported ranges are whole pages of allocated memory. Inflated and reported pages are scribbled
 * over, as a host that discards them would.
 */
export class BalloonModel extends VirtioDeviceModel {
  readonly deviceType = VIRTIO_DEVICE_ID.balloon;
  /** Page frame numbers in the balloon. */
  readonly balloon = new Set<number>();
  /** The last statistics the driver supplied, by tag. */
  readonly stats = new Map<number, bigint>();
  statsBuffers = 0;
  inflateRequests = 0;
  deflateRequests = 0;
  reportedBytes = 0;
  /** `actual` as the driver last wrote it. */
  actual = 0;
  /** The role of each queue index; undefined for an index the device has no queue at. */
  private readonly roles: (QueueRole | undefined)[];
  private statsTags: string | undefined;

  constructor(memory: SimMemory, violations: ViolationLog, options: BalloonModelOptions = {}) {
    const features = options.features ?? featureBit(VIRTIO_BALLOON_F.STATS_VQ) | featureBit(VIRTIO_BALLOON_F.DEFLATE_ON_OOM) | featureBit(VIRTIO_BALLOON_F.PAGE_REPORTING);
    const offered = (role: QueueRole): boolean =>
      role === "inflate" || role === "deflate" || (role === "stats" && hasFeatureBit(features, VIRTIO_BALLOON_F.STATS_VQ)) || (role === "reporting" && hasFeatureBit(features, VIRTIO_BALLOON_F.PAGE_REPORTING));
    let count = 0;
    SPEC_ROLES.forEach((role, index) => {
      if (offered(role)) count = index + 1;
    });
    const roles = options.specNumbering === true ? SPEC_ROLES.slice(0, count) : SPEC_ROLES.filter(offered);
    super({
      memory,
      violations,
      queueSizes: roles.map((role) => (offered(role) ? QUEUE_SIZE : 0)),
      features,
      configLayout: virtio_balloon_config,
      configSize: tableSize(virtio_balloon_config),
      packed: options.packed,
      inOrder: options.inOrder,
    });
    this.roles = roles.map((role) => (offered(role) ? role : undefined));
  }

  get numPages(): number {
    return new DataView(this.config.buffer, this.config.byteOffset).getUint32(virtio_balloon_config.num_pages.offset, true);
  }

  /** The host asks for a balloon of `pages` pages: num_pages and a configuration change notification. */
  setTarget(pages: number): void {
    this.changeConfig((view) => view.setUint32(virtio_balloon_config.num_pages.offset, pages, true));
  }

  /** The index of the queue playing `role`, if the device has it. */
  queueIndex(role: QueueRole): number | undefined {
    const index = this.roles.indexOf(role);
    return index < 0 ? undefined : index;
  }

  /** The device asks for statistics: it uses the buffer it holds (section 5.5.6.3). */
  requestStats(): boolean {
    const index = this.queueIndex("stats");
    const request = index === undefined ? undefined : this.queue(index)?.parked.shift();
    if (request === undefined) return false;
    this.complete(request, 0);
    return true;
  }

  protected override writeDeviceConfig(offset: number, width: number, value: number): boolean {
    if (offset !== virtio_balloon_config.actual.offset || width !== virtio_balloon_config.actual.width) return false;
    this.actual = value;
    new DataView(this.config.buffer, this.config.byteOffset).setUint32(offset, value, true);
    this.checkActual();
    return true;
  }

  protected override onReset(): void {
    this.balloon.clear();
    this.statsTags = undefined;
    this.actual = 0;
  }

  protected handleRequest(request: SimRequest): RequestResult {
    switch (this.roles[request.queue]) {
      case "inflate":
        return this.inflate(request);
      case "deflate":
        return this.deflate(request);
      case "stats":
        return this.takeStats(request);
      case "reporting":
        return this.takeReport(request);
      default:
        this.report(`request on queue ${request.queue}, which the device does not have`);
        return 0;
    }
  }

  private pfns(request: SimRequest, what: string): number[] {
    if (request.writableLength > 0) this.report(`${what} request with device-writable buffers`);
    const bytes = request.read();
    if (bytes.length === 0 || bytes.length % PFN_BYTES !== 0) this.report(`${what} array of ${bytes.length} bytes is not a whole number of le32 page numbers`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const pfns: number[] = [];
    for (let at = 0; at + PFN_BYTES <= bytes.length; at += PFN_BYTES) pfns.push(view.getUint32(at, true));
    return pfns;
  }

  private inflate(request: SimRequest): number {
    this.inflateRequests++;
    for (const pfn of this.pfns(request, "inflate")) {
      const page = this.memory.bytes(pfn * PAGE, PAGE);
      if (page === undefined) this.report(`inflate of page 0x${pfn.toString(16)}, which is not memory the driver allocated`);
      else if (this.balloon.has(pfn)) this.report(`inflate of page 0x${pfn.toString(16)}, already in the balloon`);
      else {
        this.balloon.add(pfn);
        page.fill(BALLOON_SCRIBBLE);
      }
    }
    return 0;
  }

  private deflate(request: SimRequest): number {
    this.deflateRequests++;
    for (const pfn of this.pfns(request, "deflate")) {
      if (!this.balloon.delete(pfn)) this.report(`deflate of page 0x${pfn.toString(16)}, which is not in the balloon`);
    }
    return 0;
  }

  /** `actual` (written after acknowledgements) must count the balloon, whose pages must still be allocated. */
  private checkActual(): void {
    const pending = this.roles.some((role, index) => (role === "inflate" || role === "deflate") && ((this.queue(index)?.pending(this) ?? 0) > 0 || (this.queue(index)?.held.length ?? 0) > 0));
    if (pending) return;
    if (this.actual !== this.balloon.size) this.report(`actual ${this.actual} but the balloon holds ${this.balloon.size} pages`);
    for (const pfn of this.balloon) {
      if (this.memory.bytes(pfn * PAGE, PAGE) === undefined) {
        this.report(`page 0x${pfn.toString(16)} freed while in the balloon`);
        break;
      }
    }
  }

  private takeStats(request: SimRequest): RequestResult {
    const index = request.queue;
    if ((this.queue(index)?.parked.length ?? 0) > 0) this.report("a second statistics buffer while the device holds one");
    if (request.writableLength > 0) this.report("statistics buffer with device-writable parts");
    const bytes = request.read();
    if (bytes.length % VIRTIO_BALLOON_STAT_SIZE !== 0) this.report(`statistics buffer of ${bytes.length} bytes is not whole entries`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.stats.clear();
    for (let at = 0; at + VIRTIO_BALLOON_STAT_SIZE <= bytes.length; at += VIRTIO_BALLOON_STAT_SIZE) {
      this.stats.set(view.getUint16(at + virtio_balloon_stat.tag.offset, true), view.getBigUint64(at + virtio_balloon_stat.val.offset, true));
    }
    const tags = [...this.stats.keys()].sort((a, b) => a - b).join(",");
    if (this.statsTags !== undefined && tags !== this.statsTags) this.report(`statistics ${tags} differ from the earlier ${this.statsTags}`);
    this.statsTags = tags;
    this.statsBuffers++;
    return PARK;
  }

  private takeReport(request: SimRequest): number {
    if (request.readableLength > 0) this.report("free page report with device-readable buffers");
    for (const segment of request.writable) {
      if (segment.physical % PAGE !== 0 || segment.bytes.length % PAGE !== 0) {
        this.report(`reported range 0x${segment.physical.toString(16)}+${segment.bytes.length} is not whole pages`);
      }
      segment.bytes.fill(BALLOON_SCRIBBLE);
      this.reportedBytes += segment.bytes.length;
    }
    return 0;
  }
}
