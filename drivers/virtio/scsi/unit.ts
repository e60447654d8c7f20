import type { BlockGeometry } from "../../block-driver";
import type { CapacityData } from "./unit-data";

/** What discovery learnt of one logical unit; the LUN's block driver is built from it. */
export interface ScsiUnitDescription {
  readonly target: number;
  readonly lun: number;
  readonly vendor: string;
  readonly product: string;
  /** VPD Unit Serial Number ("" when the unit has none). */
  readonly serial: string;
  readonly capacity: CapacityData;
  /** MODE SENSE's write-protect bit. */
  readonly writeProtected: boolean;
  /** The caching page's WCE; undefined when the unit did not say. */
  readonly writeCache: boolean | undefined;
  /** VPD Block Limits' maximum transfer length in blocks; 0 when not given. */
  readonly maxTransferBlocks: number;
  /** Blocks one UNMAP may cover; 0 when the unit cannot unmap (VPD Logical Block Provisioning / Block Limits). */
  readonly maxUnmapBlocks: number;
}

export function unitGeometry(capacity: CapacityData): BlockGeometry {
  return {
    blockSize: capacity.blockSize,
    blocks: capacity.blocks,
    physicalBlockSize: capacity.blockSize * capacity.blocksPerPhysical,
    alignmentOffset: capacity.lowestAlignedLba,
  };
}

/** "target:lun", the unit's part of its disk name. */
export function unitAddress(target: number, lun: number): string {
  return `${target}:${lun}`;
}
