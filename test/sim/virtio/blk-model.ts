import { DeviceType } from "../../../drivers/virtio/device-types";
import { feature, hasFeature } from "../../../drivers/virtio/features";
import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { VirtioDeviceModel } from "./device-model";
import type { SimRequest } from "./request";

export const BlkFeature = {
  SizeMax: 1,
  SegMax: 2,
  Ro: 5,
  BlkSize: 6,
  Flush: 9,
  Topology: 10,
  ConfigWce: 11,
  Mq: 12,
  Discard: 13,
  WriteZeroes: 14,
} as const;

export const BlkRequestType = { In: 0, Out: 1, Flush: 4, GetId: 8, Discard: 11, WriteZeroes: 13 } as const;
export const BlkStatus = { Ok: 0, IoErr: 1, Unsupp: 2 } as const;

export const BlkConfig = {
  Capacity: 0,
  SizeMax: 8,
  SegMax: 12,
  BlkSize: 20,
  PhysicalBlockExp: 24,
  OptIoSize: 28,
  Writeback: 32,
  NumQueues: 34,
  MaxDiscardSectors: 36,
  MaxDiscardSeg: 40,
  DiscardSectorAlignment: 44,
  MaxWriteZeroesSectors: 48,
  MaxWriteZeroesSeg: 52,
  WriteZeroesMayUnmap: 56,
  Size: 60,
} as const;

export const SECTOR_SIZE = 512;
const HEADER_SIZE = 16;
const SEGMENT_SIZE = 16;
const ID_BYTES = 20;

export interface BlkOptions {
  readonly sectors: number;
  readonly readOnly?: boolean;
  readonly serial?: string;
  readonly queueSize?: number;
  readonly sizeMax?: number;
  readonly segMax?: number;
  readonly blkSize?: number;
  /** Offer MQ with this many queues (the driver may use only the first). */
  readonly numQueues?: number;
  /** Offer TOPOLOGY (physical blocks of 8 logical ones). */
  readonly topology?: boolean;
  /** Offer CONFIG_WCE with this writeback setting. */
  readonly writeback?: boolean;
  /** Features left out of the offer (e.g. FLUSH, DISCARD). */
  readonly withhold?: readonly number[];
  readonly maxDiscardSectors?: number;
  readonly maxWriteZeroesSectors?: number;
  /** Offer EVENT_IDX / INDIRECT_DESC (default true). */
  readonly eventIdx?: boolean;
  readonly indirect?: boolean;
}

/** Ways the block model misbehaves on purpose (on top of the generic ring faults). */
export interface BlkFaults {
  /** Written as every request's status byte instead of the real one. */
  status: number | undefined;
  /** Request types answered UNSUPP. */
  readonly unsupported: Set<number>;
  /** Sectors whose every access fails with IOERR. */
  readonly badSectors: Set<number>;
}

const PHYSICAL_BLOCK_EXP = 3;
const OPT_IO_BLOCKS = 256;

/** virtio-blk over an in-memory disk. */
export class BlkModel extends VirtioDeviceModel {
  readonly deviceType = DeviceType.Block;
  disk: Uint8Array;
  readonly readOnly: boolean;
  readonly blkFaults: BlkFaults = { status: undefined, unsupported: new Set(), badSectors: new Set() };
  flushes = 0;
  /** Requests handled, by type. */
  readonly requestCounts = new Map<number, number>();
  /** Most data segments seen in one request. */
  maxSegmentsSeen = 0;
  private readonly serial: Uint8Array;

