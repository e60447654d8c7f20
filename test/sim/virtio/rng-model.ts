import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { VirtioDeviceModel } from "./device-model";
import type { RingOffer } from "./device-model";
import type { SimRequest } from "./request";
import { VIRTIO_DEVICE_ID } from "./spec/device-ids";

/** virtio-rng (entropy device, section 5.4: one queue, no features, no configuration): fills every writable buffer with deterministic pseudo-random bytes. */
export class RngModel extends VirtioDeviceModel {
  readonly deviceType = VIRTIO_DEVICE_ID.entropy;
  /** Bytes written per request at most (devices may return less than asked). */
  maxBytesPerRequest = Number.POSITIVE_INFINITY;
  bytesProduced = 0;
  private state = 0x2545_f491;

  constructor(memory: SimMemory, violations: ViolationLog, queueSize = 64, ring: RingOffer = {}) {
    super({ memory, violations, queueSizes: [queueSize], features: 0n, configLayout: {}, configSize: 0, ...ring });
  }

  protected handleRequest(request: SimRequest): number {
    if (request.readableLength > 0) this.report("rng request with device-readable buffers");
    const length = Math.min(request.writableLength, this.maxBytesPerRequest);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = this.nextByte();
    this.bytesProduced += length;
    return request.write(bytes);
  }

  private nextByte(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state & 0xff;
  }
}
