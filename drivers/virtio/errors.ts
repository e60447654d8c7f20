/**
 * Typed virtio failures. Each names the device ("00:04.0" or "mmio@0xfeb00000") and a short
 * machine-readable `code`; `detail` says which field or value was wrong.
 */
export class VirtioError extends Error {
  constructor(
    readonly deviceName: string,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${deviceName}: ${code}: ${detail}`);
    this.name = new.target.name;
  }
}

/** The transport's registers or capabilities are unusable. */
export class VirtioTransportError extends VirtioError {}
/** Reset, FEATURES_OK or another status step did not happen. */
export class VirtioStatusError extends VirtioError {}
/** Feature negotiation failed (VERSION_1 missing, FEATURES_OK refused). */
export class VirtioFeatureError extends VirtioError {}
/** A queue value from the device is unusable (size, notify offset), or set-up failed. */
export class VirtioQueueError extends VirtioError {}
/** Device configuration was unreadable (generation never settled, bad value). */
export class VirtioConfigError extends VirtioError {}
/** The device wrote something invalid into a ring (used id, length, index). */
export class VirtioDeviceError extends VirtioError {}
/**
 * A queue the device corrupted (an impossible used entry) or that was torn down: it takes no more
 * buffers and hands back no more completions until the device is reset and the queue recreated.
 */
export class VirtioRingBrokenError extends VirtioDeviceError {}
/** The device did not produce what was waited for in time. */
export class VirtioTimeoutError extends VirtioError {}
/** The driver-side API was used wrongly (a programming error, not a device fault). */
export class VirtioUsageError extends VirtioError {}

/** Wraps any thrown value as a VirtioError for `deviceName`, keeping typed ones as they are. */
export function asVirtioError(deviceName: string, cause: unknown): VirtioError {
  if (cause instanceof VirtioError) return cause;
  const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new VirtioTransportError(deviceName, "transport", message);
}
