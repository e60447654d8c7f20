/**
 * virtio-mmio devices named on the kernel command line, one `virtio_mmio.device=` word each, in
 * the form Linux defines and QEMU microvm (with ACPI off) and Firecracker write:
 *   <size>@<base>:<irq>[:<id>]
 * size as a number with an optional K/M/G suffix (powers of 1024), base as a number (0x hex, a
 * leading 0 octal, else decimal), irq decimal, id a platform device number that names nothing here.
 * Such lines carry no trigger mode or polarity: they are taken level-triggered and active-high,
 * as a virtio-mmio device holds its line while InterruptStatus is non-zero (QEMU's DSDT says the same).
 */
import type { CommandLine } from "../command-line";
import { MAX_GSI, MAX_PHYSICAL_ADDRESS, MAX_WINDOW_BYTES, overlaps, type MmioDeviceWindow, type MmioDiscoveryProblem } from "./window";

export const VIRTIO_MMIO_DEVICE_KEY = "virtio_mmio.device";
const SIZE_SUFFIXES = "KMGTPE";
const KIB = 1024;
const MAX_DIGITS = 24;

interface Parsed {
  readonly value: number;
  readonly next: number;
}

function digitValue(c: string): number {
  const code = c.toLowerCase().charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return Infinity;
}

/** An unsigned number at `at` in C's base-0 form; undefined when there are no digits or it overflows. */
function parseNumber(text: string, at: number, radixFixed?: number): Parsed | undefined {
  let radix = radixFixed ?? 10;
  let i = at;
  if (radixFixed === undefined && text[i] === "0") {
    if ((text[i + 1] === "x" || text[i + 1] === "X") && digitValue(text[i + 2] ?? "") < 16) {
      radix = 16;
      i += 2;
    } else {
      radix = 8;
    }
  }
  let value = 0;
  const start = i;
  while (i < text.length && i - start < MAX_DIGITS && digitValue(text[i]) < radix) {
    value = value * radix + digitValue(text[i]);
    i++;
  }
  if (i === start || !Number.isSafeInteger(value)) return undefined;
  return { value, next: i };
}

/** One word's value; a string says why it was refused. */
export function parseVirtioMmioDevice(text: string): Omit<MmioDeviceWindow, "source"> | string {
  const size = parseNumber(text, 0);
  if (size === undefined) return "no size";
  let next = size.next;
  let bytes = size.value;
  const suffix = SIZE_SUFFIXES.indexOf((text[next] ?? "").toUpperCase());
  if (suffix >= 0 && text[next] !== undefined) {
    bytes *= KIB ** (suffix + 1);
    next++;
  }
  if (text[next] !== "@") return "no @ after the size";
  const base = parseNumber(text, next + 1);
  if (base === undefined) return "no base address";
  if (text[base.next] !== ":") return "no :<irq> after the base address";
  const irq = parseNumber(text, base.next + 1, 10);
  if (irq === undefined) return "no interrupt number";
  next = irq.next;
  if (text[next] === ":") {
    const id = parseNumber(text, next + 1, 10);
    if (id === undefined) return "no device id after the last :";
    next = id.next;
  }
  if (next !== text.length) return `unexpected "${text.slice(next)}"`;
  if (bytes === 0 || bytes > MAX_WINDOW_BYTES) return `size ${bytes} is not 1..${MAX_WINDOW_BYTES} bytes`;
  if (base.value + bytes > MAX_PHYSICAL_ADDRESS) return `0x${base.value.toString(16)} + ${bytes} is beyond physical memory`;
  if (irq.value > MAX_GSI) return `interrupt ${irq.value} is beyond GSI ${MAX_GSI}`;
  return { base: base.value, size: bytes, interrupt: { gsi: irq.value, levelTriggered: true, activeLow: false } };
}

export interface CommandLineDevices {
  readonly windows: MmioDeviceWindow[];
  readonly problems: MmioDiscoveryProblem[];
}

/** Every well-formed `virtio_mmio.device=` word; the others, and windows overlapping an earlier one, are problems. */
export function virtioMmioFromCommandLine(commandLine: CommandLine): CommandLineDevices {
  const windows: MmioDeviceWindow[] = [];
  const problems: MmioDiscoveryProblem[] = [];
  for (const text of commandLine.all(VIRTIO_MMIO_DEVICE_KEY)) {
    const parsed = parseVirtioMmioDevice(text);
    if (typeof parsed === "string") problems.push({ source: "command-line", text, reason: parsed });
    else if (windows.some((w) => overlaps(w, parsed))) problems.push({ source: "command-line", text, reason: "overlaps an earlier device" });
    else windows.push({ ...parsed, source: "command-line" });
  }
  return { windows, problems };
}
