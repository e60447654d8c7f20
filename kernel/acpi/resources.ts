/**
 * Resource templates (a device's `_CRS` buffer, ACPI 6.5 section 6.4): the fixed 32-bit memory
 * ranges and extended interrupts in it. Other descriptors are stepped over by their length.
 */
import { AcpiError } from "./tables";

const LARGE_ITEM = 0x80;
const LARGE_TYPE_MASK = 0x7f;
const LARGE_HEADER = 3;
const SMALL_TYPE_SHIFT = 3;
const SMALL_TYPE_MASK = 0x0f;
const SMALL_LENGTH_MASK = 0x07;
const SMALL_END_TAG = 0x0f;
const LARGE_MEMORY32_FIXED = 0x06;
const LARGE_EXTENDED_INTERRUPT = 0x09;
const MEMORY32_FIXED_LENGTH = 9;
const MEMORY32_FIXED_BASE = 1;
const MEMORY32_FIXED_SIZE = 5;
const EXTENDED_INTERRUPT_FLAGS = 0;
const EXTENDED_INTERRUPT_COUNT = 1;
const EXTENDED_INTERRUPT_FIRST = 2;
/** Extended interrupt flags: bit 1 set means edge-triggered, bit 2 set means active-low. */
const INTERRUPT_EDGE = 1 << 1;
const INTERRUPT_ACTIVE_LOW = 1 << 2;

export interface MemoryResource {
  readonly base: number;
  readonly size: number;
}

export interface InterruptResource {
  /** A global system interrupt number. */
  readonly gsi: number;
  readonly levelTriggered: boolean;
  readonly activeLow: boolean;
}

export interface Resources {
  readonly memory: MemoryResource[];
  readonly interrupts: InterruptResource[];
}

export function parseResources(bytes: Uint8Array): Resources {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const memory: MemoryResource[] = [];
  const interrupts: InterruptResource[] = [];
  let at = 0;
  while (at < bytes.length) {
    const tag = bytes[at];
    if ((tag & LARGE_ITEM) === 0) {
      if (((tag >> SMALL_TYPE_SHIFT) & SMALL_TYPE_MASK) === SMALL_END_TAG) return { memory, interrupts };
      at += 1 + (tag & SMALL_LENGTH_MASK);
      continue;
    }
    if (at + LARGE_HEADER > bytes.length) break;
    const length = view.getUint16(at + 1, true);
    const body = at + LARGE_HEADER;
    if (body + length > bytes.length) break;
    const type = tag & LARGE_TYPE_MASK;
    if (type === LARGE_MEMORY32_FIXED && length >= MEMORY32_FIXED_LENGTH) {
      memory.push({ base: view.getUint32(body + MEMORY32_FIXED_BASE, true), size: view.getUint32(body + MEMORY32_FIXED_SIZE, true) });
    } else if (type === LARGE_EXTENDED_INTERRUPT && length >= EXTENDED_INTERRUPT_FIRST) {
      const flags = bytes[body + EXTENDED_INTERRUPT_FLAGS];
      const count = bytes[body + EXTENDED_INTERRUPT_COUNT];
      if (EXTENDED_INTERRUPT_FIRST + 4 * count > length) throw new AcpiError(`extended interrupt descriptor lists ${count} interrupts in ${length} bytes`);
      for (let i = 0; i < count; i++) {
        interrupts.push({
          gsi: view.getUint32(body + EXTENDED_INTERRUPT_FIRST + 4 * i, true),
          levelTriggered: (flags & INTERRUPT_EDGE) === 0,
          activeLow: (flags & INTERRUPT_ACTIVE_LOW) !== 0,
        });
      }
    }
    at = body + length;
  }
  throw new AcpiError("resource template has no end tag inside its buffer");
}
