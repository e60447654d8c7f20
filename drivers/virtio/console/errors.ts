import { VirtioDeviceError, VirtioUsageError } from "../errors";

/**
 * A control message from the device that breaks the protocol (too short, unknown event, a port
 * number out of range or in the wrong state, a bad name). It is counted and dropped; the device
 * and its other ports go on.
 */
export class ConsoleControlError extends VirtioDeviceError {}

/** A port used after it was removed, or before it was opened. */
export class ConsolePortError extends VirtioUsageError {}
