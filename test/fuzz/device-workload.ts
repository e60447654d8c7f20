/**
 * What a fuzz case asks of a ready device: rng reads, block reads, writes, flushes and discards
 * through runtime/block's BlockDevice, net frames both ways and control commands, echo buffers
 * on every queue. Every operation's outcome is checked: a typed error is an answer, anything
 * else thrown (or a promise rejected with it) is a failure.
 */
import { isBlockError } from "../../drivers/block-driver";
import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import type { VirtioDevice } from "../../drivers/virtio/device";
import { VirtioError } from "../../drivers/virtio/errors";
import type { VirtioNet } from "../../drivers/virtio/net/net";
import type { VirtioRng } from "../../drivers/virtio/rng/rng";
import type { DmaRegion } from "../../kernel/platform";
import { BlockDevice } from "../../runtime/block/device";
import { DmaBuffers } from "../../runtime/block/dma-buffers";
import { BlockArgumentError } from "../../runtime/block/errors";
import type { NetModel } from "../sim/virtio/net-model";
import type { EchoInstance } from "../unit/virtio-interrupts-harness";
import type { Prng } from "./prng";
import type { Rig } from "./device-rig";

const ECHO_BUFFER_BYTES = 64;
const MAX_BLOCK_BYTES = 64 * 1024;
const ETHERNET_HEADER = 14;

/**
 * An untyped throw a VirtioDevice caught and wrapped (asVirtioError keeps the original as
 * "Name: message" under the generic code) is still an escaped exception.
 */
const WRAPPED = /^(TypeError|RangeError|ReferenceError|SyntaxError|Error): /;

