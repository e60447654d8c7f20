// The console driver's wire formats against the simulator's definitions typed in from the
// specification (section 5.3): feature bits, queue numbering, control message and resize layouts,
// event values. Written independently; any difference is a bug in one of them.
import { describe, expect, it } from "vitest";
import { CONSOLE_FEATURE_NAMES, ConsoleFeature, ConsoleQueue, ControlEvent, ControlMessage, ControlResize, queueCountFor, receiveQueueOf, transmitQueueOf } from "../../drivers/virtio/console/constants";
import {
  VIRTIO_CONSOLE_CONTROL_SIZE,
  VIRTIO_CONSOLE_EVENT,
  VIRTIO_CONSOLE_F,
  VIRTIO_CONSOLE_QUEUE,
  virtio_console_control,
  virtio_console_resize,
} from "../sim/virtio/spec/console";
import { featureNames } from "../../drivers/virtio/features";
import { featureBit } from "../sim/virtio/spec/feature-bits";

describe("console wire formats against the specification", () => {
  it("feature bits", () => {
    expect(ConsoleFeature).toEqual({ Size: VIRTIO_CONSOLE_F.SIZE, Multiport: VIRTIO_CONSOLE_F.MULTIPORT, EmergWrite: VIRTIO_CONSOLE_F.EMERG_WRITE });
  });

  it("names every feature bit as the specification does (VIRTIO_CONSOLE_F_*, lower-cased with hyphens), for the machine status", () => {
    for (const [name, bit] of Object.entries(VIRTIO_CONSOLE_F)) {
      expect(featureNames(featureBit(bit), CONSOLE_FEATURE_NAMES)).toEqual([name.toLowerCase().replaceAll("_", "-")]);
    }
  });

  it("queue numbering: port 0, the control pair, then a pair per port", () => {
    expect([ConsoleQueue.Port0Receive, ConsoleQueue.Port0Transmit, ConsoleQueue.ControlReceive, ConsoleQueue.ControlTransmit]).toEqual([
      VIRTIO_CONSOLE_QUEUE.receiveq_port0,
      VIRTIO_CONSOLE_QUEUE.transmitq_port0,
      VIRTIO_CONSOLE_QUEUE.control_receiveq,
      VIRTIO_CONSOLE_QUEUE.control_transmitq,
    ]);
    expect([receiveQueueOf(0), transmitQueueOf(0), receiveQueueOf(1), transmitQueueOf(1), receiveQueueOf(2)]).toEqual([0, 1, VIRTIO_CONSOLE_QUEUE.receiveq_port1, VIRTIO_CONSOLE_QUEUE.receiveq_port1 + 1, VIRTIO_CONSOLE_QUEUE.receiveq_port1 + 2]);
    expect([queueCountFor(1, false), queueCountFor(1, true), queueCountFor(31, true)]).toEqual([2, 4, 64]);
  });

  it("control message and resize layouts, and every event value", () => {
    expect(ControlMessage).toEqual({ Size: VIRTIO_CONSOLE_CONTROL_SIZE, Id: virtio_console_control.id.offset, Event: virtio_console_control.event.offset, Value: virtio_console_control.value.offset });
    expect(ControlResize).toEqual({ Size: 4, Cols: virtio_console_resize.cols.offset, Rows: virtio_console_resize.rows.offset });
    expect(Object.values(ControlEvent)).toEqual(Object.values(VIRTIO_CONSOLE_EVENT));
  });
});
