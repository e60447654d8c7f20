import { DmaSlab } from "../../../kernel/dma";
import type { Platform } from "../../../kernel/platform";
import { SlotPool } from "../../../kernel/slot-pool";
import { SCSI_LUN_ADDRESS_FIRST, SCSI_FLAT_ADDRESSING, ScsiCmdHeader, ScsiCmdResponse, ScsiLunField, ScsiTaskAttr } from "./constants";

const ALIGN = 16;
const TWO_POW_32 = 0x1_0000_0000;
/** Written into the response byte before submission: a device that never writes it is caught. */
export const RESPONSE_UNWRITTEN = 0xff;

function alignUp(value: number): number {
  return Math.ceil(value / ALIGN) * ALIGN;
}

/** Writes the single-level LUN address (virtio 1.2 section 5.6.6.1) of `target`/`lun` at `at`. */
export function writeLunAddress(view: DataView, at: number, target: number, lun: number): void {
  view.setUint8(at + ScsiLunField.One, SCSI_LUN_ADDRESS_FIRST);
  view.setUint8(at + ScsiLunField.Target, target);
  view.setUint8(at + ScsiLunField.LunHigh, SCSI_FLAT_ADDRESSING | (lun >> 8));
  view.setUint8(at + ScsiLunField.LunLow, lun & 0xff);
  view.setUint32(at + ScsiLunField.LunLow + 1, 0);
}

export function setUint64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value >>> 0, true);
  view.setUint32(at + 4, Math.floor(value / TWO_POW_32), true);
}

/**
 * Preallocated command slots in one DMA slab, each: the request header with its CDB
 * (`struct virtio_scsi_req_cmd` up to cdb[cdb_size]), the response with its sense area, and
 * `dataBytes` of driver-owned data (discovery answers, an UNMAP parameter list). Views over every
 * part are made once; nothing allocates per command.
 */
export class CommandSlots {
  readonly count: number;
  readonly headerBytes: number;
  readonly responseBytes: number;
  readonly dataBytes: number;
  private readonly slab: DmaSlab;
  private readonly headers: DataView[] = [];
  private readonly cdbs: DataView[] = [];
  private readonly responses: DataView[] = [];
  private readonly senses: Uint8Array[] = [];
  private readonly datas: Uint8Array[] = [];
  private readonly dataViews: DataView[] = [];
  private readonly responseAt: number;
  private readonly dataAt: number;
  private readonly pool: SlotPool;

  constructor(platform: Platform, count: number, cdbSize: number, senseSize: number, dataBytes: number) {
    this.count = count;
    this.headerBytes = ScsiCmdHeader.Cdb + cdbSize;
    this.responseBytes = ScsiCmdResponse.Sense + senseSize;
    this.dataBytes = dataBytes;
    this.responseAt = alignUp(this.headerBytes);
    this.dataAt = this.responseAt + alignUp(this.responseBytes);
    this.slab = new DmaSlab(platform, count, alignUp(this.dataAt + dataBytes));
    for (let i = 0; i < count; i++) {
      const bytes = this.slab.bytes(i);
      const view = (at: number, length: number) => new DataView(bytes.buffer, bytes.byteOffset + at, length);
      this.headers.push(view(0, this.headerBytes));
      this.cdbs.push(view(ScsiCmdHeader.Cdb, cdbSize));
      this.responses.push(view(this.responseAt, this.responseBytes));
      this.senses.push(bytes.subarray(this.responseAt + ScsiCmdResponse.Sense, this.responseAt + this.responseBytes));
      this.datas.push(bytes.subarray(this.dataAt, this.dataAt + dataBytes));
      this.dataViews.push(view(this.dataAt, dataBytes));
    }
    this.pool = new SlotPool(count);
  }

  get free(): number {
    return this.pool.free;
  }

  acquire(): number {
    return this.pool.acquire();
  }

  inUse(slot: number): boolean {
    return this.pool.inUse(slot);
  }

  release(slot: number): void {
    this.pool.release(slot);
  }

  /**
   * Writes the header for `target`/`lun` with command identifier `id`, zeroes the CDB and marks
   * the response unwritten; returns the CDB for a builder of commands.ts to fill.
   */
  prepare(slot: number, target: number, lun: number, id: number): DataView {
    const header = this.headers[slot];
    writeLunAddress(header, ScsiCmdHeader.Lun, target, lun);
    setUint64(header, ScsiCmdHeader.Id, id);
    header.setUint8(ScsiCmdHeader.TaskAttr, ScsiTaskAttr.Simple);
    header.setUint8(ScsiCmdHeader.Prio, 0);
    header.setUint8(ScsiCmdHeader.Crn, 0);
    const cdb = this.cdbs[slot];
    for (let i = 0; i < cdb.byteLength; i++) cdb.setUint8(i, 0);
    this.responses[slot].setUint8(ScsiCmdResponse.Response, RESPONSE_UNWRITTEN);
    return cdb;
  }

  /** The CDB's operation code (for messages and retries). */
  opcode(slot: number): number {
    return this.cdbs[slot].getUint8(0);
  }

  response(slot: number): DataView {
    return this.responses[slot];
  }

  sense(slot: number): Uint8Array {
    return this.senses[slot];
  }

  data(slot: number): Uint8Array {
    return this.datas[slot];
  }

  dataView(slot: number): DataView {
    return this.dataViews[slot];
  }

  headerPhysical(slot: number): number {
    return this.slab.physical(slot);
  }

  responsePhysical(slot: number): number {
    return this.slab.physical(slot) + this.responseAt;
  }

  dataPhysical(slot: number): number {
    return this.slab.physical(slot) + this.dataAt;
  }

  destroy(): void {
    this.slab.free();
  }
}
