import { VirtioError } from "../errors";

/** The device answered a control command with ERR. `command` names it ("mac addr-set"). */
export class NetControlError extends VirtioError {
  constructor(
    device: string,
    readonly command: string,
  ) {
    super(device, "ctrl-err", `${command}: device answered ERR`);
  }
}
