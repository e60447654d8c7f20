/**
 * Control messages (section 5.3.6.2) as bytes: decoding what the device sends, with every field
 * checked that can be checked without the ports' state, and encoding what the driver sends.
 */
import { ConsoleControlError } from "./errors";
import { ControlEvent, ControlMessage, ControlResize } from "./constants";
import { CONTROL_BUFFER_BYTES, MAX_PORT_NAME_BYTES } from "./limits";

/** Events the device sends; DEVICE_READY and PORT_READY only go the other way. */
const FROM_DEVICE = new Set<number>([
  ControlEvent.DeviceAdd,
  ControlEvent.DeviceRemove,
  ControlEvent.ConsolePort,
  ControlEvent.Resize,
  ControlEvent.PortOpen,
  ControlEvent.PortName,
]);
const NUL = 0;
const nameDecoder = new TextDecoder("utf-8", { fatal: true });

/** One decoded message, reused from message to message. */
export class ControlMessageView {
  id = 0;
  event = 0;
  value = 0;
  /** RESIZE. */
  cols = 0;
  rows = 0;
  /** PORT_NAME. */
  name = "";
}

/**
 * Decodes the `length` bytes the device wrote into `into`. Throws ConsoleControlError on a message
 * too short or too long for its event, an event the device does not send, a port number at or
 * beyond `portLimit` (max_nr_ports), a PORT_OPEN value other than 0 or 1, or a name that is empty,
 * too long, not UTF-8 or holds a NUL (one trailing NUL is allowed: QEMU sends it).
 */
export function decodeControl(deviceName: string, bytes: Uint8Array, length: number, portLimit: number, into: ControlMessageView): ControlMessageView {
  const bad = (code: string, detail: string): ConsoleControlError => new ConsoleControlError(deviceName, code, detail);
  if (length < ControlMessage.Size) throw bad("control-length", `${length}-byte control message`);
  if (length >= CONTROL_BUFFER_BYTES) throw bad("control-length", `control message fills the ${CONTROL_BUFFER_BYTES}-byte buffer (maybe cut short)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const id = view.getUint32(ControlMessage.Id, true);
  const event = view.getUint16(ControlMessage.Event, true);
  const value = view.getUint16(ControlMessage.Value, true);
  if (!FROM_DEVICE.has(event)) throw bad("control-event", `event ${event} is not one a device sends`);
  if (id >= portLimit) throw bad("control-port", `event ${event} for port ${id}, max_nr_ports is ${portLimit}`);
  into.id = id;
  into.event = event;
  into.value = value;
  const payload = length - ControlMessage.Size;
  if (event === ControlEvent.Resize) {
    if (payload !== ControlResize.Size) throw bad("control-length", `RESIZE with ${payload} payload bytes`);
    into.cols = view.getUint16(ControlMessage.Size + ControlResize.Cols, true);
    into.rows = view.getUint16(ControlMessage.Size + ControlResize.Rows, true);
  } else if (event === ControlEvent.PortName) {
    into.name = decodeName(bad, bytes.subarray(ControlMessage.Size, length));
  } else if (payload !== 0) {
    throw bad("control-length", `event ${event} with ${payload} payload bytes`);
  }
  if (event === ControlEvent.PortOpen && value > 1) throw bad("control-value", `PORT_OPEN value ${value}`);
  return into;
}

function decodeName(bad: (code: string, detail: string) => ConsoleControlError, raw: Uint8Array): string {
  const bytes = raw.length > 0 && raw[raw.length - 1] === NUL ? raw.subarray(0, raw.length - 1) : raw;
  if (bytes.length === 0) throw bad("port-name", "empty name");
  if (bytes.length > MAX_PORT_NAME_BYTES) throw bad("port-name", `${bytes.length}-byte name (at most ${MAX_PORT_NAME_BYTES})`);
  if (bytes.includes(NUL)) throw bad("port-name", "NUL inside the name");
  try {
    return nameDecoder.decode(bytes);
  } catch {
    throw bad("port-name", "name is not UTF-8");
  }
}

/** Writes a header-only message (the driver sends no other kind) into `bytes`. */
export function encodeControl(bytes: Uint8Array, id: number, event: number, value: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, ControlMessage.Size);
  view.setUint32(ControlMessage.Id, id, true);
  view.setUint16(ControlMessage.Event, event, true);
  view.setUint16(ControlMessage.Value, value, true);
}
