// A logical unit's request path allocates nothing: reads submitted and completed in a loop against
// a loopback request queue that answers every command GOOD, with the heap measured around it.
import { describe, expect, it } from "vitest";
import { ScsiLun, type ScsiHost } from "../../drivers/virtio/scsi/lun";
import { ResponseReader } from "../../drivers/virtio/scsi/response";
import { Completion, type Virtqueue } from "../../drivers/virtio/ring/virtqueue";
import { medianHeapGrowth, NO_ALLOCATION_BYTES } from "../harness/heap-growth";
import { underMutationTesting } from "../harness/mutation-testing";
import { SimMachine } from "../sim/machine";
import { virtio_scsi_resp_cmd } from "../sim/virtio/spec/scsi";

const DEPTH = 32;
const SENSE_SIZE = 96;
const CDB_SIZE = 32;
const BLOCK = 512;
const RESPONSE_BYTES = virtio_scsi_resp_cmd.sense.offset + SENSE_SIZE;

/**
 * The device side reduced to what the unit's path needs: each published chain comes back in order
 * with a GOOD response written over its response buffer (the first writable one) and its whole
 * writable length as used length. Views of the response buffers are made once per address.
 */
class LoopbackQueue {
  readonly size = DEPTH * 4;
  completedToken: number | undefined;
  completedLength = 0;
  private readonly tokens = new Float64Array(this.size);
  private readonly lengths = new Float64Array(this.size);
  private readonly responses: (DataView | undefined)[] = new Array<DataView | undefined>(this.size);
  private head = 0;
  private tail = 0;
  private firstWritable = -1;
  private writable = 0;
  private readonly views = new Map<number, DataView>();

  constructor(private readonly machine: SimMachine) {}

  get freeCount(): number {
    return this.size - (this.tail - this.head);
  }
  begin(): void {
    this.firstWritable = -1;
    this.writable = 0;
  }
  addReadable(): void {}
  addWritable(physical: number, length: number): void {
    if (this.firstWritable < 0) this.firstWritable = physical;
    this.writable += length;
  }
  publish(token: number): boolean {
    const at = this.tail % this.size;
    let view = this.views.get(this.firstWritable);
    if (view === undefined) {
      const bytes = this.machine.memory.bytes(this.firstWritable, RESPONSE_BYTES) as Uint8Array;
      view = new DataView(bytes.buffer, bytes.byteOffset, RESPONSE_BYTES);
      this.views.set(this.firstWritable, view);
    }
    this.tokens[at] = token;
    this.lengths[at] = this.writable;
    this.responses[at] = view;
    this.tail++;
    return true;
  }
  kick(): boolean {
    return false;
  }
  nextCompletion(): Completion {
    if (this.head === this.tail) return Completion.None;
    const at = this.head++ % this.size;
    const response = this.responses[at] as DataView;
    response.setUint32(virtio_scsi_resp_cmd.sense_len.offset, 0, true);
    response.setUint32(virtio_scsi_resp_cmd.residual.offset, 0, true);
    response.setUint8(virtio_scsi_resp_cmd.status.offset, 0);
    response.setUint8(virtio_scsi_resp_cmd.response.offset, 0);
    this.completedToken = this.tokens[at];
    this.completedLength = this.lengths[at];
    return Completion.Taken;
  }
}

describe("virtio-scsi: allocation on the request path", () => {
  it.skipIf(underMutationTesting)("submits and completes reads without growing the heap", () => {
    const machine = new SimMachine();
    const queue = new LoopbackQueue(machine);
    let unit: ScsiLun | undefined;
    const host: ScsiHost = {
      name: "loopback",
      platform: machine,
      requests: queue as unknown as Virtqueue<number>,
      polled: true,
      cdbSize: CDB_SIZE,
      senseSize: SENSE_SIZE,
      maxTransferBytes: 1024 * 1024,
      reader: new ResponseReader(),
      featureNames: [],
      collect: () => {
        let count = 0;
        while (queue.nextCompletion() === Completion.Taken) {
          (unit as ScsiLun).record((queue.completedToken as number) - 0x10000, queue.completedLength);
          count++;
        }
        return count;
      },
      pollEvents: () => undefined,
      readCapacity: () => {
        throw new Error("not asked");
      },
      taskManagement: () => 0,
      waitFor: () => true,
      lunsChanged: () => undefined,
      rescanChanged: () => undefined,
    };
    unit = new ScsiLun(host, 1, {
      target: 0,
      lun: 0,
      vendor: "",
      product: "",
      serial: "",
      capacity: { blocks: 4096, blockSize: BLOCK, blocksPerPhysical: 1, lowestAlignedLba: 0 },
      writeProtected: false,
      writeCache: undefined,
      maxTransferBlocks: 0,
      maxUnmapBlocks: 0,
    }, DEPTH);
    const data = machine.allocDma(DEPTH * BLOCK);
    let completed = 0;
    let failed = 0;
    unit.onComplete = (_tag, error) => {
      completed++;
      if (error !== undefined) failed++;
    };
    const lun = unit;
    const cycle = (count: number) => {
      for (let i = 0; i < count; i++) {
        for (let slot = 0; slot < DEPTH; slot++) lun.startRead(slot * 7, data.physical + slot * BLOCK, BLOCK);
        lun.kick();
        lun.complete();
      }
    };
    expect(medianHeapGrowth(cycle)).toBeLessThan(NO_ALLOCATION_BYTES);
    expect(failed).toBe(0);
    expect(completed).toBe(90_000 * DEPTH);
    expect(lun.inFlight).toBe(0);
  });
});