  constructor(memory: SimMemory, violations: ViolationLog, options: BlkOptions) {
    let features =
      feature(BlkFeature.SizeMax) |
      feature(BlkFeature.SegMax) |
      feature(BlkFeature.BlkSize) |
      feature(BlkFeature.Flush) |
      feature(BlkFeature.Discard) |
      feature(BlkFeature.WriteZeroes) |
      (options.readOnly ? feature(BlkFeature.Ro) : 0n) |
      (options.topology ? feature(BlkFeature.Topology) : 0n) |
      (options.numQueues !== undefined ? feature(BlkFeature.Mq) : 0n) |
      (options.writeback !== undefined ? feature(BlkFeature.ConfigWce) : 0n);
    for (const bit of options.withhold ?? []) features &= ~feature(bit);
    const queues = options.numQueues ?? 1;
    super({
      memory,
      violations,
      queueSizes: new Array<number>(queues).fill(options.queueSize ?? 128),
      features,
      configSize: BlkConfig.Size,
      eventIdx: options.eventIdx,
      indirect: options.indirect,
    });
    this.disk = new Uint8Array(options.sectors * SECTOR_SIZE);
    this.readOnly = options.readOnly ?? false;
    this.serial = new TextEncoder().encode((options.serial ?? "vireo-sim-disk").slice(0, ID_BYTES));
    const view = new DataView(this.config.buffer);
    view.setBigUint64(BlkConfig.Capacity, BigInt(options.sectors), true);
    view.setUint32(BlkConfig.SizeMax, options.sizeMax ?? 65536, true);
    view.setUint32(BlkConfig.SegMax, options.segMax ?? 126, true);
    view.setUint32(BlkConfig.BlkSize, options.blkSize ?? SECTOR_SIZE, true);
    view.setUint8(BlkConfig.PhysicalBlockExp, PHYSICAL_BLOCK_EXP);
    view.setUint32(BlkConfig.OptIoSize, OPT_IO_BLOCKS, true);
    view.setUint8(BlkConfig.Writeback, options.writeback ? 1 : 0);
    view.setUint16(BlkConfig.NumQueues, queues, true);
    view.setUint32(BlkConfig.MaxDiscardSectors, options.maxDiscardSectors ?? options.sectors, true);
    view.setUint32(BlkConfig.MaxDiscardSeg, 1, true);
    view.setUint32(BlkConfig.DiscardSectorAlignment, 1, true);
    view.setUint32(BlkConfig.MaxWriteZeroesSectors, options.maxWriteZeroesSectors ?? options.sectors, true);
    view.setUint32(BlkConfig.MaxWriteZeroesSeg, 1, true);
    view.setUint8(BlkConfig.WriteZeroesMayUnmap, 1);
  }

  get sectors(): number {
    return this.disk.length / SECTOR_SIZE;
  }

  /** Grows or shrinks the disk (kept contents) and signals a configuration change. */
  resize(sectors: number): void {
    const disk = new Uint8Array(sectors * SECTOR_SIZE);
    disk.set(this.disk.subarray(0, Math.min(this.disk.length, disk.length)));
    this.disk = disk;
    this.changeConfig((view) => view.setBigUint64(BlkConfig.Capacity, BigInt(sectors), true));
  }

