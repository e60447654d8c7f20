import type { DmaRegion, Platform } from "../../../kernel/platform";
import { NO_SLOT, SlotPool } from "../../../kernel/slot-pool";
import { LeWords, storeU64 } from "../le-words";
import { BLK_ID_BYTES, BlkHeader, BlkRangeSegment, BlkRequestType } from "./constants";

/** Where each part of a request's driver-owned memory sits inside its slot (the id is 20 bytes). */
const SlotLayout = { Header: 0, Segment: BlkHeader.Size, Status: BlkHeader.Size + BlkRangeSegment.Size, Id: 40, Size: 64 } as const;
/** Written before submission; a device that completes without writing the status is caught. */
export const STATUS_UNWRITTEN = 0xff;

/**
 * One preallocated slot per request that can be in flight: the header, the discard /
 * write-zeroes segment, the status byte and the GET_ID answer, in one DMA region read and written
 * through one set of word views (`LeWords`; a view per slot cost about 25,000 guest instructions
 * each to make at attach, a sixth of a boot). The slot index is the virtqueue token. Nothing here
 * allocates after construction.
 */
export class RequestSlots {
  readonly count: number;
  /** What each slot carries, for completion checks and error messages. */
  readonly type: Uint8Array;
  readonly sector: Float64Array;
  /** Data bytes (or sectors for range requests). */
  readonly amount: Float64Array;
  /** Bytes the device must report written when it succeeds. */
  readonly expectedWritten: Float64Array;
  private readonly region: DmaRegion;
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly pool: SlotPool;

  constructor(platform: Platform, count: number) {
    this.count = count;
    this.region = platform.allocDma(count * SlotLayout.Size);
    const words = new LeWords(this.region.buffer);
    this.u8 = words.u8;
    this.u32 = words.u32;
    this.type = new Uint8Array(count);
    this.sector = new Float64Array(count);
    this.amount = new Float64Array(count);
    this.expectedWritten = new Float64Array(count);
    this.pool = new SlotPool(count);
  }

  get free(): number {
    return this.pool.free;
  }

  /** A free slot with its header and status prepared, or -1. */
  acquire(type: number, sector: number, amount: number): number {
    const slot = this.pool.acquire();
    if (slot === NO_SLOT) return NO_SLOT;
    const u32 = this.u32;
    const at = slot * SlotLayout.Size;
    u32[(at + SlotLayout.Header + BlkHeader.Type) >>> 2] = type;
    u32[(at + SlotLayout.Header + BlkHeader.Reserved) >>> 2] = 0;
    storeU64(u32, (at + SlotLayout.Header + BlkHeader.Sector) >>> 2, sector);
    this.u8[at + SlotLayout.Status] = STATUS_UNWRITTEN;
    this.type[slot] = type;
    this.sector[slot] = sector;
    this.amount[slot] = amount;
    return slot;
  }

  /** Whether `slot` is acquired (a request in flight or being built). */
  inUse(slot: number): boolean {
    return this.pool.inUse(slot);
  }

  release(slot: number): void {
    this.pool.release(slot);
  }

  writeRangeSegment(slot: number, sector: number, count: number, flags: number): void {
    const u32 = this.u32;
    const at = slot * SlotLayout.Size;
    storeU64(u32, (at + SlotLayout.Segment + BlkRangeSegment.Sector) >>> 2, sector);
    u32[(at + SlotLayout.Segment + BlkRangeSegment.NumSectors) >>> 2] = count;
    u32[(at + SlotLayout.Segment + BlkRangeSegment.Flags) >>> 2] = flags;
  }

  headerPhysical(slot: number): number {
    return this.region.physical + slot * SlotLayout.Size + SlotLayout.Header;
  }
  segmentPhysical(slot: number): number {
    return this.region.physical + slot * SlotLayout.Size + SlotLayout.Segment;
  }
  statusPhysical(slot: number): number {
    return this.region.physical + slot * SlotLayout.Size + SlotLayout.Status;
  }
  idPhysical(slot: number): number {
    return this.region.physical + slot * SlotLayout.Size + SlotLayout.Id;
  }

  status(slot: number): number {
    return this.u8[slot * SlotLayout.Size + SlotLayout.Status];
  }

  /** The GET_ID answer up to its first NUL, as text. */
  serial(slot: number): string {
    const id = slot * SlotLayout.Size + SlotLayout.Id;
    let text = "";
    for (let i = 0; i < BLK_ID_BYTES; i++) {
      const byte = this.u8[id + i];
      if (byte === 0) break;
      text += String.fromCharCode(byte);
    }
    return text;
  }

  /** "read sector 8 x4096" — for error messages only. */
  describe(slot: number): string {
    const type = this.type[slot];
    const sector = this.sector[slot];
    switch (type) {
      case BlkRequestType.In:
        return `read sector ${sector} (${this.amount[slot]} bytes)`;
      case BlkRequestType.Out:
        return `write sector ${sector} (${this.amount[slot]} bytes)`;
      case BlkRequestType.Flush:
        return "flush";
      case BlkRequestType.GetId:
        return "get-id";
      case BlkRequestType.Discard:
        return `discard sector ${sector} (${this.amount[slot]} sectors)`;
      case BlkRequestType.WriteZeroes:
        return `write-zeroes sector ${sector} (${this.amount[slot]} sectors)`;
      default:
        return `request type ${type}`;
    }
  }
}
