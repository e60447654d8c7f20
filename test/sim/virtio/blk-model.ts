import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { VirtioDeviceModel } from "./device-model";
import type { SimRequest } from "./request";
import {
  VIRTIO_BLK_DISCARD_WRITE_ZEROES_SIZE,
  VIRTIO_BLK_F,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_REQ_HEADER_SIZE,
  VIRTIO_BLK_S,
  VIRTIO_BLK_SECTOR_SIZE,
  VIRTIO_BLK_STATUS_SIZE,
  VIRTIO_BLK_T,
  virtio_blk_config,
  virtio_blk_discard_write_zeroes,
  virtio_blk_req,
} from "./spec/blk";
import { VIRTIO_DEVICE_ID } from "./spec/device-ids";
import { featureMask } from "./spec/feature-bits";

/** The tests' names for the specification's values (spec/blk.ts). */
export const BlkFeature = {
  SizeMax: VIRTIO_BLK_F.SIZE_MAX,
  SegMax: VIRTIO_BLK_F.SEG_MAX,
  Ro: VIRTIO_BLK_F.RO,
  BlkSize: VIRTIO_BLK_F.BLK_SIZE,
  Flush: VIRTIO_BLK_F.FLUSH,
  Topology: VIRTIO_BLK_F.TOPOLOGY,
  ConfigWce: VIRTIO_BLK_F.CONFIG_WCE,
  Mq: VIRTIO_BLK_F.MQ,
  Discard: VIRTIO_BLK_F.DISCARD,
  WriteZeroes: VIRTIO_BLK_F.WRITE_ZEROES,
} as const;
export const BlkRequestType = {
  In: VIRTIO_BLK_T.IN,
  Out: VIRTIO_BLK_T.OUT,
  Flush: VIRTIO_BLK_T.FLUSH,
  GetId: VIRTIO_BLK_T.GET_ID,
  Discard: VIRTIO_BLK_T.DISCARD,
  WriteZeroes: VIRTIO_BLK_T.WRITE_ZEROES,
} as const;
export const BlkStatus = { Ok: VIRTIO_BLK_S.OK, IoErr: VIRTIO_BLK_S.IOERR, Unsupp: VIRTIO_BLK_S.UNSUPP } as const;
/** Offsets in virtio_blk_config; the device has the fields up to write_zeroes_may_unmap. */
export const BlkConfig = {
  Capacity: virtio_blk_config.capacity.offset,
  SizeMax: virtio_blk_config.size_max.offset,
  SegMax: virtio_blk_config.seg_max.offset,
  BlkSize: virtio_blk_config.blk_size.offset,
  NumQueues: virtio_blk_config.num_queues.offset,
  MaxDiscardSectors: virtio_blk_config.max_discard_sectors.offset,
  WriteZeroesMayUnmap: virtio_blk_config.write_zeroes_may_unmap.offset,
  Size: virtio_blk_config.max_secure_erase_sectors.offset,
} as const;
export const SECTOR_SIZE = VIRTIO_BLK_SECTOR_SIZE;

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
  /** Offer RING_PACKED / IN_ORDER (default false). */
  readonly packed?: boolean;
  readonly inOrder?: boolean;
}

/** Ways the block model misbehaves on purpose (on top of the generic ring faults). */
export interface BlkFaults {
  /**
   * Written as every request's status byte instead of the real one. "unwritten": the device
   * leaves the status byte alone (it holds whatever the driver put there) yet counts it in the
   * used length, as a device that claims completion without a status would.
   */
  status: number | "unwritten" | undefined;
  /** Request types answered UNSUPP. */
  readonly unsupported: Set<number>;
  /** Sectors whose every access fails with IOERR. */
  readonly badSectors: Set<number>;
}

const PHYSICAL_BLOCK_EXP = 3;
const OPT_IO_BLOCKS = 256;

