import { VirtioError } from "../errors";

/** The device answered a control command with ERR. `command` names it ("mac addr-set"). */
export class NetControlError extends VirtioError {
  constructor(
    deviceName: string,
    readonly command: string,
  ) {
    super(deviceName, "ctrl-err", `${command}: device answered ERR`);
  }
}
