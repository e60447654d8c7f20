import { VirtioConfigError } from "../errors";
import type { Transport } from "../transport/transport";
import { SCSI_CONFIG, SCSI_MAX_FLAT_LUN, ScsiEventLayout } from "./constants";

/** The device configuration, validated (virtio 1.2 section 5.6.4). */
export interface ScsiConfig {
  readonly numQueues: number;
  /** Most data segments per command; 0 when the device gives no limit. */
  readonly segMax: number;
  /** Largest transfer per command in 512-byte sectors; 0 when the device gives no limit. */
  readonly maxSectors: number;
  /** Commands a logical unit takes at once. */
  readonly cmdPerLun: number;
  readonly eventInfoSize: number;
  readonly senseSize: number;
  readonly cdbSize: number;
  readonly maxTarget: number;
  readonly maxLun: number;
}

/** The smallest CDB field that holds every command the driver sends (the 16-byte ones). */
export const MIN_CDB_SIZE = 16;
/** Bounds that keep a request's header and response in one small slot. */
export const MAX_CDB_SIZE = 256;
export const MAX_SENSE_SIZE = 252;
/** Fixed-format sense up to ASC/ASCQ. */
export const MIN_SENSE_SIZE = 18;
/** Targets scanned at most: the single-level LUN address carries the target in one byte. */
export const MAX_SCANNED_TARGET = 255;

export function readScsiConfig(deviceName: string, transport: Transport): ScsiConfig {
  const raw = transport.readConfigStable(() => ({
    numQueues: transport.readConfig(SCSI_CONFIG.num_queues),
    segMax: transport.readConfig(SCSI_CONFIG.seg_max),
    maxSectors: transport.readConfig(SCSI_CONFIG.max_sectors),
    cmdPerLun: transport.readConfig(SCSI_CONFIG.cmd_per_lun),
    eventInfoSize: transport.readConfig(SCSI_CONFIG.event_info_size),
    senseSize: transport.readConfig(SCSI_CONFIG.sense_size),
    cdbSize: transport.readConfig(SCSI_CONFIG.cdb_size),
    maxTarget: transport.readConfig(SCSI_CONFIG.max_target),
    maxLun: transport.readConfig(SCSI_CONFIG.max_lun),
  }));
  const bad = (field: string, why: string) => new VirtioConfigError(deviceName, "config", `${field} ${why}`);
  if (raw.numQueues < 1) throw bad("num_queues", `is ${raw.numQueues}, needs at least one request queue`);
  if (raw.cdbSize < MIN_CDB_SIZE || raw.cdbSize > MAX_CDB_SIZE) throw bad("cdb_size", `${raw.cdbSize} is outside ${MIN_CDB_SIZE}..${MAX_CDB_SIZE}`);
  if (raw.senseSize < MIN_SENSE_SIZE || raw.senseSize > MAX_SENSE_SIZE) throw bad("sense_size", `${raw.senseSize} is outside ${MIN_SENSE_SIZE}..${MAX_SENSE_SIZE}`);
  if (raw.cmdPerLun < 1) throw bad("cmd_per_lun", "is 0");
  if (raw.eventInfoSize !== 0 && raw.eventInfoSize < ScsiEventLayout.Size) throw bad("event_info_size", `${raw.eventInfoSize} is smaller than an event (${ScsiEventLayout.Size})`);
  return {
    ...raw,
    // The LUN address carries a one-byte target and a 14-bit LUN: beyond that nothing is reachable.
    maxTarget: Math.min(raw.maxTarget, MAX_SCANNED_TARGET),
    maxLun: Math.min(raw.maxLun, SCSI_MAX_FLAT_LUN),
  };
}
