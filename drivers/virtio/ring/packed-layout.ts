import { ALIGN_EVENT_SUPPRESS, EventSuppress, PackedDesc } from "./packed-format";

/** Byte offsets of a packed ring's parts inside one DMA area. */
export interface PackedRingLayout {
  readonly desc: number;
  /** Driver event suppression (the driver area): written by the driver. */
  readonly driverEvent: number;
  /** Device event suppression (the device area): written by the device. */
  readonly deviceEvent: number;
  readonly totalSize: number;
}

/** The descriptor ring first (16-aligned by the area's alignment), then the two 4-byte structures. */
export function packedRingLayout(size: number): PackedRingLayout {
  const driverEvent = Math.ceil((size * PackedDesc.Size) / ALIGN_EVENT_SUPPRESS) * ALIGN_EVENT_SUPPRESS;
  const deviceEvent = driverEvent + EventSuppress.Size;
  return { desc: 0, driverEvent, deviceEvent, totalSize: deviceEvent + EventSuppress.Size };
}
