/**
 * A SCSI target's logical units as SPC-4 / SBC-3 describe them, independent of any transport: a
 * direct-access block device over an in-memory disk with INQUIRY (standard data and the VPD pages
 * a disk has), REPORT LUNS, READ CAPACITY (10) and (16), MODE SENSE(6), TEST UNIT READY,
 * READ/WRITE (10) and (16), SYNCHRONIZE CACHE and UNMAP; pending unit attention conditions;
 * sense data in fixed or descriptor format.
 */

export const SCSI_STATUS = { GOOD: 0x00, CHECK_CONDITION: 0x02, BUSY: 0x08, TASK_SET_FULL: 0x28 } as const;
export const SENSE_KEY = { NO_SENSE: 0, NOT_READY: 2, MEDIUM_ERROR: 3, ILLEGAL_REQUEST: 5, UNIT_ATTENTION: 6, DATA_PROTECT: 7, ABORTED_COMMAND: 0x0b } as const;
/** Additional sense code and qualifier pairs the model reports. */
export const ASC = {
  NO_ADDITIONAL_SENSE: [0x00, 0x00],
  INVALID_OPCODE: [0x20, 0x00],
  LBA_OUT_OF_RANGE: [0x21, 0x00],
  INVALID_FIELD_IN_CDB: [0x24, 0x00],
  INVALID_FIELD_IN_PARAMETERS: [0x26, 0x00],
  LUN_NOT_SUPPORTED: [0x25, 0x00],
  WRITE_PROTECTED: [0x27, 0x00],
  POWER_ON_RESET: [0x29, 0x00],
  CAPACITY_CHANGED: [0x2a, 0x09],
  REPORTED_LUNS_CHANGED: [0x3f, 0x0e],
  UNRECOVERED_READ_ERROR: [0x11, 0x00],
} as const satisfies Record<string, readonly [number, number]>;
export type AscPair = readonly [number, number];

export const OPCODE = {
  TEST_UNIT_READY: 0x00,
  REQUEST_SENSE: 0x03,
  INQUIRY: 0x12,
  MODE_SENSE_6: 0x1a,
  READ_CAPACITY_10: 0x25,
  READ_10: 0x28,
  WRITE_10: 0x2a,
  SYNCHRONIZE_CACHE_10: 0x35,
  UNMAP: 0x42,
  READ_16: 0x88,
  WRITE_16: 0x8a,
  SYNCHRONIZE_CACHE_16: 0x91,
  SERVICE_ACTION_IN_16: 0x9e,
  REPORT_LUNS: 0xa0,
} as const;
const READ_CAPACITY_16_SERVICE_ACTION = 0x10;

export interface CommandResult {
  readonly status: number;
  /** Sense data for CHECK CONDITION. */
  readonly sense?: Uint8Array;
  /** Data for the initiator (truncated to the allocation length by the caller's transport). */
  readonly dataIn?: Uint8Array;
}

export interface LogicalUnitOptions {
  readonly blocks: number;
  readonly blockSize?: number;
  readonly readOnly?: boolean;
  readonly serial?: string;
  /** Offer UNMAP (VPD Logical Block Provisioning LBPU and a Block Limits maximum). */
  readonly unmap?: boolean;
  readonly writeCache?: boolean;
  /** Maximum transfer length in blocks (VPD Block Limits); 0: none. */
  readonly maxTransferBlocks?: number;
  /** Sense data in descriptor format instead of fixed format. */
  readonly descriptorSense?: boolean;
  /** Answers READ CAPACITY(16) with INVALID COMMAND OPERATION CODE (an older unit). */
  readonly noReadCapacity16?: boolean;
  /** INQUIRY peripheral device type (0: direct access). */
  readonly deviceType?: number;
}

const MAX_UNMAP_BLOCKS = 0x10000;
const INQUIRY_STANDARD_BYTES = 36;
const ascii = (text: string, width: number) => new TextEncoder().encode(text.padEnd(width, " ").slice(0, width));

/** Fixed-format (0x70) or descriptor-format (0x72) sense data. */
export function senseData(key: number, [asc, ascq]: AscPair, descriptor = false): Uint8Array {
  if (descriptor) return new Uint8Array([0x72, key, asc, ascq, 0, 0, 0, 0]);
  const sense = new Uint8Array(18);
  sense[0] = 0x70;
  sense[2] = key;
  sense[7] = 10;
  sense[12] = asc;
  sense[13] = ascq;
  return sense;
}