/** Undefined when `error` is an answer a caller may get; otherwise why it is not. */
export function untyped(error: unknown): string | undefined {
  if (error instanceof VirtioError) return error.code === "transport" && WRAPPED.test(error.detail) ? `wrapped ${error.stack ?? error.message}` : undefined;
  if (isBlockError(error) || error instanceof BlockArgumentError) return undefined;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

export interface Workload {
  /** Starts or runs one operation; returns what it was. */
  step(random: Prng): string;
  /** Asynchronous operations not settled yet. */
  readonly pending: number;
  /** Whether it already drives `instance` (a block device follows the resets it made itself). */
  serves(instance: unknown): boolean;
}

export type Escape = (detail: string) => void;

/** The workload for the device's current instance (after a recover or a new claim, a new one). */
export function workloadFor(rig: Rig, device: VirtioDevice, escape: Escape): Workload {
  switch (rig.spec.kind) {
    case "rng":
      return rngWorkload(device.instance as VirtioRng, escape);
    case "blk":
      return blkWorkload(rig, device, escape);
    case "net":
      return netWorkload(rig.model as NetModel, device.instance as VirtioNet, escape);
    case "echo":
      return echoWorkload(device.instance as EchoInstance, escape);
  }
}

/** Runs `operation`; a typed error is fine, anything else escaped. */
function guarded(escape: Escape, what: string, operation: () => unknown): string {
  try {
    operation();
    return what;
  } catch (error) {
    const why = untyped(error);
    if (why !== undefined) escape(`${what}: ${why}`);
    return `${what} (${error instanceof Error ? error.message : String(error)})`;
  }
}

function rngWorkload(rng: VirtioRng, escape: Escape): Workload {
  return {
    pending: 0,
    serves: (instance) => instance === rng,
    step: (random) => {
      const length = random.pick([1, 16, 64, 300, 4096]);
      return guarded(escape, `rng read ${length}`, () => rng.getRandomValues(new Uint8Array(length)));
    },
  };
}

function blkWorkload(rig: Rig, device: VirtioDevice, escape: Escape): Workload {
  const blk = device.instance as VirtioBlk;
  // The block layer's bounce buffers and the caller's DMA buffers belong to the machine, not to the
  // device: they outlive its resets. The bounce buffers live as long as the block device (the whole
  // case), so they come from memory the teardown's leak check does not count.
  const disk = new BlockDevice(blk, rig.untrackedMachine, rig.loop, new DmaBuffers(rig.machine));
  let pending = 0;
  const track = (what: string, promise: Promise<unknown>, after?: () => void): string => {
    pending++;
    promise.then(
      () => undefined,
      (error: unknown) => {
        const why = untyped(error);
        if (why !== undefined) escape(`${what} rejected: ${why}`);
      },
    ).finally(() => {
      pending--;
      after?.();
    });
    return what;
  };
  return {
    get pending() {
      return pending;
    },
    serves: (instance) => disk.driver === instance,
    step: (random) => {
      let info;
      try {
        info = disk.info;
      } catch (error) {
        const why = untyped(error);
        if (why !== undefined) escape(`blk info: ${why}`);
        return "blk info (threw)";
      }
      const blocks = Math.max(1, Math.min(16, Math.floor(MAX_BLOCK_BYTES / info.blockSize)));
      const count = 1 + random.below(blocks);
      const lba = random.chance(0.9) ? random.below(Math.max(1, info.blocks)) : info.blocks + random.below(4);
      const what = `${lba}+${count}`;
      switch (random.below(6)) {
        case 0:
        case 1: {
          // Caller memory (bounced) or the device's own DMA buffers (zero copy).
          if (random.chance(0.5)) return track(`blk read ${what}`, disk.read(lba, new Uint8Array(count * info.blockSize)));
          const buffer = disk.allocBuffer(count * info.blockSize);
          return track(`blk dma read ${what}`, disk.read(lba, buffer), () => disk.freeBuffer(buffer));
        }
        case 2:
        case 3:
          return track(`blk write ${what}`, disk.write(lba, random.bytes(count * info.blockSize)));
        case 4:
          return track("blk flush", disk.flush());
        default:
          return track(`blk discard ${what}`, random.chance(0.5) ? disk.discard(lba, count) : disk.writeZeroes(lba, count, { unmap: random.chance(0.5) }));
      }
    },
  };
}

function netWorkload(model: NetModel, net: VirtioNet, escape: Escape): Workload {
  guarded(escape, "net onReceive", () => net.onReceive(() => undefined));
  return {
    pending: 0,
    serves: (instance) => instance === net,
    step: (random) => {
      const frame = (length: number) => {
        const bytes = random.bytes(length);
        bytes.set(net.mac.subarray(0, Math.min(6, length)));
        return bytes;
      };
      switch (random.below(8)) {
        case 0:
        case 1: {
          const length = random.pick([0, 1, ETHERNET_HEADER, 60, 1514, ETHERNET_HEADER + net.mtu, 9100]);
          return guarded(escape, `net transmit ${length}`, () => net.transmit(frame(length)));
        }
        case 2: {
          const length = random.pick([ETHERNET_HEADER, 60, 1514]);
          return guarded(escape, `net transmit allocated ${length}`, () => {
            const allocated = net.allocateFrame(length);
            if (allocated !== undefined) net.transmitAllocated(allocated);
          });
        }
        case 3:
        case 4: {
          const length = random.pick([ETHERNET_HEADER, 60, 1514, 4000]);
          return guarded(escape, `net inject ${length}`, () => model.injectFrame(frame(length), { maxBufferBytes: random.chance(0.3) ? 100 : undefined }));
        }
        case 5:
          return guarded(escape, "net promiscuous", () => net.setPromiscuous(random.chance(0.5)));
        case 6:
          return guarded(escape, "net set mac", () => net.setMac([0x52, 0x54, 0, 0, 0, random.below(256)]));
        default:
          return guarded(escape, "net poll", () => net.poll());
      }
    },
  };
}

function echoWorkload(echo: EchoInstance, escape: Escape): Workload {
  const device = echo.device;
  const buffers = new Map<number, DmaRegion>();
  let nextToken = 0;
  return {
    pending: 0,
    serves: (instance) => instance === echo,
    step: (random) => {
      const queue = random.pick(echo.queues);
      if (random.chance(0.5)) {
        return guarded(escape, `echo poll q${queue.index}`, () =>
          queue.poll((token, length) => {
            const region = buffers.get(token);
            if (region === undefined) return escape(`echo completion of unknown token ${token}`);
            if (length > ECHO_BUFFER_BYTES) escape(`echo used length ${length} reached the caller (buffer ${ECHO_BUFFER_BYTES})`);
            buffers.delete(token);
            device.platform.freeDma(region);
          }),
        );
      }
      return guarded(escape, `echo submit q${queue.index}`, () => {
        if (device.state !== "ready") return;
        const region = device.platform.allocDma(ECHO_BUFFER_BYTES);
        const token = nextToken++;
        try {
          queue.begin();
          queue.addWritable(region.physical, ECHO_BUFFER_BYTES);
          if (!queue.publish(token)) {
            device.platform.freeDma(region);
            return;
          }
        } catch (error) {
          device.platform.freeDma(region);
          throw error;
        }
        buffers.set(token, region);
        queue.kick();
      });
    },
  };
}
