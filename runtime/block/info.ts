import type { BlockDriver } from "../../drivers/block-driver";

/** What an app can know about a disk; a new object after each capacity change. */
export interface BlockInfo {
  readonly name: string;
  readonly serial: string;
  /** Whole logical blocks, in bytes. */
  readonly capacityBytes: number;
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
  /** Requests the driver holds in flight at once. */
  readonly queueSize: number;
  /** The driver's names for what it negotiated with the device. */
  readonly features: readonly string[];
}

export function blockInfo(driver: BlockDriver): BlockInfo {
  const { geometry, capabilities } = driver;
  return {
    name: driver.name,
    serial: driver.serial,
    capacityBytes: geometry.blocks * geometry.blockSize,
    blockSize: geometry.blockSize,
    blocks: geometry.blocks,
    physicalBlockSize: geometry.physicalBlockSize,
    readOnly: capabilities.readOnly,
    flush: capabilities.flush,
    discard: capabilities.discard,
    writeZeroes: capabilities.writeZeroes,
    writeCache: capabilities.writeCache,
    maxTransferBytes: driver.limits.maxTransferBytes,
    queueSize: driver.queueDepth,
    features: capabilities.features,
  };
}
