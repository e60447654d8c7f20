import type { VirtioNet } from "../../drivers/virtio/net/net";

const MAC_LENGTH = 6;

/**
 * Layer-2 reflector for frame-rate measurements: every received frame goes back with its MAC
 * addresses swapped, straight through the driver (no stack). Copies into one reused buffer.
 */
export function reflectFrames(net: VirtioNet): void {
  const buffer = new Uint8Array(net.layout.maxFrame);
  const views = new Map<number, Uint8Array>();
  net.onReceive((frame) => {
    let out = views.get(frame.length);
    if (out === undefined) {
      out = buffer.subarray(0, frame.length);
      views.set(frame.length, out);
    }
    out.set(frame.subarray(MAC_LENGTH, 2 * MAC_LENGTH), 0);
    out.set(frame.subarray(0, MAC_LENGTH), MAC_LENGTH);
    out.set(frame.subarray(2 * MAC_LENGTH), 2 * MAC_LENGTH);
    net.transmit(out);
  });
}
