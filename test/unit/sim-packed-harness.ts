import { PciCommand, PciReg } from "../../kernel/pci/registers";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { VirtioDeviceModel } from "../sim/virtio/device-model";
import type { RingOffer } from "../sim/virtio/device-model";
import type { SimMemory } from "../sim/memory";
import type { ViolationLog } from "../sim/violations";
import type { SimRequest } from "../sim/virtio/request";
import { VIRTIO_DEVICE_ID } from "../sim/virtio/spec/device-ids";
import { MMIO_WINDOW_SIZE } from "../sim/virtio/mmio";
import { addVirtioMmio } from "../sim/virtio/mmio-device";
import type { PackedQueue } from "../sim/virtio/packed-queue";
import { ModernBar, addVirtioPci } from "../sim/virtio/pci-device";
import { DEVICE_STATUS } from "../sim/virtio/spec/device-status";
import { VIRTIO_F, featureBit } from "../sim/virtio/spec/feature-bits";
import { virtio_mmio_registers as mmioReg } from "../sim/virtio/spec/mmio";
import {
  PVIRTQ_DESC_SIZE,
  PVIRTQ_EVENT_OFF_MASK,
  PVIRTQ_EVENT_SUPPRESS_SIZE,
  PVIRTQ_EVENT_WRAP_SHIFT,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
  pvirtq_desc,
  pvirtq_event_suppress,
} from "../sim/virtio/spec/packed-ring";
import { virtio_pci_common_cfg as cfg } from "../sim/virtio/spec/pci-common-cfg";

const { ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK } = DEVICE_STATUS;
const PAGE = 4096;
const MMIO_BASE = 0xfeb0_0000;
/** Bytes of buffer memory behind each ring position. */
export const ELEMENT_BYTES = 256;

export interface Descriptor {
  addr: number;
  len: number;
  id: number;
  flags: number;
}

export interface PackedOptions<M extends VirtioDeviceModel> {
  readonly transport?: "pci" | "mmio";
  readonly size?: number;
  readonly model?: (machine: SimMachine, size: number) => M;
}

/** A device with one queue (offering RING_PACKED and IN_ORDER unless told otherwise) that fills every writable byte with FILL_BYTE. */
export const FILL_BYTE = 0x5a;
export class FillModel extends VirtioDeviceModel {
  readonly deviceType = VIRTIO_DEVICE_ID.console;

  constructor(memory: SimMemory, violations: ViolationLog, queueSize: number, ring: RingOffer = { packed: true, inOrder: true }) {
    super({ memory, violations, queueSizes: [queueSize], features: 0n, configLayout: {}, configSize: 0, ...ring });
  }

  protected handleRequest(request: SimRequest): number {
    return request.write(new Uint8Array(request.writableLength).fill(FILL_BYTE));
  }
}

