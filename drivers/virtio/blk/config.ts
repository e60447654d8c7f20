import type { BlockGeometry } from "../../block-driver";
import { hasFeature } from "../features";
import { VirtioConfigError } from "../errors";
import type { Transport } from "../transport/transport";
import { BLK_MAX_BLOCK_SIZE, BLK_MIN_BLOCK_SIZE, BLK_CONFIG, BlkFeature, SECTOR_SIZE } from "./constants";

export interface BlkRangeLimits {
  /** Most sectors one request may cover. */
  readonly maxSectors: number;
  /** Segments one request may carry (the driver sends one). */
  readonly maxSegments: number;
}

/**
 * The device configuration, validated; fields of features not negotiated hold their defaults.
 * Also the block layer's geometry (capacity in logical blocks).
 */
export interface BlkGeometry extends BlockGeometry {
  /** In 512-byte sectors. */
  readonly capacitySectors: number;
  /** Largest data segment in bytes; 0 when the device sets no limit (SIZE_MAX not negotiated). */
  readonly sizeMax: number;
  /** Most data segments per request; 0 when the device sets no limit (SEG_MAX not negotiated). */
  readonly segMax: number;
  /** Logical block size in bytes (BLK_SIZE; 512 otherwise). */
  readonly blockSize: number;
  /** Capacity in whole logical blocks. */
  readonly blocks: number;
  /** TOPOLOGY: physical block size in bytes, first aligned logical block, I/O size hints in blocks. */
  readonly physicalBlockSize: number;
  readonly alignmentOffset: number;
  readonly minIoSize: number;
  readonly optIoSize: number;
  /** CONFIG_WCE: whether the device caches writes (writeback); undefined when not negotiated. */
  readonly writeback: boolean | undefined;
  /** MQ: queues the device has (the driver uses the first); 1 otherwise. */
  readonly numQueues: number;
  readonly discard: (BlkRangeLimits & { readonly alignmentSectors: number }) | undefined;
  readonly writeZeroes: (BlkRangeLimits & { readonly mayUnmap: boolean }) | undefined;
}

const MAX_SAFE_SECTORS = Math.floor(Number.MAX_SAFE_INTEGER / SECTOR_SIZE);
const MAX_PHYSICAL_BLOCK_EXP = 16;

