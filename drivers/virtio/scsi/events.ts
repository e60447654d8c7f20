import type { DmaSlab } from "../../../kernel/dma";
import { SCSI_EVENTS_MISSED, SCSI_LUN_ADDRESS_FIRST, ScsiEvent, ScsiEventLayout, ScsiLunField, ScsiResetReason } from "./constants";

/** What an event asks of the driver. */
export type ScsiEventAction =
  /** Events were dropped: only a scan of every target tells what changed. */
  | { readonly kind: "missed" }
  /** A unit may have appeared on this target (TRANSPORT_RESET with RESCAN, or a hard reset). */
  | { readonly kind: "rescan"; readonly target: number; readonly lun: number }
  | { readonly kind: "removed"; readonly target: number; readonly lun: number }
  /** A unit's parameters changed (PARAM_CHANGE): its capacity is read again. */
  | { readonly kind: "changed"; readonly target: number; readonly lun: number }
  | { readonly kind: "none" };

const NONE: ScsiEventAction = { kind: "none" };
const MISSED: ScsiEventAction = { kind: "missed" };
const LUN_HIGH_MASK = 0x3f;

/** Reads `struct virtio_scsi_event` (virtio 1.2 section 5.6.6.3) from the event buffers; every field is checked. */
export class ScsiEventReader {
  constructor(private readonly slab: DmaSlab) {}

  /** The action of the event in buffer `slot`, or why it cannot be trusted. */
  read(slot: number, length: number): ScsiEventAction | string {
    if (length < ScsiEventLayout.Size) return `event of ${length} bytes, shorter than ${ScsiEventLayout.Size}`;
    const bytes = this.slab.bytes(slot);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const event = view.getUint32(ScsiEventLayout.Event, true);
    if ((event & SCSI_EVENTS_MISSED) !== 0) return MISSED;
    const type = event;
    if (type === ScsiEvent.NoEvent || type === ScsiEvent.AsyncNotify) return NONE;
    const lun = ScsiEventLayout.Lun;
    if (bytes[lun + ScsiLunField.One] !== SCSI_LUN_ADDRESS_FIRST) return `event ${type} for LUN address starting ${bytes[lun]}`;
    const target = bytes[lun + ScsiLunField.Target];
    const unit = ((bytes[lun + ScsiLunField.LunHigh] & LUN_HIGH_MASK) << 8) | bytes[lun + ScsiLunField.LunLow];
    const reason = view.getUint32(ScsiEventLayout.Reason, true);
    if (type === ScsiEvent.ParamChange) return { kind: "changed", target, lun: unit };
    if (type !== ScsiEvent.TransportReset) return `unknown event ${type}`;
    switch (reason) {
      case ScsiResetReason.Removed:
        return { kind: "removed", target, lun: unit };
      case ScsiResetReason.Rescan:
      case ScsiResetReason.Hard:
        return { kind: "rescan", target, lun: unit };
      default:
        return `transport reset with reason ${reason}`;
    }
  }
}