/** The flags that make a descriptor available for the Driver Ring Wrap Counter `wrap`. */
export function availBits(wrap: boolean): number {
  return wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

/** The flags of a descriptor used by a device whose wrap counter is `wrap`. */
export function usedBits(wrap: boolean): number {
  return wrap ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0;
}

/**
 * One queue of a device model driven by raw register and memory accesses written from the
 * specification alone: modern PCI or mmio v2, queue 0 packed with `size` entries.
 */
export function packedDevice<M extends VirtioDeviceModel = FillModel>(options: PackedOptions<M> = {}) {
  const size = options.size ?? 8;
  const machine = new SimMachine();
  const model = (options.model ?? ((m, n) => new FillModel(m.memory, m.violations, n) as unknown as M))(machine, size);
  const mmio = machine.mmio;
  let write: (register: "status" | "featureSelect" | "feature" | "queueSelect" | "queueSize" | "queueEnable", value: number) => void;
  let writeArea: (area: "desc" | "driver" | "device", address: number) => void;
  let notify: () => void;
  let readStatus: () => number;
  if (options.transport === "mmio") {
    addVirtioMmio(machine, model, MMIO_BASE, 2);
    machine.mapPhysical(MMIO_BASE, MMIO_WINDOW_SIZE);
    const registers = { status: mmioReg.Status, featureSelect: mmioReg.DriverFeaturesSel, feature: mmioReg.DriverFeatures, queueSelect: mmioReg.QueueSel, queueSize: mmioReg.QueueNum, queueEnable: mmioReg.QueueReady };
    write = (register, value) => mmio.write32(MMIO_BASE + registers[register].offset, value);
    const areas = {
      desc: [mmioReg.QueueDescLow, mmioReg.QueueDescHigh],
      driver: [mmioReg.QueueDriverLow, mmioReg.QueueDriverHigh],
      device: [mmioReg.QueueDeviceLow, mmioReg.QueueDeviceHigh],
    } as const;
    writeArea = (area, address) => {
      mmio.write32(MMIO_BASE + areas[area][0].offset, address >>> 0);
      mmio.write32(MMIO_BASE + areas[area][1].offset, Math.floor(address / 0x1_0000_0000));
    };
    notify = () => mmio.write32(MMIO_BASE + mmioReg.QueueNotify.offset, 0);
    readStatus = () => mmio.read32(MMIO_BASE + mmioReg.Status.offset);
  } else {
    const { fn, bars } = addVirtioPci(machine, model, { device: 3, layout: "modern" });
    fn.writeConfig(PciReg.Command, 2, PciCommand.MemorySpace);
    const bar = bars.modern ?? 0;
    machine.mapPhysical(bar, ModernBar.Size);
    const at = (field: { offset: number }) => bar + ModernBar.Common + field.offset;
    write = (register, value) => {
      if (register === "status") mmio.write8(at(cfg.device_status), value);
      else if (register === "featureSelect") mmio.write32(at(cfg.driver_feature_select), value);
      else if (register === "feature") mmio.write32(at(cfg.driver_feature), value);
      else if (register === "queueSelect") mmio.write16(at(cfg.queue_select), value);
      else if (register === "queueSize") mmio.write16(at(cfg.queue_size), value);
      else mmio.write16(at(cfg.queue_enable), value);
    };
    const areas = { desc: cfg.queue_desc, driver: cfg.queue_driver, device: cfg.queue_device };
    writeArea = (area, address) => mmio.write64(at(areas[area]), BigInt(address));
    notify = () => mmio.write16(bar + ModernBar.Notify, 0);
    readStatus = () => mmio.read8(at(cfg.device_status));
  }
  const ringRegion = machine.memory.allocate(4 * PAGE, PAGE, Number.MAX_SAFE_INTEGER);
  const desc = ringRegion.physical;
  const driverEvent = desc + 2 * PAGE;
  const deviceEvent = driverEvent + PVIRTQ_EVENT_SUPPRESS_SIZE;
  const buffers = machine.memory.allocate(size * ELEMENT_BYTES * 2, PAGE, Number.MAX_SAFE_INTEGER).physical;
  const view = (address: number, length: number) => machine.memory.dataView(address, length) as DataView;
  const features = (value: bigint) => {
    for (const select of [0, 1]) {
      write("featureSelect", select);
      write("feature", Number((value >> BigInt(32 * select)) & 0xffff_ffffn));
    }
  };
  /** ACKNOWLEDGE, DRIVER, VERSION_1 | RING_PACKED | `extra` (or exactly `exact`), FEATURES_OK. */
  const negotiate = (extra = 0n, exact?: bigint) => {
    write("status", ACKNOWLEDGE);
    write("status", ACKNOWLEDGE | DRIVER);
    features(exact ?? featureBit(VIRTIO_F.VERSION_1) | featureBit(VIRTIO_F.RING_PACKED) | extra);
    write("status", ACKNOWLEDGE | DRIVER | FEATURES_OK);
  };
  const setUpQueue = (areas = { desc, driver: driverEvent, device: deviceEvent }, queueSize = size) => {
    write("queueSelect", 0);
    write("queueSize", queueSize);
    writeArea("desc", areas.desc);
    writeArea("driver", areas.driver);
    writeArea("device", areas.device);
    write("queueEnable", 1);
  };
  /** Negotiates, sets up queue 0 and sets DRIVER_OK; no violation so far. */
  const ready = (extra = 0n) => {
    negotiate(extra);
    setUpQueue();
    write("status", ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
    assertNoViolations(machine.violations);
  };
  /** Writes the descriptor at `position`; without `flags` its flags are left as they are. */
  const ring = view(desc, 2 * PAGE);
  const writeDesc = (position: number, d: Partial<Descriptor>) => {
    const v = new DataView(ring.buffer, ring.byteOffset + position * PVIRTQ_DESC_SIZE, PVIRTQ_DESC_SIZE);
    v.setBigUint64(pvirtq_desc.addr.offset, BigInt(d.addr ?? buffers + position * ELEMENT_BYTES), true);
    v.setUint32(pvirtq_desc.len.offset, d.len ?? ELEMENT_BYTES, true);
    v.setUint16(pvirtq_desc.id.offset, d.id ?? 0, true);
    if (d.flags !== undefined) v.setUint16(pvirtq_desc.flags.offset, d.flags, true);
  };
  /** Rewrites only the flags of the descriptor at `position` (what exposes it to the device). */
  const writeFlags = (position: number, flags: number) => ring.setUint16(position * PVIRTQ_DESC_SIZE + pvirtq_desc.flags.offset, flags, true);
  const readDesc = (position: number): Descriptor => {
    const at = position * PVIRTQ_DESC_SIZE;
    return {
      addr: Number(ring.getBigUint64(at + pvirtq_desc.addr.offset, true)),
      len: ring.getUint32(at + pvirtq_desc.len.offset, true),
      id: ring.getUint16(at + pvirtq_desc.id.offset, true),
      flags: ring.getUint16(at + pvirtq_desc.flags.offset, true),
    };
  };
  const setDriverEvent = (flags: number, offset = 0, wrap = true) => {
    const v = view(driverEvent, PVIRTQ_EVENT_SUPPRESS_SIZE);
    v.setUint16(pvirtq_event_suppress.desc.offset, offset | ((wrap ? 1 : 0) << PVIRTQ_EVENT_WRAP_SHIFT), true);
    v.setUint16(pvirtq_event_suppress.flags.offset, flags, true);
  };
  const readDeviceEvent = () => {
    const v = view(deviceEvent, PVIRTQ_EVENT_SUPPRESS_SIZE);
    const descField = v.getUint16(pvirtq_event_suppress.desc.offset, true);
    return { flags: v.getUint16(pvirtq_event_suppress.flags.offset, true), offset: descField & PVIRTQ_EVENT_OFF_MASK, wrap: descField >> PVIRTQ_EVENT_WRAP_SHIFT === 1 };
  };
  const queue = () => model.packedQueues[0] as PackedQueue;
  return { machine, model, size, queue, negotiate, features, setUpQueue, ready, notify, readStatus, writeDesc, writeFlags, readDesc, setDriverEvent, readDeviceEvent, view, desc, driverEvent, deviceEvent, buffers };
}

export type PackedDevice = ReturnType<typeof packedDevice>;

export interface Element {
  readonly len: number;
  readonly write: boolean;
}

export interface UsedEntry {
  readonly id: number;
  readonly len: number;
  readonly flags: number;
  readonly position: number;
}

/**
 * A minimal driver side of one packed ring for the tests, written from section 2.8: it places
 * lists head last, keeps the Driver Ring Wrap Counter, and reads used descriptors at its own used
 * position, skipping the descriptors each buffer (or, in order, each batch) occupied.
 */
export class PackedTestDriver {
  position = 0;
  wrap = true;
  usedPosition = 0;
  usedWrap = true;
  /** Buffers in flight, in the order made available: id and descriptors occupied. */
  readonly inFlight: { id: number; slots: number }[] = [];
  private freeIds: number[];

  constructor(
    private readonly d: PackedDevice,
    private readonly inOrder = false,
  ) {
    this.freeIds = Array.from({ length: d.size }, (_, i) => d.size - 1 - i);
  }

  get freeSlots(): number {
    return this.d.size - this.inFlight.reduce((n, b) => n + b.slots, 0);
  }

  /** Writes a list for `elements`, the first descriptor's flags last; returns its buffer id. */
  add(elements: readonly Element[]): number {
    if (elements.length > this.freeSlots) throw new Error("ring full");
    const id = this.freeIds.pop() as number;
    const first = this.position;
    let headFlags = 0;
    elements.forEach((element, i) => {
      const flags = (element.write ? VIRTQ_DESC_F_WRITE : 0) | (i < elements.length - 1 ? VIRTQ_DESC_F_NEXT : 0) | availBits(this.wrap);
      this.d.writeDesc(this.position, { len: element.len, id, addr: this.d.buffers + this.position * ELEMENT_BYTES, flags: i === 0 ? undefined : flags });
      if (i === 0) headFlags = flags;
      if (++this.position === this.d.size) {
        this.position = 0;
        this.wrap = !this.wrap;
      }
    });
    // The first descriptor is made available last (section 2.8, Next Flag).
    this.d.writeFlags(first, headFlags);
    this.inFlight.push({ id, slots: elements.length });
    return id;
  }

  /** Used descriptors from the used position on, with their buffers returned. */
  collect(): UsedEntry[] {
    const out: UsedEntry[] = [];
    for (let n = 0; n < this.d.size; n++) {
      const used = this.d.readDesc(this.usedPosition);
      const bits = used.flags & (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED);
      if (bits !== usedBits(this.usedWrap)) break;
      out.push({ id: used.id, len: used.len, flags: used.flags, position: this.usedPosition });
      const index = this.inFlight.findIndex((b) => b.id === used.id);
      if (index < 0) throw new Error(`used id ${used.id} not in flight`);
      // In order, a used descriptor also returns every buffer made available before it.
      const returned = this.inOrder ? this.inFlight.splice(0, index + 1) : this.inFlight.splice(index, 1);
      for (const buffer of returned) {
        this.freeIds.push(buffer.id);
        this.usedPosition += buffer.slots;
        if (this.usedPosition >= this.d.size) {
          this.usedPosition -= this.d.size;
          this.usedWrap = !this.usedWrap;
        }
      }
    }
    return out;
  }
}
