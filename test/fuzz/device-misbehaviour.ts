/**
 * Device misbehaviour, drawn at random: faults set before the probe (the model's fault knobs,
 * nonsense configuration values, damaged virtio capabilities) and injections at any time during
 * a case (ring faults, stalls, configuration changes, stray interrupts, resets behind the
 * driver's back). Each returns a short description for the failure report.
 */
import { BlkModel, BlkStatus } from "../sim/virtio/blk-model";
import type { VirtioDeviceModel } from "../sim/virtio/device-model";
import { NetModel } from "../sim/virtio/net-model";
import type { SimVirtioPci } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";
import { virtio_blk_config } from "../sim/virtio/spec/blk";
import { virtio_console_config } from "../sim/virtio/spec/console";
import { virtio_net_config } from "../sim/virtio/spec/net";
import { virtio_pci_cap, virtio_pci_notify_cap } from "../sim/virtio/spec/pci-capability";
import type { SpecTable } from "../sim/virtio/spec/field";
import type { Prng } from "./prng";

const EDGE_32 = [0, 1, 2, 3, 7, 8, 511, 512, 513, 4095, 4096, 65535, 65536, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];
const EDGE_16 = [0, 1, 2, 67, 68, 1500, 9000, 0x7fff, 0x8000, 0xfffe, 0xffff];
const EDGE_8 = [0, 1, 2, 3, 7, 8, 9, 0x7f, 0x80, 0xff];

function edge(random: Prng, width: number): number {
  if (random.chance(0.3)) return width >= 4 ? random.next() : random.below(2 ** (8 * width));
  return width === 1 ? random.pick(EDGE_8) : width === 2 ? random.pick(EDGE_16) : random.pick(EDGE_32);
}

/** A configuration field of the device worth setting: those drivers read. */
function configFields(model: VirtioDeviceModel): readonly (readonly [string, number, number])[] {
  const pick = (table: SpecTable, names: readonly string[]) =>
    names.map((name) => [name, table[name].offset, table[name].width] as const).filter(([, offset, width]) => offset + width <= model.config.length);
  if (model instanceof BlkModel) {
    return [
      ...pick(virtio_blk_config, ["capacity", "size_max", "seg_max", "blk_size", "num_queues", "writeback", "max_discard_sectors", "max_discard_seg", "discard_sector_alignment", "max_write_zeroes_sectors", "max_write_zeroes_seg", "write_zeroes_may_unmap", "topology.physical_block_exp", "topology.alignment_offset", "topology.min_io_size", "topology.opt_io_size"]),
      ["capacity.high", virtio_blk_config.capacity.offset + 4, 4],
    ];
  }
  if (model instanceof NetModel) {
    return [
      ...pick(virtio_net_config, ["status", "max_virtqueue_pairs", "mtu"]),
      ...Array.from({ length: 6 }, (_, i) => [`mac[${i}]`, virtio_net_config.mac.offset + i, 1] as const),
    ];
  }
  return pick(virtio_console_config, ["cols", "rows", "max_nr_ports"]);
}

function setField(view: DataView, offset: number, width: number, value: number): void {
  if (width === 1) view.setUint8(offset, value);
  else if (width === 2) view.setUint16(offset, value, true);
  else view.setUint32(offset, value >>> 0, true);
}

/** One random configuration field set to an edge value, written straight into the device's config. */
function randomConfigValue(model: VirtioDeviceModel, random: Prng, view: DataView): string {
  const fields = configFields(model);
  if (fields.length === 0) return "no config";
  const [name, offset, width] = random.pick(fields);
  const value = edge(random, width);
  setField(view, offset, width, value);
  return `${name}=${value}`;
}

