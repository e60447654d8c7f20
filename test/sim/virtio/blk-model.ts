import { DeviceType, feature, hasFeature } from "../../../drivers/virtio/constants";
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
}

/** virtio-blk over an in-memory disk. */
export class BlkModel extends VirtioDeviceModel {
  readonly deviceType = DeviceType.Block;
  readonly disk: Uint8Array;
  readonly readOnly: boolean;
  flushes = 0;
  private readonly serial: Uint8Array;

  constructor(memory: SimMemory, violations: ViolationLog, options: BlkOptions) {
    const features =
      feature(BlkFeature.SizeMax) |
      feature(BlkFeature.SegMax) |
      feature(BlkFeature.BlkSize) |
      feature(BlkFeature.Flush) |
      feature(BlkFeature.Discard) |
      feature(BlkFeature.WriteZeroes) |
      (options.readOnly ? feature(BlkFeature.Ro) : 0n);
    super({ memory, violations, queueSizes: [options.queueSize ?? 128], features, configSize: BlkConfig.Size });
    this.disk = new Uint8Array(options.sectors * SECTOR_SIZE);
    this.readOnly = options.readOnly ?? false;
    this.serial = new TextEncoder().encode((options.serial ?? "vireo-sim-disk").slice(0, ID_BYTES));
    const view = new DataView(this.config.buffer);
    view.setBigUint64(BlkConfig.Capacity, BigInt(options.sectors), true);
    view.setUint32(BlkConfig.SizeMax, options.sizeMax ?? 65536, true);
    view.setUint32(BlkConfig.SegMax, options.segMax ?? 126, true);
    view.setUint32(BlkConfig.BlkSize, options.blkSize ?? SECTOR_SIZE, true);
    view.setUint32(BlkConfig.MaxDiscardSectors, options.sectors, true);
    view.setUint32(BlkConfig.MaxDiscardSeg, 1, true);
    view.setUint32(BlkConfig.DiscardSectorAlignment, 1, true);
    view.setUint32(BlkConfig.MaxWriteZeroesSectors, options.sectors, true);
    view.setUint32(BlkConfig.MaxWriteZeroesSeg, 1, true);
    view.setUint8(BlkConfig.WriteZeroesMayUnmap, 1);
  }

  get sectors(): number {
    return this.disk.length / SECTOR_SIZE;
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
    const sector = Number(header.getBigUint64(8, true));
    const data = readable.subarray(HEADER_SIZE);
    const inLength = writableLength - 1;
    const finish = (status: number, written: number) => {
      request.write(new Uint8Array([status]), inLength);
      return written + 1;
    };
    switch (type) {
      case BlkRequestType.In: {
        if (!this.inRange(sector, inLength)) return finish(BlkStatus.IoErr, 0);
        const start = sector * SECTOR_SIZE;
        return finish(BlkStatus.Ok, request.write(this.disk.subarray(start, start + inLength)));
      }
      case BlkRequestType.Out:
        if (this.readOnly || !this.inRange(sector, data.length)) return finish(BlkStatus.IoErr, 0);
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
        const bit = type === BlkRequestType.Discard ? BlkFeature.Discard : BlkFeature.WriteZeroes;
        if (!this.negotiated(bit)) return finish(BlkStatus.Unsupp, 0);
        if (this.readOnly || data.length === 0 || data.length % SEGMENT_SIZE !== 0) return finish(BlkStatus.IoErr, 0);
        const segments = new DataView(data.buffer, data.byteOffset, data.length);
        for (let at = 0; at < data.length; at += SEGMENT_SIZE) {
          const start = Number(segments.getBigUint64(at, true));
          const count = segments.getUint32(at + 8, true);
          if (!this.inRange(start, count * SECTOR_SIZE)) return finish(BlkStatus.IoErr, 0);
          this.disk.fill(0, start * SECTOR_SIZE, (start + count) * SECTOR_SIZE);
        }
        return finish(BlkStatus.Ok, 0);
      }
      default:
        return finish(BlkStatus.Unsupp, 0);
    }
  }

  private negotiated(bit: number): boolean {
    return hasFeature(this.driverFeatures, bit);
  }

  private inRange(sector: number, bytes: number): boolean {
    if (bytes % SECTOR_SIZE !== 0) {
      this.report(`blk data length ${bytes} is not a multiple of ${SECTOR_SIZE}`);
      return false;
    }
    return sector >= 0 && sector * SECTOR_SIZE + bytes <= this.disk.length;
  }
}

