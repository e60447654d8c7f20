import type { VirtioDevice } from "../device";
import { VirtioDeviceError, VirtioTimeoutError, VirtioUsageError } from "../errors";
import { Completion, type Virtqueue } from "../ring/virtqueue";
import { CtrlAck } from "./constants";
import type { VirtioNetCounters } from "./counters";
import { NetControlError } from "./errors";

const HEADER_LENGTH = 2;
const DATA_OFFSET = HEADER_LENGTH;
export const MAX_CONTROL_DATA = 32;
const ACK_OFFSET = DATA_OFFSET + MAX_CONTROL_DATA;
const REGION_SIZE = ACK_OFFSET + 1;
const ACK_LENGTH = 1;
/** Written before each command so an ack the device never wrote is recognised. */
const ACK_UNSET = 0xff;
/** class/command header, data, ack: three descriptors so that any layout rule is met. */
export const CONTROL_CHAIN_LENGTH = 3;

/**
 * The control queue. Commands are rare and the device answers them while handling the
 * notification, so each one waits (bounded) for its ack. After a timeout the buffer may still be
 * the device's, so the queue is not used again.
 */
export class NetControl {
  private readonly bytes: Uint8Array;
  private readonly physical: number;
  private broken = false;

  constructor(
    private readonly device: VirtioDevice,
    private readonly queue: Virtqueue<number>,
    private readonly counters: VirtioNetCounters,
    private readonly timeoutNs: number,
  ) {
    const region = device.platform.allocDma(REGION_SIZE);
    this.bytes = new Uint8Array(region.buffer, 0, REGION_SIZE);
    this.physical = region.physical;
  }

  /** Runs one command; throws NetControlError on ERR, VirtioDeviceError/VirtioTimeoutError on faults. */
  run(cls: number, command: number, data: ArrayLike<number>, what: string): void {
    const name = this.device.name;
    if (this.broken) throw new VirtioUsageError(name, "ctrl-unusable", `${what}: an earlier command never completed`);
    if (data.length > MAX_CONTROL_DATA) throw new VirtioUsageError(name, "ctrl-data", `${what}: ${data.length} data bytes`);
    const bytes = this.bytes;
    bytes[0] = cls;
    bytes[1] = command;
    bytes.set(data, DATA_OFFSET);
    bytes[ACK_OFFSET] = ACK_UNSET;
    const queue = this.queue;
    queue.begin();
    queue.addReadable(this.physical, HEADER_LENGTH);
    if (data.length > 0) queue.addReadable(this.physical + DATA_OFFSET, data.length);
    queue.addWritable(this.physical + ACK_OFFSET, ACK_LENGTH);
    if (!queue.publish(0)) throw new VirtioUsageError(name, "ctrl-ring", `${what}: control queue cannot take the command`);
    queue.kick();
    this.counters.ctrlCommands++;
    this.waitForAck(what);
    const ack = bytes[ACK_OFFSET];
    if (queue.completedLength < ACK_LENGTH || (ack !== CtrlAck.Ok && ack !== CtrlAck.Err)) {
      this.counters.ctrlErrors++;
      const error = new VirtioDeviceError(name, "ctrl-ack", `${what}: ack ${ack} with used length ${queue.completedLength}`);
      this.counters.deviceError(error);
      throw error;
    }
    if (ack === CtrlAck.Err) {
      this.counters.ctrlErrors++;
      throw new NetControlError(name, what);
    }
  }

  private waitForAck(what: string): void {
    const platform = this.device.platform;
    const deadline = platform.monotonicNs() + this.timeoutNs;
    for (;;) {
      const taken = this.queue.nextCompletion();
      if (taken === Completion.Taken) return;
      if (taken === Completion.Broken) throw this.queue.broken as VirtioDeviceError;
      if (platform.monotonicNs() > deadline) {
        this.broken = true;
        this.counters.ctrlErrors++;
        throw new VirtioTimeoutError(this.device.name, "ctrl-timeout", `${what}: no ack within ${this.timeoutNs} ns`);
      }
    }
  }
}