/** Faults in place before the probe; returns what was done ("" for a well-behaved device). */
export function prepareFaults(model: VirtioDeviceModel, pci: SimVirtioPci | undefined, random: Prng): string[] {
  const done: string[] = [];
  const faults = model.faults;
  const view = new DataView(model.config.buffer, model.config.byteOffset, model.config.byteLength);
  for (let i = random.below(3); i > 0; i--) {
    switch (random.below(11)) {
      case 0:
        faults.resetNeverCompletes = true;
        done.push("reset never completes");
        break;
      case 1:
        faults.refuseFeaturesOk = true;
        done.push("FEATURES_OK refused");
        break;
      case 2: {
        const sizes = model.queues.map(() => random.pick([0, 1, 3, 100, 1024, 32768, 65536, random.below(0x10000)]));
        faults.queueMaxSizes = sizes;
        done.push(`queue sizes ${sizes.join(",")}`);
        break;
      }
      case 3:
        faults.configGenerationBumps = random.pick([1, 2, 5, 100, Number.POSITIVE_INFINITY]);
        done.push(`config generation bumps ${faults.configGenerationBumps}`);
        break;
      case 4:
        faults.notifyOffset = random.pick([1, 7, 1000, 0xffff]);
        done.push(`notify offset ${faults.notifyOffset}`);
        break;
      case 5:
        faults.refuseVectorsFrom = random.below(3);
        done.push(`vectors refused from ${faults.refuseVectorsFrom}`);
        break;
      case 6:
        faults.vectorReadback = random.pick([0, 1, 3, 0xfffe, random.below(0x10000)]);
        done.push(`vector reads back ${faults.vectorReadback}`);
        break;
      case 7:
      case 8:
        done.push(`config ${randomConfigValue(model, random, view)}`);
        break;
      case 9:
        faults.usedId = random.pick(["out-of-range", "repeat"] as const);
        faults.usedLengthExtra = random.pick([0, 1, 4096, 0x7fff_ffff]);
        done.push(`used id ${faults.usedId}, length +${faults.usedLengthExtra}`);
        break;
      default:
        if (pci !== undefined) done.push(damageCapability(pci, random));
    }
  }
  return done;
}

/** A virtio capability's field (or the MSI-X table size) set to an edge value. */
function damageCapability(pci: SimVirtioPci, random: Prng): string {
  const kinds = Object.keys(pci.caps);
  const kind = random.pick(kinds);
  const at = pci.caps[kind];
  if (kind === "msix") {
    const size = random.below(0x800);
    pci.fn.poke16(at + 2, size);
    return `msix cap table size ${size}`;
  }
  const fields = [
    ["cap_len", virtio_pci_cap.cap_len],
    ["cfg_type", virtio_pci_cap.cfg_type],
    ["bar", virtio_pci_cap.bar],
    ["offset", virtio_pci_cap.offset],
    ["length", virtio_pci_cap.length],
    ["notify_off_multiplier", virtio_pci_notify_cap.notify_off_multiplier],
  ] as const;
  const [name, field] = random.pick(fields);
  const value = edge(random, field.width);
  if (field.width === 1) pci.fn.poke8(at + field.offset, value & 0xff);
  else pci.fn.poke32(at + field.offset, value);
  return `${kind} cap ${name}=${value}`;
}

/** Stalled queues: completions held back until `resume`. */
export function stall(model: VirtioDeviceModel): void {
  model.holdCompletions = true;
}

