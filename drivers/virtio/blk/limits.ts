import type { BlockLimits } from "../../block-driver";
import { VirtioConfigError } from "../errors";
import type { BlkGeometry } from "./config";
import { SECTOR_SIZE } from "./constants";

/** The driver's own cap on one request's data, whatever the device allows. */
export const DRIVER_MAX_TRANSFER_BYTES = 4 * 1024 * 1024;
/** Descriptors every data request carries besides its data: the header and the status byte. */
export const FRAMING_DESCRIPTORS = 2;

/** Descriptors address any byte: data buffers need no alignment. */
const DMA_ALIGNMENT = 1;

/**
 * What one request may carry, from the device's limits and the ring's longest chain; the
 * sector counts are the wire's, the block counts the block layer's.
 */
export interface BlkLimits extends BlockLimits {
  /** Largest data segment (a multiple of the block size). */
  readonly segmentBytes: number;
  readonly maxSegments: number;
  /** Largest read or write per request (a multiple of the block size). */
  readonly maxTransferBytes: number;
  /** Largest discard / write-zeroes per request, in sectors (whole blocks); 0 if unsupported. */
  readonly maxDiscardSectors: number;
  readonly maxWriteZeroesSectors: number;
}

function alignDown(value: number, align: number): number {
  return value - (value % align);
}

function segmentBytes(geometry: BlkGeometry): number {
  if (geometry.sizeMax === 0) return DRIVER_MAX_TRANSFER_BYTES;
  return alignDown(Math.min(geometry.sizeMax, DRIVER_MAX_TRANSFER_BYTES), geometry.blockSize);
}

/** Data segments per request the driver wants; sizes the indirect tables. */
export function wantedSegments(geometry: BlkGeometry): number {
  // Without SEG_MAX the device promised nothing: one segment is always safe.
  const deviceMax = geometry.segMax === 0 ? 1 : geometry.segMax;
  return Math.min(deviceMax, Math.ceil(DRIVER_MAX_TRANSFER_BYTES / segmentBytes(geometry)));
}

export function blkLimits(deviceName: string, geometry: BlkGeometry, maxChainLength: number): BlkLimits {
  const segment = segmentBytes(geometry);
  const maxSegments = Math.min(wantedSegments(geometry), maxChainLength - FRAMING_DESCRIPTORS);
  if (maxSegments < 1) throw new VirtioConfigError(deviceName, "queue-size", `chains of ${maxChainLength} descriptors cannot carry a request`);
  const blockSectors = geometry.blockSize / SECTOR_SIZE;
  const rangeLimit = (field: string, maxSectors: number, alignment: number): number => {
    const aligned = alignDown(alignDown(maxSectors, alignment) || maxSectors, blockSectors);
    if (aligned === 0) throw new VirtioConfigError(deviceName, field, `${maxSectors} sectors is less than a block`);
    return aligned;
  };
  const maxDiscardSectors = geometry.discard ? rangeLimit("max_discard_sectors", geometry.discard.maxSectors, geometry.discard.alignmentSectors) : 0;
  const maxWriteZeroesSectors = geometry.writeZeroes ? rangeLimit("max_write_zeroes_sectors", geometry.writeZeroes.maxSectors, 1) : 0;
  return {
    segmentBytes: segment,
    maxSegments,
    maxTransferBytes: alignDown(Math.min(DRIVER_MAX_TRANSFER_BYTES, maxSegments * segment), geometry.blockSize),
    dmaAlignment: DMA_ALIGNMENT,
    maxDiscardSectors,
    maxWriteZeroesSectors,
    maxDiscardBlocks: maxDiscardSectors / blockSectors,
    maxWriteZeroesBlocks: maxWriteZeroesSectors / blockSectors,
  };
}
