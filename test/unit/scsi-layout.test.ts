// The driver's virtio-scsi wire formats against the simulator's, typed in from virtio 1.2 section
// 5.6 independently: request and response headers, task management, events, codes.
import { describe, expect, it } from "vitest";
import {
  SCSI_EVENTS_MISSED,
  ScsiCmdHeader,
  ScsiCmdResponse,
  ScsiControlType,
  ScsiEvent,
  ScsiEventLayout,
  ScsiFeature,
  ScsiResetReason,
  ScsiResponse,
  ScsiTmf,
  ScsiTmfRequest,
} from "../../drivers/virtio/scsi/constants";
import {
  VIRTIO_SCSI_EVT,
  VIRTIO_SCSI_EVT_RESET,
  VIRTIO_SCSI_F,
  VIRTIO_SCSI_S,
  VIRTIO_SCSI_T,
  VIRTIO_SCSI_T_EVENTS_MISSED,
  VIRTIO_SCSI_T_TMF,
  virtio_scsi_ctrl_tmf,
  virtio_scsi_event,
  virtio_scsi_req_cmd,
  virtio_scsi_resp_cmd,
} from "../sim/virtio/spec/scsi";

describe("virtio-scsi wire formats against the specification", () => {
  it("lays out the command request and response as the specification does", () => {
    expect([ScsiCmdHeader.Lun, ScsiCmdHeader.Id, ScsiCmdHeader.TaskAttr, ScsiCmdHeader.Prio, ScsiCmdHeader.Crn, ScsiCmdHeader.Cdb]).toEqual(
      [virtio_scsi_req_cmd.lun, virtio_scsi_req_cmd.id, virtio_scsi_req_cmd.task_attr, virtio_scsi_req_cmd.prio, virtio_scsi_req_cmd.crn, virtio_scsi_req_cmd.cdb].map((f) => f.offset),
    );
    const r = virtio_scsi_resp_cmd;
    expect([ScsiCmdResponse.SenseLen, ScsiCmdResponse.Residual, ScsiCmdResponse.StatusQualifier, ScsiCmdResponse.Status, ScsiCmdResponse.Response, ScsiCmdResponse.Sense]).toEqual(
      [r.sense_len, r.residual, r.status_qualifier, r.status, r.response, r.sense].map((f) => f.offset),
    );
  });

  it("lays out task management and events as the specification does", () => {
    const t = virtio_scsi_ctrl_tmf;
    expect([ScsiTmfRequest.Type, ScsiTmfRequest.Subtype, ScsiTmfRequest.Lun, ScsiTmfRequest.Id, ScsiTmfRequest.Size]).toEqual([t.type.offset, t.subtype.offset, t.lun.offset, t.id.offset, t.id.offset + t.id.width]);
    const e = virtio_scsi_event;
    expect([ScsiEventLayout.Event, ScsiEventLayout.Lun, ScsiEventLayout.Reason, ScsiEventLayout.Size]).toEqual([e.event.offset, e.lun.offset, e.reason.offset, e.reason.offset + e.reason.width]);
  });

  it("uses the specification's codes", () => {
    expect(ScsiFeature).toEqual({ Inout: VIRTIO_SCSI_F.INOUT, Hotplug: VIRTIO_SCSI_F.HOTPLUG, Change: VIRTIO_SCSI_F.CHANGE, T10Pi: VIRTIO_SCSI_F.T10_PI });
    expect(Object.values(ScsiResponse)).toEqual(Object.values(VIRTIO_SCSI_S));
    expect(Object.values(ScsiControlType)).toEqual(Object.values(VIRTIO_SCSI_T));
    expect(Object.values(ScsiTmf)).toEqual(Object.values(VIRTIO_SCSI_T_TMF));
    expect(Object.values(ScsiEvent)).toEqual(Object.values(VIRTIO_SCSI_EVT));
    expect(Object.values(ScsiResetReason)).toEqual(Object.values(VIRTIO_SCSI_EVT_RESET));
    expect(SCSI_EVENTS_MISSED).toBe(VIRTIO_SCSI_T_EVENTS_MISSED);
  });
});
