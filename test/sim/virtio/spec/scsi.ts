import type { SpecTable } from "./field";

/** SCSI host device (virtio 1.2 section 5.6). */
export const VIRTIO_SCSI_F = { INOUT: 0, HOTPLUG: 1, CHANGE: 2, T10_PI: 3 } as const;

/** struct virtio_scsi_config; sense_size and cdb_size are writable by the driver. */
export const virtio_scsi_config = {
  num_queues: { offset: 0, width: 4, access: "ro" },
  seg_max: { offset: 4, width: 4, access: "ro" },
  max_sectors: { offset: 8, width: 4, access: "ro" },
  cmd_per_lun: { offset: 12, width: 4, access: "ro" },
  event_info_size: { offset: 16, width: 4, access: "ro" },
  sense_size: { offset: 20, width: 4, access: "rw" },
  cdb_size: { offset: 24, width: 4, access: "rw" },
  max_channel: { offset: 28, width: 2, access: "ro" },
  max_target: { offset: 30, width: 2, access: "ro" },
  max_lun: { offset: 32, width: 4, access: "ro" },
} as const satisfies SpecTable;

export const VIRTIO_SCSI_CDB_DEFAULT_SIZE = 32;
export const VIRTIO_SCSI_SENSE_DEFAULT_SIZE = 96;

/** struct virtio_scsi_req_cmd, device-readable part (the CDB is cdb_size bytes). */
export const virtio_scsi_req_cmd = {
  lun: { offset: 0, width: 1, access: "ro", count: 8 },
  id: { offset: 8, width: 8, access: "ro" },
  task_attr: { offset: 16, width: 1, access: "ro" },
  prio: { offset: 17, width: 1, access: "ro" },
  crn: { offset: 18, width: 1, access: "ro" },
  cdb: { offset: 19, width: 1, access: "ro" },
} as const satisfies SpecTable;

/** struct virtio_scsi_req_cmd, device-writable part (the sense area is sense_size bytes). */
export const virtio_scsi_resp_cmd = {
  sense_len: { offset: 0, width: 4, access: "ro" },
  residual: { offset: 4, width: 4, access: "ro" },
  status_qualifier: { offset: 8, width: 2, access: "ro" },
  status: { offset: 10, width: 1, access: "ro" },
  response: { offset: 11, width: 1, access: "ro" },
  sense: { offset: 12, width: 1, access: "ro" },
} as const satisfies SpecTable;

export const VIRTIO_SCSI_S = {
  OK: 0,
  OVERRUN: 1,
  ABORTED: 2,
  BAD_TARGET: 3,
  RESET: 4,
  BUSY: 5,
  TRANSPORT_FAILURE: 6,
  TARGET_FAILURE: 7,
  NEXUS_FAILURE: 8,
  FAILURE: 9,
  FUNCTION_SUCCEEDED: 10,
  FUNCTION_REJECTED: 11,
  INCORRECT_LUN: 12,
} as const;

export const VIRTIO_SCSI_T = { TMF: 0, AN_QUERY: 1, AN_SUBSCRIBE: 2 } as const;
export const VIRTIO_SCSI_T_TMF = {
  ABORT_TASK: 0,
  ABORT_TASK_SET: 1,
  CLEAR_ACA: 2,
  CLEAR_TASK_SET: 3,
  I_T_NEXUS_RESET: 4,
  LOGICAL_UNIT_RESET: 5,
  QUERY_TASK: 6,
  QUERY_TASK_SET: 7,
} as const;

/** struct virtio_scsi_ctrl_tmf, device-readable part; the response byte follows in the writable part. */
export const virtio_scsi_ctrl_tmf = {
  type: { offset: 0, width: 4, access: "ro" },
  subtype: { offset: 4, width: 4, access: "ro" },
  lun: { offset: 8, width: 1, access: "ro", count: 8 },
  id: { offset: 16, width: 8, access: "ro" },
} as const satisfies SpecTable;

/** struct virtio_scsi_event. */
export const virtio_scsi_event = {
  event: { offset: 0, width: 4, access: "ro" },
  lun: { offset: 4, width: 1, access: "ro", count: 8 },
  reason: { offset: 12, width: 4, access: "ro" },
} as const satisfies SpecTable;

export const VIRTIO_SCSI_T_EVENTS_MISSED = 0x80000000;
export const VIRTIO_SCSI_EVT = { NO_EVENT: 0, TRANSPORT_RESET: 1, ASYNC_NOTIFY: 2, PARAM_CHANGE: 3 } as const;
export const VIRTIO_SCSI_EVT_RESET = { HARD: 0, RESCAN: 1, REMOVED: 2 } as const;
