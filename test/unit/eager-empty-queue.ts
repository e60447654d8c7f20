// A device that does not wait for notifications: it takes every buffer the moment the driver makes
// it available and hands it straight back empty (used length 0).
import { SplitVirtqueue } from "../../drivers/virtio/ring/split";
import type { SimMachine } from "../sim/machine";

const AVAIL_RING = 4;
const USED_RING = 4;
const USED_ELEM_SIZE = 8;
const IDX = 2;
/** The device stops after this many empty buffers, so that an unbounded driver loop still ends. */
export const EAGER_DEVICE_LIMIT = 10_000;

/** A split queue whose device uses each buffer, empty, as soon as it is published. */
export class EagerEmptyQueue extends SplitVirtqueue<number> {
  used = 0;
  private lastAvail = 0;

  constructor(
    private readonly machine: SimMachine,
    size: number,
  ) {
    super(machine, { notify: () => undefined }, {
      deviceName: "test",
      index: 0,
      size,
      eventIdx: false,
      inOrder: false,
      indirectEntries: 0,
      placement: { contiguous: false, align: 4096 },
    });
  }

  override publish(token: number): boolean {
    const published = super.publish(token);
    if (published && this.used < EAGER_DEVICE_LIMIT) this.useAvailable();
    return published;
  }

  private useAvailable(): void {
    const a = this.addresses;
    const avail = this.machine.memory.dataView(a.driverArea, AVAIL_RING + 2 * this.size) as DataView;
    const used = this.machine.memory.dataView(a.deviceArea, USED_RING + USED_ELEM_SIZE * this.size) as DataView;
    const availIdx = avail.getUint16(IDX, true);
    while (this.lastAvail !== availIdx) {
      const head = avail.getUint16(AVAIL_RING + 2 * (this.lastAvail % this.size), true);
      const usedIdx = used.getUint16(IDX, true);
      const at = USED_RING + USED_ELEM_SIZE * (usedIdx % this.size);
      used.setUint32(at, head, true);
      used.setUint32(at + 4, 0, true);
      used.setUint16(IDX, (usedIdx + 1) & 0xffff, true);
      this.lastAvail = (this.lastAvail + 1) & 0xffff;
      this.used++;
    }
  }
}
