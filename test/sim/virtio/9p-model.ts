import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { ERRNO, P9 } from "../ninep/protocol";
import { NinePServer } from "../ninep/server";
import { PARK, VirtioDeviceModel, type RequestResult, type RingOffer } from "./device-model";
import type { SimRequest } from "./request";
import { VIRTIO_9P_F, VIRTIO_9P_TAG_MAX, virtio_9p_config } from "./spec/9p";
import { VIRTIO_DEVICE_ID } from "./spec/device-ids";
import { featureBit } from "./spec/feature-bits";
import { tableSize } from "./spec/field";

export interface NinePModelOptions {
  /** The mount tag (MOUNT_TAG offered when given; bytes, to model a malformed one). */
  readonly tag?: string | Uint8Array;
  /** tag_len as reported, if not the tag's length (a lie). */
  readonly tagLength?: number;
  readonly queueSize?: number;
}

/**
 * virtio-9p: one request queue, each request a device-readable T-message followed by a
 * device-writable buffer for the R-message; the 9P server model answers. Requests the server
 * withholds stay parked until `answerHeld` (or a Tflush for their tag) completes them.
 */
export class NinePModel extends VirtioDeviceModel {
  readonly deviceType = VIRTIO_DEVICE_ID.p9;
  readonly server: NinePServer;
  /** A Tflush for a withheld request completes it (with Rlerror EINTR) first, as servers do; false leaves both unanswered. */
  answerFlushes = true;
  /** Requests the server withheld, by tag. */
  readonly held = new Map<number, SimRequest>();

  constructor(memory: SimMemory, violations: ViolationLog, options: NinePModelOptions = {}, ring: RingOffer = {}) {
    const tagged = options.tag !== undefined;
    super({
      memory,
      violations,
      queueSizes: [options.queueSize ?? 128],
      features: tagged ? featureBit(VIRTIO_9P_F.MOUNT_TAG) : 0n,
      configLayout: virtio_9p_config,
      configSize: tableSize(virtio_9p_config),
      ...ring,
    });
    this.name = "virtio-9p";
    this.server = new NinePServer((message) => this.report(message));
    if (tagged) {
      const bytes = typeof options.tag === "string" ? new TextEncoder().encode(options.tag) : (options.tag as Uint8Array);
      const view = new DataView(this.config.buffer);
      view.setUint16(virtio_9p_config.tag.offset - 2, options.tagLength ?? bytes.length, true);
      this.config.set(bytes.subarray(0, VIRTIO_9P_TAG_MAX), virtio_9p_config.tag.offset);
    }
  }

  protected handleRequest(request: SimRequest): RequestResult {
    if (request.readableLength === 0) {
      this.report("9p request without a T-message");
      return 0;
    }
    if (request.writable.length === 0) this.report("9p request without a buffer for the reply");
    for (const segment of request.writable) {
      if (request.readable.some((r) => segment.physical < r.physical + r.bytes.length && r.physical < segment.physical + segment.bytes.length)) {
        this.report("9p reply buffer overlaps the T-message");
      }
    }
    const message = request.read();
    const tag = message.length >= 7 ? new DataView(message.buffer).getUint16(5, true) : 0;
    const type = message.length >= 7 ? message[4] : 0;
    const answer = this.server.handle(message);
    if (answer === "silent") {
      this.held.set(tag, request);
      return PARK;
    }
    // The flushed request is completed before the Rflush (which is completed when this returns).
    if (type === P9.Tflush && message.length >= 9) this.flushHeld(new DataView(message.buffer).getUint16(7, true));
    return this.reply(request, answer);
  }

  /** Completes a withheld request with `reply` (its own bytes: a late or wrong answer). */
  answerHeld(tag: number, reply: Uint8Array): void {
    const request = this.held.get(tag);
    if (request === undefined) throw new Error(`no request held with tag ${tag}`);
    this.held.delete(tag);
    this.server.release(tag);
    this.unpark(request);
    this.complete(request, this.reply(request, reply));
  }

  protected override onReset(): void {
    this.held.clear();
    this.server.outstanding.clear();
    this.server.flushesHeld.clear();
    this.server.msize = 0;
    this.server.fids.clear();
  }

  private flushHeld(oldTag: number): void {
    const request = this.held.get(oldTag);
    if (request === undefined || !this.answerFlushes) return;
    this.answerHeld(oldTag, this.server.lerror(0, oldTag, ERRNO.EINTR));
  }

  private unpark(request: SimRequest): void {
    const parked = this.queue(request.queue)?.parked;
    const index = parked?.indexOf(request) ?? -1;
    if (index >= 0) parked?.splice(index, 1);
  }

  private reply(request: SimRequest, reply: Uint8Array): number {
    if (reply.length > request.writableLength) {
      this.report(`9p reply of ${reply.length} bytes does not fit the ${request.writableLength}-byte buffer`);
      return request.write(reply.subarray(0, request.writableLength));
    }
    return request.write(reply);
  }
}
