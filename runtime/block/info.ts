import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import { BlkFeature, SECTOR_SIZE } from "../../drivers/virtio/blk/constants";
import { blkFeatureNames } from "../../drivers/virtio/blk/features";

/** What an app can know about a disk; a new object after each capacity change. */
export interface BlockInfo {
  readonly name: string;
  readonly serial: string;
  readonly capacityBytes: number;
  /** In 512-byte sectors. */
  readonly capacitySectors: number;
  /** Logical block size: the unit of `lba` and of every length. */
  readonly blockSize: number;
  /** Capacity in logical blocks. */
  readonly blocks: number;
  readonly physicalBlockSize: number;
  readonly readOnly: boolean;
  readonly flush: boolean;
  readonly discard: boolean;
  readonly writeZeroes: boolean;
  /** Whether the device caches writes (needs flush() for durability); undefined if unknown. */
  readonly writeCache: boolean | undefined;
  /** Largest read or write sent as one request (bigger ones are split). */
  readonly maxTransferBytes: number;
  readonly queueSize: number;
  /** Negotiated feature names. */
  readonly features: readonly string[];
}

export function blockInfo(blk: VirtioBlk): BlockInfo {
  const geometry = blk.geometry;
  const sectors = geometry.capacitySectors;
  const blockSectors = geometry.blockSize / SECTOR_SIZE;
  return {
    name: blk.name,
    serial: blk.serial,
    capacityBytes: sectors * SECTOR_SIZE,
    capacitySectors: sectors,
    blockSize: geometry.blockSize,
    blocks: Math.floor(sectors / blockSectors),
    physicalBlockSize: geometry.physicalBlockSize,
    readOnly: blk.readOnly,
    flush: blk.has(BlkFeature.Flush),
    discard: blk.has(BlkFeature.Discard),
    writeZeroes: blk.has(BlkFeature.WriteZeroes),
    writeCache: geometry.writeback,
    maxTransferBytes: blk.limits.maxTransferBytes,
    queueSize: blk.queue.size,
    features: blkFeatureNames(blk.features),
  };
}
