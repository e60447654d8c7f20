import { DmaSlab } from "../../../kernel/dma";
import type { Platform } from "../../../kernel/platform";
import { DeviceType } from "../device-types";
import type { VirtioDevice } from "../device";
import { VirtioTimeoutError } from "../errors";
import type { VirtioInterruptMode } from "../interrupts";
import type { VirtioDriver } from "../registry";
import { Completion, type Virtqueue } from "../ring/virtqueue";

export interface RngOptions {
  /** Bytes per posted buffer. */
  readonly bufferSize?: number;
  /** Buffers kept posted to the device. */
  readonly buffers?: number;
  /** Entropy kept ready for synchronous callers. */
  readonly poolSize?: number;
  /** How long `getRandomValues` may busy-poll the device. */
  readonly timeoutNs?: number;
  /** Between polls while waiting. */
  readonly pollIntervalNs?: number;
  /** Refill the pool from the device's interrupts when it has any (default true; false polls, for benchmarks). */
  readonly interrupts?: boolean;
}

const RNG_QUEUE = 0;

/** Web Crypto's per-call limit. */
export const GET_RANDOM_VALUES_MAX_BYTES = 65536;

/**
 * virtio-rng: keeps device-writable buffers posted and moves what the device fills into a
 * pool, from which `getRandomValues` is served synchronously. With interrupts the pool is
 * refilled as the device completes buffers; otherwise (and when the pool runs dry) by polling.
 * The driver has no `ringBroken` hook: a broken ring fails the device, and callers get the
 * VirtioRingBrokenError once the pool is empty.
 */
export class VirtioRng {
  readonly queue: Virtqueue<number>;
  readonly interruptMode: VirtioInterruptMode;
  private readonly platform: Platform;
  private readonly slab: DmaSlab;
  private readonly pool: Uint8Array;
  private poolStart = 0;
  private poolLength = 0;
  private readonly timeoutNs: number;
  private readonly pollIntervalNs: number;
  private readonly name: string;
  /**
   * Used buffers `refill` may still take: an empty one goes straight back, and a device returning
   * them at once would otherwise keep the loop going for ever (the pool never fills).
   */
  private refillBudget = 0;

  /** Creates the queue; call during initialisation, then `start()` after DRIVER_OK. */
  constructor(device: VirtioDevice, options: RngOptions = {}) {
    const buffers = options.buffers ?? 8;
    this.platform = device.platform;
    this.name = device.name;
    this.interruptMode =
      options.interrupts === false ? "polling" : device.bindInterrupts({ queues: [RNG_QUEUE], onQueue: () => this.refill() });
    this.queue = device.createQueue<number>(RNG_QUEUE, { maxSize: 64 });
    this.slab = new DmaSlab(device.platform, Math.min(buffers, this.queue.size), options.bufferSize ?? 64);
    this.pool = new Uint8Array(options.poolSize ?? 1024);
    this.timeoutNs = options.timeoutNs ?? 1_000_000_000;
    this.pollIntervalNs = options.pollIntervalNs ?? 50_000;
  }

  /** Posts every buffer to the device. */
  start(): void {
    for (let slot = 0; slot < this.slab.count; slot++) this.post(slot);
    this.queue.kick();
  }

  get available(): number {
    return this.poolLength;
  }

  /** Moves completed entropy into the pool and re-posts the buffers. */
  refill(): void {
    this.refillBudget = this.slab.count;
    // The buffers re-posted before a broken entry stay unannounced: the queue takes nothing more.
    if (this.queue.drain(this.moveCompleted) > 0 && this.queue.broken === undefined) this.queue.kick();
  }

  /** Fills `array` with device entropy, busy-polling (bounded) when the pool runs dry. */
  getRandomValues<A extends ArrayBufferView>(array: A): A {
    if (!isIntegerArray(array)) throw new TypeError("getRandomValues needs an integer typed array");
    if (array.byteLength > GET_RANDOM_VALUES_MAX_BYTES) {
      throw new RangeError(`getRandomValues: ${array.byteLength} bytes exceeds ${GET_RANDOM_VALUES_MAX_BYTES}`);
    }
    const out = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    const deadline = this.platform.monotonicNs() + this.timeoutNs;
    let filled = this.take(out, 0);
    while (filled < out.length) {
      this.refill();
      if (this.poolLength === 0) {
        // A broken queue (or a device torn down) will never deliver: say so instead of timing out.
        if (this.queue.broken !== undefined) throw this.queue.broken;
        const now = this.platform.monotonicNs();
        if (now > deadline) {
          throw new VirtioTimeoutError(this.name, "rng-timeout", `no entropy within ${this.timeoutNs} ns (${filled}/${out.length} bytes)`);
        }
        this.platform.waitForInterrupt(Math.min(deadline, now + this.pollIntervalNs));
      }
      filled += this.take(out, filled);
    }
    this.refill();
    return array;
  }

  /** Takes completions while the pool has room for a whole buffer, within the refill's budget; returns how many. */
  private readonly moveCompleted = (): number => {
    const queue = this.queue;
    let count = 0;
    while (this.refillBudget > 0 && this.pool.length - this.poolLength >= this.slab.slotSize && queue.nextCompletion() === Completion.Taken) {
      this.refillBudget--;
      const slot = queue.completedToken as number;
      const bytes = this.slab.bytes(slot);
      this.append(bytes, queue.completedLength);
      bytes.fill(0);
      this.post(slot);
      count++;
    }
    return count;
  };

  private post(slot: number): void {
    const queue = this.queue;
    queue.begin();
    queue.addWritable(this.slab.physical(slot), this.slab.slotSize);
    queue.publish(slot);
  }

  private append(bytes: Uint8Array, length: number): void {
    const pool = this.pool;
    for (let i = 0; i < length; i++) pool[(this.poolStart + this.poolLength + i) % pool.length] = bytes[i];
    this.poolLength += length;
  }

  /** Copies pool bytes into out[from..] and wipes them from the pool. */
  private take(out: Uint8Array, from: number): number {
    const count = Math.min(this.poolLength, out.length - from);
    const pool = this.pool;
    for (let i = 0; i < count; i++) {
      out[from + i] = pool[this.poolStart];
      pool[this.poolStart] = 0;
      this.poolStart = (this.poolStart + 1) % pool.length;
    }
    this.poolLength -= count;
    return count;
  }
}

function isIntegerArray(array: ArrayBufferView): boolean {
  return (
    array instanceof Int8Array ||
    array instanceof Uint8Array ||
    array instanceof Uint8ClampedArray ||
    array instanceof Int16Array ||
    array instanceof Uint16Array ||
    array instanceof Int32Array ||
    array instanceof Uint32Array ||
    array instanceof BigInt64Array ||
    array instanceof BigUint64Array
  );
}

export const virtioRngDriver: VirtioDriver<VirtioRng> = {
  type: DeviceType.Rng,
  name: "virtio-rng",
  features: 0n,
  attach: (device) => new VirtioRng(device),
  ready: (rng) => rng.start(),
};