export class SimLogicalUnit {
  disk: Uint8Array;
  readonly blockSize: number;
  readOnly: boolean;
  readonly options: LogicalUnitOptions;
  /** Unit attention conditions, reported one per command (oldest first). */
  readonly unitAttentions: AscPair[] = [];
  /** Commands executed, by operation code. */
  readonly counts = new Map<number, number>();
  /** CHECK CONDITIONs given to the next commands but INQUIRY, REPORT LUNS and REQUEST SENSE, oldest first: [sense key, ASC/ASCQ]. */
  readonly checks: [number, AscPair][] = [];
  /** Blocks whose reads fail with MEDIUM ERROR. */
  readonly badBlocks = new Set<number>();
  flushes = 0;
  unmapped = 0;

  constructor(options: LogicalUnitOptions) {
    this.options = options;
    this.blockSize = options.blockSize ?? 512;
    this.disk = new Uint8Array(options.blocks * this.blockSize);
    this.readOnly = options.readOnly ?? false;
  }

  get blocks(): number {
    return this.disk.length / this.blockSize;
  }

  /** Grows or shrinks the medium and raises CAPACITY DATA HAS CHANGED. */
  resize(blocks: number): void {
    const disk = new Uint8Array(blocks * this.blockSize);
    disk.set(this.disk.subarray(0, Math.min(disk.length, this.disk.length)));
    this.disk = disk;
    this.unitAttentions.push(ASC.CAPACITY_CHANGED);
  }

  check(key: number, asc: AscPair): CommandResult {
    return { status: SCSI_STATUS.CHECK_CONDITION, sense: senseData(key, asc, this.options.descriptorSense) };
  }

