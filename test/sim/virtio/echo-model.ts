import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { VirtioDeviceModel } from "./device-model";
import type { RingOffer } from "./device-model";
import type { SimRequest } from "./request";
import { virtio_console_config } from "./spec/console";
import { VIRTIO_DEVICE_ID } from "./spec/device-ids";

/** The console configuration up to max_nr_ports (no emerg_wr). */
export const ECHO_CONFIG_SIZE = virtio_console_config.emerg_wr.offset;

/** A device with any number of queues that fills each writable buffer with its queue's index. */
export class EchoModel extends VirtioDeviceModel {
  readonly deviceType = VIRTIO_DEVICE_ID.console;

  constructor(memory: SimMemory, violations: ViolationLog, queues: number, eventIdx = true, ring: RingOffer = {}) {
    super({ memory, violations, queueSizes: new Array<number>(queues).fill(16), features: 0n, configLayout: virtio_console_config, configSize: ECHO_CONFIG_SIZE, eventIdx, ...ring });
  }

  protected handleRequest(request: SimRequest): number {
    return request.write(new Uint8Array(request.writableLength).fill(request.queue));
  }
}
