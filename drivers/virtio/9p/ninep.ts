import type { VirtioDevice } from "../device";
import { VirtioRingBrokenError, VirtioUsageError } from "../errors";
import type { VirtioInterruptMode } from "../interrupts";
import { NinePClient } from "./client";
import { readMountTag } from "./config";
import { NINEP_REQUEST_QUEUE } from "./constants";
import { DEFAULT_NINEP_LIMITS, MAX_MSIZE, MIN_MSIZE, type NinePLimits } from "./limits";
import type { NinePLoop, NinePLoopSource } from "./loop";
import { RequestSlots } from "./request-slots";

export interface VirtioNinePOptions {
  /** Runs the device: interrupts wake it, or it is polled; request deadlines are its timers. */
  readonly loop: NinePLoop;
  /** Take the device's interrupts when it has any (default true). */
  readonly interrupts?: boolean;
  readonly limits?: Partial<NinePLimits>;
}

/** Ring entries for `slots` requests of two descriptors each: a power of two. */
function ringSizeFor(slots: number): number {
  let size = 1;
  while (size < slots * 2) size *= 2;
  return size;
}

/**
 * A virtio-9p device: its mount tag, the request queue with one slot per request in flight, and
 * the 9P2000.L client over it. The device's interrupt (or a poller) takes replies; the loop source
 * is referenced only while requests are in flight, so an idle share does not keep the machine up.
 * A broken ring, a flush nobody answers or a detach stops the client (every request fails with a
 * typed error); the first two also fail the device, so it is reset and its memory freed.
 */
export class VirtioNineP {
  readonly tag: string;
  readonly client: NinePClient;
  readonly interruptMode: VirtioInterruptMode;
  private readonly device: VirtioDevice;
  private readonly slots: RequestSlots;
  private readonly source: NinePLoopSource;

  constructor(device: VirtioDevice, options: VirtioNinePOptions) {
    this.device = device;
    this.tag = readMountTag(device);
    const limits = { ...DEFAULT_NINEP_LIMITS, ...options.limits };
    if (!(Number.isInteger(limits.msize) && limits.msize >= MIN_MSIZE && limits.msize <= MAX_MSIZE)) {
      throw new VirtioUsageError(device.name, "msize", `msize ${limits.msize} is outside ${MIN_MSIZE}..${MAX_MSIZE}`);
    }
    if (!(Number.isInteger(limits.slots) && limits.slots >= 1)) throw new VirtioUsageError(device.name, "slots", `${limits.slots} request slots`);
    const loop = options.loop;
    this.interruptMode = options.interrupts === false ? "polling" : device.bindInterrupts({ queues: [NINEP_REQUEST_QUEUE], onQueue: () => this.source.wake() });
    const queue = device.createQueue<number>(NINEP_REQUEST_QUEUE, { maxSize: ringSizeFor(limits.slots) });
    this.slots = new RequestSlots(device.platform, queue, limits.slots, limits.msize);
    this.client = new NinePClient({
      deviceName: device.name,
      channel: this.slots,
      limits,
      now: () => device.platform.monotonicNs(),
      timers: loop,
      onBusy: (busy) => (busy ? this.source.ref() : this.source.unref()),
      onFailed: (error) => this.failDevice(error),
    });
    // Last: nothing above can leave a source behind by throwing.
    this.source = this.interruptMode === "polling" ? loop.addPoller(this.poll) : loop.addWakeSource(this.poll);
    this.source.unref();
  }

  get name(): string {
    return this.device.name;
  }

  /** Takes the replies the device returned. */
  readonly poll = (): void => {
    if (this.client.failure !== undefined) return;
    this.slots.complete(this.client.onReply);
  };

  ringBroken(error: VirtioRingBrokenError): void {
    this.failDevice(error);
  }

  detach(): void {
    this.stop(new VirtioUsageError(this.device.name, "detached", "the 9p device was detached"));
  }

  private stop(error: Error): void {
    this.client.stop(error);
    this.source.close();
  }

  /** Everything in flight fails with `error`; the device is reset and its memory freed (after this turn: not from inside its own poll). */
  private failDevice(error: Error): void {
    this.stop(error);
    const device = this.device;
    queueMicrotask(() => {
      if (device.instance === this && device.state === "ready") device.fail(error);
    });
  }
}
