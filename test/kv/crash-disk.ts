// Disks for crash testing: CrashDisk records every write and flush (and fails the ones it is told
// to), CrashImages rebuilds what a power cut after any of them leaves on the platters, ImageDisk
// serves such an image to a reopened store.
import type { KvDisk } from "../../runtime/kv/store";
import { mulberry32, seedFor } from "./random";

export const CRASH_BLOCK = 512;

export type DeviceOp =
  | { readonly kind: "write"; readonly lba: number; readonly data: Uint8Array; readonly landed: readonly boolean[]; readonly failed: boolean }
  | { readonly kind: "flush"; readonly failed: boolean };

export type DeviceOpKind = DeviceOp["kind"];

/** A device-reported failure (EIO), as a driver would reject with it. */
export class DiskIoError extends Error {
  override name = "DiskIoError";
}

/**
 * A disk with a volatile write cache. Reads see every write. `shouldFail` picks operations that
 * fail: a failed write lands on a random subset of its blocks, a failed flush makes nothing durable.
 */
export class CrashDisk implements KvDisk {
  readonly ops: DeviceOp[] = [];
  shouldFail: (kind: DeviceOpKind, index: number) => boolean = () => false;
  private readonly image: Uint8Array;
  private readonly random: () => number;

  constructor(
    readonly blocks: number,
    seed = 1,
  ) {
    this.image = new Uint8Array(blocks * CRASH_BLOCK);
    this.random = mulberry32(seed);
  }

  get info() {
    return { blockSize: CRASH_BLOCK, blocks: this.blocks, readOnly: false };
  }

  async read(lba: number, into: Uint8Array): Promise<Uint8Array> {
    checkRange(this.blocks, lba, into.length);
    into.set(this.image.subarray(lba * CRASH_BLOCK, lba * CRASH_BLOCK + into.length));
    return into;
  }

  async write(lba: number, data: Uint8Array): Promise<void> {
    checkRange(this.blocks, lba, data.length);
    const failed = this.shouldFail("write", this.ops.length);
    const landed = Array.from({ length: data.length / CRASH_BLOCK }, () => !failed || this.random() < 0.5);
    this.ops.push({ kind: "write", lba, data: data.slice(), landed, failed });
    applyWrite(this.image, lba, data, landed);
    if (failed) throw new DiskIoError(`injected write failure at device operation ${this.ops.length - 1}`);
  }

  async flush(): Promise<void> {
    const failed = this.shouldFail("flush", this.ops.length);
    this.ops.push({ kind: "flush", failed });
    if (failed) throw new DiskIoError(`injected flush failure at device operation ${this.ops.length - 1}`);
  }
}

function checkRange(blocks: number, lba: number, length: number): void {
  if (length % CRASH_BLOCK !== 0 || lba < 0 || lba + length / CRASH_BLOCK > blocks) throw new Error(`bad disk access at block ${lba}, ${length} bytes`);
}

function applyWrite(image: Uint8Array, lba: number, data: Uint8Array, landed: readonly boolean[]): void {
  landed.forEach((yes, block) => {
    if (yes) image.set(data.subarray(block * CRASH_BLOCK, (block + 1) * CRASH_BLOCK), (lba + block) * CRASH_BLOCK);
  });
}

/** How a write that was not yet flushed fares in a power cut. */
export type PendingFate = "lost" | "kept" | "torn";

/**
 * The disk contents after a power cut following the first `cut` device operations: everything
 * before the last successful flush is durable; each later write is lost, kept or torn (a random
 * subset of its blocks kept), chosen by a generator seeded from (seed, cut).
 * Cuts must be asked for in increasing order.
 */
export class CrashImages {
  private readonly durable: Uint8Array;
  private pending: number[] = [];
  private applied = 0;

  constructor(
    private readonly ops: readonly DeviceOp[],
    blocks: number,
  ) {
    this.durable = new Uint8Array(blocks * CRASH_BLOCK);
  }

  at(cut: number, seed: number): Uint8Array {
    if (cut < this.applied) throw new Error(`cut ${cut} asked for after cut ${this.applied}`);
    for (; this.applied < cut; this.applied++) {
      const op = this.ops[this.applied];
      if (op.kind === "write") this.pending.push(this.applied);
      else if (!op.failed) this.settle();
    }
    const image = this.durable.slice();
    const random = mulberry32(seedFor(seed, cut));
    for (const index of this.pending) {
      const op = this.ops[index];
      if (op.kind !== "write") continue;
      const fate = pendingFate(random());
      if (fate === "lost") continue;
      applyWrite(image, op.lba, op.data, op.landed.map((yes) => yes && (fate === "kept" || random() < 0.5)));
    }
    return image;
  }

  private settle(): void {
    for (const index of this.pending) {
      const op = this.ops[index];
      if (op.kind === "write") applyWrite(this.durable, op.lba, op.data, op.landed);
    }
    this.pending = [];
  }
}

function pendingFate(draw: number): PendingFate {
  return draw < 1 / 3 ? "lost" : draw < 2 / 3 ? "kept" : "torn";
}

/** A disk over a fixed image, without a cache: what a rebooted machine sees. */
export class ImageDisk implements KvDisk {
  constructor(readonly image: Uint8Array) {}

  get info() {
    return { blockSize: CRASH_BLOCK, blocks: this.image.length / CRASH_BLOCK, readOnly: false };
  }

  async read(lba: number, into: Uint8Array): Promise<Uint8Array> {
    checkRange(this.info.blocks, lba, into.length);
    into.set(this.image.subarray(lba * CRASH_BLOCK, lba * CRASH_BLOCK + into.length));
    return into;
  }

  async write(lba: number, data: Uint8Array): Promise<void> {
    checkRange(this.info.blocks, lba, data.length);
    this.image.set(data, lba * CRASH_BLOCK);
  }

  async flush(): Promise<void> {}
}
