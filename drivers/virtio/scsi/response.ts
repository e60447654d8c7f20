import { SCSI_RESPONSE_NAMES, ScsiCmdResponse, ScsiResponse } from "./constants";
import { RESPONSE_UNWRITTEN, type CommandSlots } from "./slots";
import { ScsiStatus } from "./sense";

/** What a completed command came to, before anything of it is trusted. */
export enum Verdict {
  Good = 0,
  /** CHECK CONDITION: the sense data says why. */
  CheckCondition = 1,
  /** BUSY, TASK SET FULL, or the transport's BUSY: worth sending again (bounded). */
  Retry = 2,
  /** Another SCSI status. */
  Status = 3,
  /** The virtio-scsi response byte was not OK. */
  Transport = 4,
  /** The device broke the protocol (lengths, unwritten response): `problem` says how. */
  Device = 5,
}

/**
 * Reads and checks one command's response (virtio 1.2 section 5.6.6.1): used length, response
 * byte, sense length against sense_size, residual against the transfer, and that a successful
 * read was written as far as it claims. One reader per driver, reused: nothing allocates unless
 * the device misbehaves.
 */
export class ResponseReader {
  status = 0;
  response = 0;
  residual = 0;
  senseLength = 0;
  problem = "";

  read(slots: CommandSlots, slot: number, usedLength: number, dataIn: number, dataOut: number): Verdict {
    const response = slots.response(slot);
    this.response = response.getUint8(ScsiCmdResponse.Response);
    this.status = response.getUint8(ScsiCmdResponse.Status);
    this.senseLength = response.getUint32(ScsiCmdResponse.SenseLen, true);
    this.residual = response.getUint32(ScsiCmdResponse.Residual, true);
    if (usedLength < ScsiCmdResponse.Sense) return this.device(`used length ${usedLength} is shorter than the response header`);
    if (this.response === RESPONSE_UNWRITTEN) return this.device("response byte left unwritten");
    if (this.response !== ScsiResponse.Ok) return this.response === ScsiResponse.Busy ? Verdict.Retry : Verdict.Transport;
    const senseSize = slots.responseBytes - ScsiCmdResponse.Sense;
    if (this.senseLength > senseSize) return this.device(`sense_len ${this.senseLength} is larger than sense_size ${senseSize}`);
    const transfer = dataIn > 0 ? dataIn : dataOut;
    if (this.residual > transfer) return this.device(`residual ${this.residual} is larger than the ${transfer}-byte transfer`);
    switch (this.status) {
      case ScsiStatus.Good:
        if (dataIn > 0 && usedLength < slots.responseBytes + dataIn - this.residual) {
          return this.device(`used length ${usedLength} does not cover the ${dataIn - this.residual} bytes read`);
        }
        return Verdict.Good;
      case ScsiStatus.CheckCondition:
        return Verdict.CheckCondition;
      case ScsiStatus.Busy:
      case ScsiStatus.TaskSetFull:
        return Verdict.Retry;
      default:
        return Verdict.Status;
    }
  }

  /** The response byte's name. */
  get responseName(): string {
    return SCSI_RESPONSE_NAMES[this.response] ?? `response-${this.response}`;
  }

  private device(problem: string): Verdict {
    this.problem = problem;
    return Verdict.Device;
  }
}
