import { DeviceType } from "../../../drivers/virtio/device-types";
import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { VirtioDeviceModel } from "./device-model";
import type { SimRequest } from "./request";

export const ECHO_CONFIG_SIZE = 8;

/** A device with any number of queues that fills each writable buffer with its queue's index. */
export class EchoModel extends VirtioDeviceModel {
  readonly deviceType = DeviceType.Console;

  constructor(memory: SimMemory, violations: ViolationLog, queues: number, eventIdx = true) {
    super({ memory, violations, queueSizes: new Array<number>(queues).fill(16), features: 0n, configSize: ECHO_CONFIG_SIZE, eventIdx });
  }

  protected handleRequest(request: SimRequest): number {
    return request.write(new Uint8Array(request.writableLength).fill(request.queue));
  }
}