/** Ends a stall: everything held completes, in a random order per queue. */
export function resume(model: VirtioDeviceModel, random: Prng): void {
  model.holdCompletions = false;
  model.queues.forEach((queue, index) => {
    const order = queue.held.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = random.below(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    if (order.length > 0) model.releaseHeld(index, order);
  });
}

/** What the device checks against limits it may since have changed under requests already sized by the old ones. */
const REQUEST_LIMITS = /blk (segment of \d+ bytes > size_max|request with \d+ segments > seg_max|(discard|write-zeroes) of \d+ sectors exceeds)/;

export interface Injection {
  readonly what: string;
  /** The simulator will see driver-side violations no driver could avoid (the device lost its state). */
  readonly unavoidable?: boolean;
  /** From now on, violations matching this are the device's doing, not the driver's. */
  readonly excuse?: RegExp;
}

/** One misbehaviour during a running case. */
export function inject(model: VirtioDeviceModel, random: Prng): Injection {
  const faults = model.faults;
  switch (random.below(16)) {
    case 0:
      faults.usedId = random.pick(["ok", "out-of-range", "repeat"] as const);
      return { what: `used id ${faults.usedId}` };
    case 1:
      faults.usedLengthExtra = random.pick([0, 0, 1, 7, 4096, 0x7fff_ffff, 0xffff_ffff]);
      return { what: `used length +${faults.usedLengthExtra}` };
    case 2:
      faults.configGenerationBumps = random.pick([0, 1, 3, 1000, Number.POSITIVE_INFINITY]);
      return { what: `config generation bumps ${faults.configGenerationBumps}` };
    case 3:
    case 4: {
      let what = "";
      model.changeConfig((view) => (what = randomConfigValue(model, random, view)));
      // The driver keeps the limits it had when the new ones are nonsense (or another field is).
      const limit = /^(size_max|seg_max|max_discard_sectors|max_write_zeroes_sectors)=/.test(what);
      return { what: `config change ${what}`, excuse: limit ? REQUEST_LIMITS : undefined };
    }
    case 5: {
      const isr = random.below(256);
      const vector = random.pick([0, 1, 2, 3, 0xffff]);
      model.isr |= isr;
      model.interruptSink?.signal(vector);
      model.interruptSink?.isrChanged();
      return { what: `stray interrupt isr 0x${isr.toString(16)} vector ${vector}` };
    }
    case 6:
    case 7:
      stall(model);
      return { what: "stall" };
    case 8:
      resume(model, random);
      return { what: "resume" };
    case 9:
      model.enterNeedsReset();
      return { what: "needs reset" };
    case 10:
      if (!random.chance(0.3)) return { what: "nothing" };
      model.resetBehindDriver();
      return { what: "reset behind the driver's back", unavoidable: true };
    case 11:
      // For good: memory a device may still write is never freed, so the teardown keeps it.
      faults.resetNeverCompletes = true;
      return { what: "reset never completes from now on" };
    case 12:
      return { what: deviceSpecific(model, random) };
    default:
      faults.usedId = "ok";
      faults.usedLengthExtra = 0;
      faults.configGenerationBumps = 0;
      if (model.holdCompletions) resume(model, random);
      return { what: "behaves again" };
  }
}

/** Misbehaviour only one kind of device has. */
function deviceSpecific(model: VirtioDeviceModel, random: Prng): string {
  if (model instanceof BlkModel) {
    const faults = model.blkFaults;
    switch (random.below(3)) {
      case 0:
        faults.status = random.pick([undefined, BlkStatus.IoErr, BlkStatus.Unsupp, 3, 0xff, "unwritten"] as const);
        return `blk status ${String(faults.status)}`;
      case 1: {
        const sector = random.below(Math.max(1, model.sectors));
        faults.badSectors.add(sector);
        return `blk bad sector ${sector}`;
      }
      default:
        model.resize(random.pick([0, 1, 7, 8, 64, 100_000]));
        return `blk resized to ${model.sectors}`;
    }
  }
  if (model instanceof NetModel) {
    switch (random.below(3)) {
      case 0:
        model.controlAck = random.pick([undefined, 0, 1, 2, 0xff]);
        return `net control ack ${String(model.controlAck)}`;
      case 1:
        model.setLinkUp(random.chance(0.5));
        return "net link change";
      default: {
        const bytes = random.bytes(random.below(64));
        const length = random.pick([0, 1, 11, bytes.length, 0xffff_ffff, random.below(70000)]);
        model.injectRaw(bytes, length);
        return `net raw rx ${bytes.length} bytes, used length ${length}`;
      }
    }
  }
  if (model instanceof RngModel) {
    model.maxBytesPerRequest = random.pick([0, 1, 7, Number.POSITIVE_INFINITY]);
    return `rng fills at most ${model.maxBytesPerRequest} bytes`;
  }
  return "nothing";
}