/** virtio-blk over an in-memory disk. */
export class BlkModel extends VirtioDeviceModel {
  readonly deviceType = VIRTIO_DEVICE_ID.block;
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
    const offered = [
      VIRTIO_BLK_F.SIZE_MAX,
      VIRTIO_BLK_F.SEG_MAX,
      VIRTIO_BLK_F.BLK_SIZE,
      VIRTIO_BLK_F.FLUSH,
      VIRTIO_BLK_F.DISCARD,
      VIRTIO_BLK_F.WRITE_ZEROES,
      ...(options.readOnly ? [VIRTIO_BLK_F.RO] : []),
      ...(options.topology ? [VIRTIO_BLK_F.TOPOLOGY] : []),
      ...(options.numQueues !== undefined ? [VIRTIO_BLK_F.MQ] : []),
      ...(options.writeback !== undefined ? [VIRTIO_BLK_F.CONFIG_WCE] : []),
    ];
    const features = featureMask(offered) & ~featureMask(options.withhold ?? []);
    const queues = options.numQueues ?? 1;
    super({
      memory,
      violations,
      queueSizes: new Array<number>(queues).fill(options.queueSize ?? 128),
      features,
      configLayout: virtio_blk_config,
      configSize: BlkConfig.Size,
      eventIdx: options.eventIdx,
      indirect: options.indirect,
      packed: options.packed,
      inOrder: options.inOrder,
    });
    this.disk = new Uint8Array(options.sectors * SECTOR_SIZE);
    this.readOnly = options.readOnly ?? false;
    this.serial = new TextEncoder().encode((options.serial ?? "vireo-sim-disk").slice(0, VIRTIO_BLK_ID_BYTES));
    const view = new DataView(this.config.buffer);
    const c = virtio_blk_config;
    view.setBigUint64(c.capacity.offset, BigInt(options.sectors), true);
    view.setUint32(c.size_max.offset, options.sizeMax ?? 65536, true);
    view.setUint32(c.seg_max.offset, options.segMax ?? 126, true);
    view.setUint32(c.blk_size.offset, options.blkSize ?? SECTOR_SIZE, true);
    view.setUint8(c["topology.physical_block_exp"].offset, PHYSICAL_BLOCK_EXP);
    view.setUint32(c["topology.opt_io_size"].offset, OPT_IO_BLOCKS, true);
    view.setUint8(c.writeback.offset, options.writeback ? 1 : 0);
    view.setUint16(c.num_queues.offset, queues, true);
    view.setUint32(c.max_discard_sectors.offset, options.maxDiscardSectors ?? options.sectors, true);
    view.setUint32(c.max_discard_seg.offset, 1, true);
    view.setUint32(c.discard_sector_alignment.offset, 1, true);
    view.setUint32(c.max_write_zeroes_sectors.offset, options.maxWriteZeroesSectors ?? options.sectors, true);
    view.setUint32(c.max_write_zeroes_seg.offset, 1, true);
    view.setUint8(c.write_zeroes_may_unmap.offset, 1);
  }

  get sectors(): number {
    return this.disk.length / SECTOR_SIZE;
  }

  /** Grows or shrinks the disk (kept contents) and signals a configuration change. */
  resize(sectors: number): void {
    const disk = new Uint8Array(sectors * SECTOR_SIZE);
    disk.set(this.disk.subarray(0, Math.min(this.disk.length, disk.length)));
    this.disk = disk;
    this.changeConfig((view) => view.setBigUint64(virtio_blk_config.capacity.offset, BigInt(sectors), true));
  }

  /** writeback is the one field a driver may write, and only with CONFIG_WCE (section 5.2.6). */
  protected override writeDeviceConfig(offset: number, width: number, value: number): boolean {
    const field = virtio_blk_config.writeback;
    if (offset !== field.offset || width !== field.width || !this.negotiated(VIRTIO_BLK_F.CONFIG_WCE)) return false;
    this.config[offset] = value;
    return true;
  }

  protected handleRequest(request: SimRequest): number {
    const readable = request.read();
    const writableLength = request.writableLength;
    if (readable.length < VIRTIO_BLK_REQ_HEADER_SIZE || writableLength < VIRTIO_BLK_STATUS_SIZE) {
      this.report(`blk request without a ${VIRTIO_BLK_REQ_HEADER_SIZE}-byte header and a status byte (${readable.length}/${writableLength})`);
      return 0;
    }
    const header = new DataView(readable.buffer, readable.byteOffset, VIRTIO_BLK_REQ_HEADER_SIZE);
    const type = header.getUint32(virtio_blk_req.type.offset, true);
    if (header.getUint32(virtio_blk_req.reserved.offset, true) !== 0) this.report("blk request header reserved field is not 0");
    const sector = Number(header.getBigUint64(virtio_blk_req.sector.offset, true));
    const data = readable.subarray(VIRTIO_BLK_REQ_HEADER_SIZE);
    const inLength = writableLength - VIRTIO_BLK_STATUS_SIZE;
    this.requestCounts.set(type, (this.requestCounts.get(type) ?? 0) + 1);
    this.checkSegments(request);
    /** Writes the status byte after the data (unless a fault says otherwise); the used length counts it. */
    const finish = (status: number, written: number) => {
      const fault = this.blkFaults.status;
      if (fault !== "unwritten") request.write(new Uint8Array([fault ?? status]), inLength);
      return written + VIRTIO_BLK_STATUS_SIZE;
    };
    if (this.blkFaults.unsupported.has(type)) return finish(VIRTIO_BLK_S.UNSUPP, 0);
    const modifies = type === VIRTIO_BLK_T.OUT || type === VIRTIO_BLK_T.DISCARD || type === VIRTIO_BLK_T.WRITE_ZEROES;
    if (modifies && this.readOnly) {
      this.report(`blk request type ${type} sent to a read-only device`);
      return finish(VIRTIO_BLK_S.IOERR, 0);
    }
    switch (type) {
      case VIRTIO_BLK_T.IN: {
        if (!this.inRange(sector, inLength)) return finish(VIRTIO_BLK_S.IOERR, 0);
        const start = sector * SECTOR_SIZE;
        return finish(VIRTIO_BLK_S.OK, request.write(this.disk.subarray(start, start + inLength)));
      }
      case VIRTIO_BLK_T.OUT:
        if (!this.inRange(sector, data.length)) return finish(VIRTIO_BLK_S.IOERR, 0);
        this.disk.set(data, sector * SECTOR_SIZE);
        return finish(VIRTIO_BLK_S.OK, 0);
      case VIRTIO_BLK_T.FLUSH:
        if (!this.negotiated(VIRTIO_BLK_F.FLUSH)) return finish(VIRTIO_BLK_S.UNSUPP, 0);
        this.flushes++;
        return finish(VIRTIO_BLK_S.OK, 0);
      case VIRTIO_BLK_T.GET_ID: {
        const id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
        id.set(this.serial);
        return finish(VIRTIO_BLK_S.OK, request.write(id.subarray(0, Math.min(VIRTIO_BLK_ID_BYTES, inLength))));
      }
      case VIRTIO_BLK_T.DISCARD:
      case VIRTIO_BLK_T.WRITE_ZEROES: {
        const discard = type === VIRTIO_BLK_T.DISCARD;
        if (!this.negotiated(discard ? VIRTIO_BLK_F.DISCARD : VIRTIO_BLK_F.WRITE_ZEROES)) return finish(VIRTIO_BLK_S.UNSUPP, 0);
        if (data.length === 0 || data.length % VIRTIO_BLK_DISCARD_WRITE_ZEROES_SIZE !== 0) return finish(VIRTIO_BLK_S.IOERR, 0);
        const config = new DataView(this.config.buffer, this.config.byteOffset);
        const limit = discard ? virtio_blk_config.max_discard_sectors : virtio_blk_config.max_write_zeroes_sectors;
        const maxSectors = config.getUint32(limit.offset, true);
        const segments = new DataView(data.buffer, data.byteOffset, data.length);
        const segment = virtio_blk_discard_write_zeroes;
        for (let at = 0; at < data.length; at += VIRTIO_BLK_DISCARD_WRITE_ZEROES_SIZE) {
          const start = Number(segments.getBigUint64(at + segment.sector.offset, true));
          const count = segments.getUint32(at + segment.num_sectors.offset, true);
          if (count > maxSectors) this.report(`blk ${discard ? "discard" : "write-zeroes"} of ${count} sectors exceeds ${maxSectors}`);
          if (discard && segments.getUint32(at + segment.flags.offset, true) !== 0) this.report("blk discard with flags set");
          if (!this.inRange(start, count * SECTOR_SIZE)) return finish(VIRTIO_BLK_S.IOERR, 0);
          this.disk.fill(0, start * SECTOR_SIZE, (start + count) * SECTOR_SIZE);
        }
        return finish(VIRTIO_BLK_S.OK, 0);
      }
      default:
        return finish(VIRTIO_BLK_S.UNSUPP, 0);
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
    const segMax = config.getUint32(virtio_blk_config.seg_max.offset, true);
    const sizeMax = config.getUint32(virtio_blk_config.size_max.offset, true);
    if (this.negotiated(VIRTIO_BLK_F.SEG_MAX) && data.length > segMax) this.report(`blk request with ${data.length} segments > seg_max ${segMax}`);
    if (this.negotiated(VIRTIO_BLK_F.SIZE_MAX)) {
      for (const segment of data) {
        if (segment.bytes.length > sizeMax) this.report(`blk segment of ${segment.bytes.length} bytes > size_max ${sizeMax}`);
      }
    }
  }

  private get blockSize(): number {
    return new DataView(this.config.buffer, this.config.byteOffset).getUint32(virtio_blk_config.blk_size.offset, true);
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

