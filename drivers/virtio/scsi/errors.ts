import type { BlockFailure } from "../../block-driver";
import { VirtioBlockDeviceError, VirtioBlockRequestError } from "../block-errors";
import { Asc, SenseKey, describeSense, senseCode, type Sense } from "./sense";

/**
 * A SCSI command that failed, naming the logical unit (`deviceName` "00:05.0/0:1") and the command
 * ("Read10 lba 8 x16"). The failure follows what went wrong so the block layer can act on it.
 */
export abstract class ScsiCommandError extends VirtioBlockRequestError {}

/** CHECK CONDITION with sense data: the sense key decides the failure. */
export class ScsiSenseError extends ScsiCommandError {
  readonly failure: BlockFailure;

  constructor(
    deviceName: string,
    request: string,
    readonly sense: Sense,
  ) {
    super(deviceName, "check-condition", request, describeSense(sense));
    this.failure = senseFailure(sense);
  }
}

/** A status other than GOOD or CHECK CONDITION that retries did not get past (BUSY, RESERVATION CONFLICT...). */
export class ScsiStatusError extends ScsiCommandError {
  readonly failure = "io";

  constructor(
    deviceName: string,
    request: string,
    readonly status: number,
  ) {
    super(deviceName, "status", request, `SCSI status 0x${status.toString(16)}`);
  }
}

/** The virtio-scsi response byte was not OK: the command did not reach the logical unit or was cut off. */
export class ScsiTransportError extends ScsiCommandError {
  readonly failure: BlockFailure;

  constructor(
    deviceName: string,
    request: string,
    readonly response: string,
  ) {
    super(deviceName, response, request, `virtio-scsi response ${response}`);
    this.failure = response === "aborted" || response === "reset" ? "timeout" : response === "bad-target" ? "offline" : "io";
  }
}

/** The logical unit is gone (hot-unplugged, or given up): nothing is sent to it. */
export class ScsiOfflineError extends ScsiCommandError {
  readonly failure = "offline";

  constructor(deviceName: string, request: string, detail: string) {
    super(deviceName, "offline", request, detail);
  }
}

/** The device answered with lengths or values it may not give (sense length, residual, used length, capacity). */
export class ScsiDeviceError extends VirtioBlockDeviceError {}

function senseFailure(sense: Sense): BlockFailure {
  // The unit is gone (virtio 1.2 section 5.6.6.3: the sense form of a hot-unplug).
  if (senseCode(sense) === Asc.LunNotSupported) return "offline";
  switch (sense.key) {
    case SenseKey.DataProtect:
      return "read-only";
    case SenseKey.IllegalRequest:
      return "unsupported";
    case SenseKey.AbortedCommand:
      return "timeout";
    default:
      return "io";
  }
}