  /** Runs one command; `dataOut` is what the initiator sent with it. */
  execute(cdb: Uint8Array, dataOut: Uint8Array): CommandResult {
    const op = cdb[0];
    this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
    // SAM-5 5.14: a pending unit attention fails every command but INQUIRY, REPORT LUNS and REQUEST SENSE.
    if (this.unitAttentions.length > 0 && op !== OPCODE.INQUIRY && op !== OPCODE.REPORT_LUNS && op !== OPCODE.REQUEST_SENSE) {
      return this.check(SENSE_KEY.UNIT_ATTENTION, this.unitAttentions.shift() as AscPair);
    }
    if (this.checks.length > 0 && op !== OPCODE.INQUIRY && op !== OPCODE.REPORT_LUNS && op !== OPCODE.REQUEST_SENSE) {
      const [key, asc] = this.checks.shift() as [number, AscPair];
      return this.check(key, asc);
    }
    const view = new DataView(cdb.buffer, cdb.byteOffset, cdb.length);
    switch (op) {
      case OPCODE.TEST_UNIT_READY:
        return { status: SCSI_STATUS.GOOD };
      case OPCODE.INQUIRY:
        return this.inquiry(cdb[1] & 1, cdb[2]);
      case OPCODE.READ_CAPACITY_10: {
        const out = new DataView(new ArrayBuffer(8));
        out.setUint32(0, Math.min(this.blocks - 1, 0xffffffff));
        out.setUint32(4, this.blockSize);
        return { status: SCSI_STATUS.GOOD, dataIn: new Uint8Array(out.buffer) };
      }
      case OPCODE.SERVICE_ACTION_IN_16: {
        if ((cdb[1] & 0x1f) !== READ_CAPACITY_16_SERVICE_ACTION || this.options.noReadCapacity16) return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_OPCODE);
        const out = new DataView(new ArrayBuffer(32));
        out.setBigUint64(0, BigInt(this.blocks - 1));
        out.setUint32(8, this.blockSize);
        if (this.options.unmap) out.setUint8(14, 0x80);
        return { status: SCSI_STATUS.GOOD, dataIn: new Uint8Array(out.buffer) };
      }
      case OPCODE.MODE_SENSE_6:
        return this.modeSense(cdb[2] & 0x3f);
      case OPCODE.READ_10:
      case OPCODE.WRITE_10:
        return this.transfer(op === OPCODE.WRITE_10, view.getUint32(2), view.getUint16(7), dataOut);
      case OPCODE.READ_16:
      case OPCODE.WRITE_16:
        return this.transfer(op === OPCODE.WRITE_16, Number(view.getBigUint64(2)), view.getUint32(10), dataOut);
      case OPCODE.SYNCHRONIZE_CACHE_10:
      case OPCODE.SYNCHRONIZE_CACHE_16:
        this.flushes++;
        return { status: SCSI_STATUS.GOOD };
      case OPCODE.UNMAP:
        return this.unmap(dataOut);
      default:
        return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_OPCODE);
    }
  }

  private inquiry(evpd: number, page: number): CommandResult {
    if (!evpd) {
      if (page !== 0) return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_FIELD_IN_CDB);
      const out = new Uint8Array(INQUIRY_STANDARD_BYTES);
      out[0] = this.options.deviceType ?? 0;
      out[2] = 0x06;
      out[3] = 0x02;
      out[4] = INQUIRY_STANDARD_BYTES - 5;
      out.set(ascii("VIREOSIM", 8), 8);
      out.set(ascii("SIM DISK", 16), 16);
      out.set(ascii("1.0", 4), 32);
      return { status: SCSI_STATUS.GOOD, dataIn: out };
    }
    const pages = [0x00, 0x80, 0xb0, ...(this.options.unmap ? [0xb2] : [])];
    const vpd = (code: number, body: Uint8Array) => {
      const out = new Uint8Array(4 + body.length);
      out[1] = code;
      new DataView(out.buffer).setUint16(2, body.length);
      out.set(body, 4);
      return { status: SCSI_STATUS.GOOD, dataIn: out };
    };
    switch (page) {
      case 0x00:
        return vpd(0x00, new Uint8Array(pages));
      case 0x80:
        return vpd(0x80, new TextEncoder().encode(this.options.serial ?? ""));
      case 0xb0: {
        const body = new DataView(new ArrayBuffer(0x3c));
        body.setUint32(4, this.options.maxTransferBlocks ?? 0);
        if (this.options.unmap) {
          body.setUint32(16, MAX_UNMAP_BLOCKS);
          body.setUint32(20, 1);
        }
        return vpd(0xb0, new Uint8Array(body.buffer));
      }
      case 0xb2:
        if (!this.options.unmap) break;
        return vpd(0xb2, new Uint8Array([0, 0x80, 0, 0]));
    }
    return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_FIELD_IN_CDB);
  }

  private modeSense(page: number): CommandResult {
    if (page !== 0x3f && page !== 0x08) return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_FIELD_IN_CDB);
    const caching = new Uint8Array(20);
    caching[0] = 0x08;
    caching[1] = 0x12;
    caching[2] = this.options.writeCache ? 0x04 : 0;
    const out = new Uint8Array(4 + caching.length);
    out[0] = out.length - 1;
    out[2] = this.readOnly ? 0x80 : 0;
    out.set(caching, 4);
    return { status: SCSI_STATUS.GOOD, dataIn: out };
  }

  private transfer(write: boolean, lba: number, blocks: number, dataOut: Uint8Array): CommandResult {
    if (lba + blocks > this.blocks) return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.LBA_OUT_OF_RANGE);
    const start = lba * this.blockSize;
    const bytes = blocks * this.blockSize;
    if (write) {
      if (this.readOnly) return this.check(SENSE_KEY.DATA_PROTECT, ASC.WRITE_PROTECTED);
      this.disk.set(dataOut.subarray(0, bytes), start);
      return { status: SCSI_STATUS.GOOD };
    }
    for (let b = lba; b < lba + blocks; b++) if (this.badBlocks.has(b)) return this.check(SENSE_KEY.MEDIUM_ERROR, ASC.UNRECOVERED_READ_ERROR);
    return { status: SCSI_STATUS.GOOD, dataIn: this.disk.slice(start, start + bytes) };
  }

  private unmap(list: Uint8Array): CommandResult {
    if (!this.options.unmap) return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_OPCODE);
    if (this.readOnly) return this.check(SENSE_KEY.DATA_PROTECT, ASC.WRITE_PROTECTED);
    if (list.length < 8) return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_FIELD_IN_PARAMETERS);
    const view = new DataView(list.buffer, list.byteOffset, list.length);
    // SBC-4 5.32.2: UNMAP DATA LENGTH counts the bytes after itself; BLOCK DESCRIPTOR DATA LENGTH, those after the header.
    const dataLength = view.getUint16(0);
    const descriptors = view.getUint16(2);
    if (dataLength + 2 > list.length || 8 + descriptors > dataLength + 2) return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_FIELD_IN_PARAMETERS);
    if (descriptors % 16 !== 0 || 8 + descriptors > list.length) return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_FIELD_IN_PARAMETERS);
    for (let at = 8; at < 8 + descriptors; at += 16) {
      const lba = Number(view.getBigUint64(at));
      const count = view.getUint32(at + 8);
      if (count > MAX_UNMAP_BLOCKS) return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_FIELD_IN_PARAMETERS);
      if (lba + count > this.blocks) return this.check(SENSE_KEY.ILLEGAL_REQUEST, ASC.LBA_OUT_OF_RANGE);
      this.disk.fill(0, lba * this.blockSize, (lba + count) * this.blockSize);
      this.unmapped += count;
    }
    return { status: SCSI_STATUS.GOOD };
  }
}

/** REPORT LUNS parameter data for `luns` (peripheral addressing below 256, flat space above). */
export function reportLunsData(luns: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 + 8 * luns.length);
  new DataView(out.buffer).setUint32(0, 8 * luns.length);
  luns.forEach((lun, i) => {
    out[8 + i * 8] = lun < 256 ? 0 : 0x40 | (lun >> 8);
    out[8 + i * 8 + 1] = lun & 0xff;
  });
  return out;
}