/** Reads the whole configuration under one stable config generation, then validates it. */
export function readBlkGeometry(transport: Transport, features: bigint): BlkGeometry {
  const has = (bit: number): boolean => hasFeature(features, bit);
  const raw = transport.readConfigStable(() => ({
    capacity: transport.readConfig64(BLK_CONFIG.capacity),
    sizeMax: has(BlkFeature.SizeMax) ? transport.readConfig(BLK_CONFIG.size_max) : 0,
    segMax: has(BlkFeature.SegMax) ? transport.readConfig(BLK_CONFIG.seg_max) : 0,
    blkSize: has(BlkFeature.BlkSize) ? transport.readConfig(BLK_CONFIG.blk_size) : SECTOR_SIZE,
    physicalBlockExp: has(BlkFeature.Topology) ? transport.readConfig(BLK_CONFIG.physical_block_exp) : 0,
    alignmentOffset: has(BlkFeature.Topology) ? transport.readConfig(BLK_CONFIG.alignment_offset) : 0,
    minIoSize: has(BlkFeature.Topology) ? transport.readConfig(BLK_CONFIG.min_io_size) : 0,
    optIoSize: has(BlkFeature.Topology) ? transport.readConfig(BLK_CONFIG.opt_io_size) : 0,
    writeback: has(BlkFeature.ConfigWce) ? transport.readConfig(BLK_CONFIG.writeback) : -1,
    numQueues: has(BlkFeature.Mq) ? transport.readConfig(BLK_CONFIG.num_queues) : 1,
    maxDiscardSectors: has(BlkFeature.Discard) ? transport.readConfig(BLK_CONFIG.max_discard_sectors) : 0,
    maxDiscardSeg: has(BlkFeature.Discard) ? transport.readConfig(BLK_CONFIG.max_discard_seg) : 0,
    discardAlignment: has(BlkFeature.Discard) ? transport.readConfig(BLK_CONFIG.discard_sector_alignment) : 0,
    maxWriteZeroesSectors: has(BlkFeature.WriteZeroes) ? transport.readConfig(BLK_CONFIG.max_write_zeroes_sectors) : 0,
    maxWriteZeroesSeg: has(BlkFeature.WriteZeroes) ? transport.readConfig(BLK_CONFIG.max_write_zeroes_seg) : 0,
    mayUnmap: has(BlkFeature.WriteZeroes) ? transport.readConfig(BLK_CONFIG.write_zeroes_may_unmap) : 0,
  }));
  const deviceName = transport.name;
  const bad = (field: string, detail: string): VirtioConfigError => new VirtioConfigError(deviceName, field, detail);

  if (raw.capacity > BigInt(MAX_SAFE_SECTORS)) throw bad("capacity", `${raw.capacity} sectors is beyond what the driver can address`);
  const blockSize = raw.blkSize;
  if (!isPowerOfTwo(blockSize) || blockSize < BLK_MIN_BLOCK_SIZE || blockSize > BLK_MAX_BLOCK_SIZE) {
    throw bad("blk_size", `${blockSize} is not a power of two in ${BLK_MIN_BLOCK_SIZE}..${BLK_MAX_BLOCK_SIZE}`);
  }
  if (has(BlkFeature.SizeMax) && raw.sizeMax < blockSize) throw bad("size_max", `${raw.sizeMax} is smaller than a block (${blockSize})`);
  if (has(BlkFeature.SegMax) && raw.segMax === 0) throw bad("seg_max", "0 segments per request");
  if (raw.physicalBlockExp > MAX_PHYSICAL_BLOCK_EXP) throw bad("physical_block_exp", `${raw.physicalBlockExp} is too large`);
  if (raw.numQueues === 0) throw bad("num_queues", "0 queues");
  if (raw.writeback > 1) throw bad("writeback", `value ${raw.writeback} is neither 0 nor 1`);
  if (raw.mayUnmap > 1) throw bad("write_zeroes_may_unmap", `value ${raw.mayUnmap} is neither 0 nor 1`);
  if (has(BlkFeature.Discard) && (raw.maxDiscardSectors === 0 || raw.maxDiscardSeg === 0)) {
    throw bad("max_discard", `sectors ${raw.maxDiscardSectors}, segments ${raw.maxDiscardSeg}`);
  }
  if (has(BlkFeature.WriteZeroes) && (raw.maxWriteZeroesSectors === 0 || raw.maxWriteZeroesSeg === 0)) {
    throw bad("max_write_zeroes", `sectors ${raw.maxWriteZeroesSectors}, segments ${raw.maxWriteZeroesSeg}`);
  }

  return {
    capacitySectors: Number(raw.capacity),
    blocks: Math.floor(Number(raw.capacity) / (blockSize / SECTOR_SIZE)),
    sizeMax: raw.sizeMax,
    segMax: raw.segMax,
    blockSize,
    physicalBlockSize: blockSize * 2 ** raw.physicalBlockExp,
    alignmentOffset: raw.alignmentOffset,
    minIoSize: raw.minIoSize,
    optIoSize: raw.optIoSize,
    writeback: raw.writeback < 0 ? undefined : raw.writeback === 1,
    numQueues: raw.numQueues,
    discard: has(BlkFeature.Discard)
      ? { maxSectors: raw.maxDiscardSectors, maxSegments: raw.maxDiscardSeg, alignmentSectors: Math.max(raw.discardAlignment, 1) }
      : undefined,
    writeZeroes: has(BlkFeature.WriteZeroes)
      ? { maxSectors: raw.maxWriteZeroesSectors, maxSegments: raw.maxWriteZeroesSeg, mayUnmap: raw.mayUnmap === 1 }
      : undefined,
  };
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && (value & (value - 1)) === 0;
}
