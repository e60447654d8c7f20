/** virtio-scsi (device type 8) registers and wire formats, from virtio 1.2 section 5.6. */
import { register } from "../register";

export const ScsiFeature = {
  /** A request may carry both data-out and data-in buffers. */
  Inout: 0,
  /** The device reports hot-plug and hot-unplug on the event queue. */
  Hotplug: 1,
  /** The device reports LUN parameter changes on the event queue. */
  Change: 2,
  T10Pi: 3,
} as const;

/**
 * Device configuration, `struct virtio_scsi_config` (virtio 1.2 section 5.6.4). sense_size and
 * cdb_size are the two fields the driver may write; this driver reads them and lays its requests
 * out to match.
 */
export const SCSI_CONFIG = {
  num_queues: register("num_queues", 0, 4, "ro"),
  seg_max: register("seg_max", 4, 4, "ro"),
  max_sectors: register("max_sectors", 8, 4, "ro"),
  cmd_per_lun: register("cmd_per_lun", 12, 4, "ro"),
  event_info_size: register("event_info_size", 16, 4, "ro"),
  sense_size: register("sense_size", 20, 4, "rw"),
  cdb_size: register("cdb_size", 24, 4, "rw"),
  max_channel: register("max_channel", 28, 2, "ro"),
  max_target: register("max_target", 30, 2, "ro"),
  max_lun: register("max_lun", 32, 4, "ro"),
} as const;

/** Queue indices: control, event, then the request queues (this driver uses the first). */
export const ScsiQueue = { Control: 0, Event: 1, Request: 2 } as const;

/** `struct virtio_scsi_req_cmd`, device-readable part: lun[8], le64 id, task_attr, prio, crn, cdb[cdb_size]. */
export const ScsiCmdHeader = { Lun: 0, Id: 8, TaskAttr: 16, Prio: 17, Crn: 18, Cdb: 19 } as const;
/** `struct virtio_scsi_req_cmd`, device-writable part: le32 sense_len, le32 residual, le16 status_qualifier, status, response, sense[sense_size]. */
export const ScsiCmdResponse = { SenseLen: 0, Residual: 4, StatusQualifier: 8, Status: 10, Response: 11, Sense: 12 } as const;

export const ScsiTaskAttr = { Simple: 0, Ordered: 1, Head: 2, Aca: 3 } as const;

/** The `response` byte of commands and task management functions (section 5.6.6.1). */
export const ScsiResponse = {
  Ok: 0,
  Overrun: 1,
  Aborted: 2,
  BadTarget: 3,
  Reset: 4,
  Busy: 5,
  TransportFailure: 6,
  TargetFailure: 7,
  NexusFailure: 8,
  Failure: 9,
  FunctionSucceeded: 10,
  FunctionRejected: 11,
  IncorrectLun: 12,
} as const;

export const SCSI_RESPONSE_NAMES: Readonly<Record<number, string>> = {
  0: "ok",
  1: "overrun",
  2: "aborted",
  3: "bad-target",
  4: "reset",
  5: "busy",
  6: "transport-failure",
  7: "target-failure",
  8: "nexus-failure",
  9: "failure",
  10: "function-succeeded",
  11: "function-rejected",
  12: "incorrect-lun",
};

/** Control queue request types and task management subtypes (section 5.6.6.2). */
export const ScsiControlType = { Tmf: 0, AnQuery: 1, AnSubscribe: 2 } as const;
export const ScsiTmf = {
  AbortTask: 0,
  AbortTaskSet: 1,
  ClearAca: 2,
  ClearTaskSet: 3,
  ITNexusReset: 4,
  LogicalUnitReset: 5,
  QueryTask: 6,
  QueryTaskSet: 7,
} as const;
/** `struct virtio_scsi_ctrl_tmf`: le32 type, le32 subtype, lun[8], le64 id; then the device-writable response byte. */
export const ScsiTmfRequest = { Type: 0, Subtype: 4, Lun: 8, Id: 16, Size: 24 } as const;
export const SCSI_TMF_RESPONSE_BYTES = 1;

/** `struct virtio_scsi_event`: le32 event, lun[8], le32 reason (section 5.6.6.3). */
export const ScsiEventLayout = { Event: 0, Lun: 4, Reason: 12, Size: 16 } as const;
export const ScsiEvent = { NoEvent: 0, TransportReset: 1, AsyncNotify: 2, ParamChange: 3 } as const;
/** Set in `event` when the device dropped events for want of buffers: the driver must rescan. */
export const SCSI_EVENTS_MISSED = 0x8000_0000;
export const ScsiResetReason = { Hard: 0, Rescan: 1, Removed: 2 } as const;

/** Bytes of the lun field, and its single-level layout (section 5.6.6.1): 1, target, then the LUN with flat addressing. */
export const SCSI_LUN_BYTES = 8;
export const ScsiLunField = { One: 0, Target: 1, LunHigh: 2, LunLow: 3 } as const;
export const SCSI_LUN_ADDRESS_FIRST = 1;
/** Flat space addressing method in the top two bits of the LUN's first byte (SAM-5 4.7.7). */
export const SCSI_FLAT_ADDRESSING = 0x40;
/** LUNs flat space addressing can carry (14 bits). */
export const SCSI_MAX_FLAT_LUN = 0x3fff;