  protected handleRequest(request: SimRequest): number {
    const readable = request.read();
    const writableLength = request.writableLength;
    if (readable.length < HEADER_SIZE || writableLength < 1) {
      this.report(`blk request without a 16-byte header and a status byte (${readable.length}/${writableLength})`);
      return 0;
    }
    const header = new DataView(readable.buffer, readable.byteOffset, HEADER_SIZE);
    const type = header.getUint32(0, true);
    if (header.getUint32(4, true) !== 0) this.report("blk request header reserved field is not 0");
    const sector = Number(header.getBigUint64(8, true));
    const data = readable.subarray(HEADER_SIZE);
    const inLength = writableLength - 1;
    this.requestCounts.set(type, (this.requestCounts.get(type) ?? 0) + 1);
    this.checkSegments(request);
    const finish = (status: number, written: number) => {
      request.write(new Uint8Array([this.blkFaults.status ?? status]), inLength);
      return written + 1;
    };
    if (this.blkFaults.unsupported.has(type)) return finish(BlkStatus.Unsupp, 0);
    const modifies = type === BlkRequestType.Out || type === BlkRequestType.Discard || type === BlkRequestType.WriteZeroes;
    if (modifies && this.readOnly) {
      this.report(`blk request type ${type} sent to a read-only device`);
      return finish(BlkStatus.IoErr, 0);
    }
    switch (type) {
      case BlkRequestType.In: {
        if (!this.inRange(sector, inLength)) return finish(BlkStatus.IoErr, 0);
        const start = sector * SECTOR_SIZE;
        return finish(BlkStatus.Ok, request.write(this.disk.subarray(start, start + inLength)));
      }
      case BlkRequestType.Out:
        if (!this.inRange(sector, data.length)) return finish(BlkStatus.IoErr, 0);
        this.disk.set(data, sector * SECTOR_SIZE);
        return finish(BlkStatus.Ok, 0);
      case BlkRequestType.Flush:
        if (!this.negotiated(BlkFeature.Flush)) return finish(BlkStatus.Unsupp, 0);
        this.flushes++;
        return finish(BlkStatus.Ok, 0);
      case BlkRequestType.GetId: {
        const id = new Uint8Array(ID_BYTES);
        id.set(this.serial);
        return finish(BlkStatus.Ok, request.write(id.subarray(0, Math.min(ID_BYTES, inLength))));
      }
      case BlkRequestType.Discard:
      case BlkRequestType.WriteZeroes: {
        const discard = type === BlkRequestType.Discard;
        if (!this.negotiated(discard ? BlkFeature.Discard : BlkFeature.WriteZeroes)) return finish(BlkStatus.Unsupp, 0);
        if (data.length === 0 || data.length % SEGMENT_SIZE !== 0) return finish(BlkStatus.IoErr, 0);
        const config = new DataView(this.config.buffer, this.config.byteOffset);
        const maxSectors = config.getUint32(discard ? BlkConfig.MaxDiscardSectors : BlkConfig.MaxWriteZeroesSectors, true);
        const segments = new DataView(data.buffer, data.byteOffset, data.length);
        for (let at = 0; at < data.length; at += SEGMENT_SIZE) {
          const start = Number(segments.getBigUint64(at, true));
          const count = segments.getUint32(at + 8, true);
          if (count > maxSectors) this.report(`blk ${discard ? "discard" : "write-zeroes"} of ${count} sectors exceeds ${maxSectors}`);
          if (discard && segments.getUint32(at + 12, true) !== 0) this.report("blk discard with flags set");
          if (!this.inRange(start, count * SECTOR_SIZE)) return finish(BlkStatus.IoErr, 0);
          this.disk.fill(0, start * SECTOR_SIZE, (start + count) * SECTOR_SIZE);
        }
        return finish(BlkStatus.Ok, 0);
      }
      default:
        return finish(BlkStatus.Unsupp, 0);
    }
  }

  /**
   * Data segments must respect seg_max and size_max when the driver accepted them. Counted as
   * the descriptors between the first (header) and the last (status), the layout every driver uses.
   */
  private checkSegments(request: SimRequest): void {
    const data = [...request.readable.slice(1), ...request.writable.slice(0, -1)];
    this.maxSegmentsSeen = Math.max(this.maxSegmentsSeen, data.length);
    const config = new DataView(this.config.buffer, this.config.byteOffset);
    const segMax = config.getUint32(BlkConfig.SegMax, true);
    const sizeMax = config.getUint32(BlkConfig.SizeMax, true);
    if (this.negotiated(BlkFeature.SegMax) && data.length > segMax) this.report(`blk request with ${data.length} segments > seg_max ${segMax}`);
    if (this.negotiated(BlkFeature.SizeMax)) {
      for (const segment of data) {
        if (segment.bytes.length > sizeMax) this.report(`blk segment of ${segment.bytes.length} bytes > size_max ${sizeMax}`);
      }
    }
  }

  private get blockSize(): number {
    return new DataView(this.config.buffer, this.config.byteOffset).getUint32(BlkConfig.BlkSize, true);
  }

  private negotiated(bit: number): boolean {
    return hasFeature(this.driverFeatures, bit);
  }

  private inRange(sector: number, bytes: number): boolean {
    if (bytes % SECTOR_SIZE !== 0) {
      this.report(`blk data length ${bytes} is not a multiple of ${SECTOR_SIZE}`);
      return false;
    }
    if (sector % (this.blockSize / SECTOR_SIZE) !== 0 || bytes % this.blockSize !== 0) return false;
    for (let at = sector; at < sector + bytes / SECTOR_SIZE; at++) if (this.blkFaults.badSectors.has(at)) return false;
    return sector >= 0 && sector * SECTOR_SIZE + bytes <= this.disk.length;
  }
}

