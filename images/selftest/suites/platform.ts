// Platform primitives on the real machine: DMA memory, exact-width port and MMIO access,
// on-demand mapping above 4 GiB, the command line and memory accounting.
//   expect-machine=microvm  the machine has no PCI (QEMU microvm): nothing answers at 0xCF8/0xCFC
import type { Platform } from "../../../kernel/platform";
import { FOUR_GIB } from "../../../kernel/platform";
import { haltedNs } from "../../../kernel/platform-native";
import { expectEqual, expectTrue, type TestRegistry } from "../harness";

const PCI_CONFIG_ADDRESS = 0xcf8;
const PCI_CONFIG_DATA = 0xcfc;
const PCI_ENABLE = 0x8000_0000;
const INTEL_VENDOR = 0x8086;
/** QEMU's host bridges: i440FX (pc) and Q35 (q35). */
const HOST_BRIDGE_DEVICES = [0x1237, 0x29c0];
/** What a 32-bit read of a port nothing decodes returns. */
const NOTHING_THERE = 0xffff_ffff;
export const MICROVM = "microvm";
const DMA_BYTES = 3 * 4096;
const DMA_ALIGN = 64 * 1024;
const PATTERN_SEED = 0x9e3779b9;
/** Above the boot identity map (4 GiB) and above any RAM the tests give the guest. */
const HIGH_ADDRESS = 0x80_0000_0000;

function pattern(index: number): number {
  return Math.imul(index + 1, PATTERN_SEED) >>> 0;
}

export function platformSuite(t: TestRegistry, platform: Platform, machine: string): void {
  t.test("DMA memory is visible at its physical address through a second mapping", () => {
    const region = platform.allocDma(DMA_BYTES, { align: DMA_ALIGN });
    try {
      expectEqual(region.physical % DMA_ALIGN, 0, "alignment");
      expectTrue(region.physical + DMA_BYTES <= FOUR_GIB, "below 4 GiB");
      const words = new Uint32Array(region.buffer);
      for (let i = 0; i < words.length; i++) words[i] = pattern(i);
      const second = new Uint32Array(platform.physicalView(region.physical, DMA_BYTES));
      for (let i = 0; i < second.length; i++) if (second[i] !== pattern(i)) expectEqual(second[i], pattern(i), `word ${i}`);
      const last = words.length - 1;
      expectEqual(platform.mmio.read32(region.physical + last * 4), pattern(last), "32-bit read of the last word");
      expectEqual(platform.mmio.read64(region.physical), (BigInt(pattern(1)) << 32n) | BigInt(pattern(0)), "64-bit read");
    } finally {
      platform.freeDma(region);
    }
    expectEqual(region.buffer.byteLength, 0, "freed region's buffer is detached");
  });

  t.test("DMA memory is handed out zeroed", () => {
    const first = platform.allocDma(DMA_BYTES);
    new Uint8Array(first.buffer).fill(0xa5);
    platform.freeDma(first);
    const second = platform.allocDma(DMA_BYTES);
    try {
      expectTrue(new Uint8Array(second.buffer).every((b) => b === 0), "all bytes zero");
    } finally {
      platform.freeDma(second);
    }
  });

  if (machine === MICROVM) {
    t.test("no PCI configuration space answers on a microvm", () => {
      platform.ports.write32(PCI_CONFIG_ADDRESS, PCI_ENABLE);
      expectEqual(platform.ports.read32(PCI_CONFIG_DATA) >>> 0, NOTHING_THERE, "host bridge IDs");
    });
  } else {
    t.test("port I/O reads the PCI host bridge IDs at 8, 16 and 32 bits", () => {
      platform.ports.write32(PCI_CONFIG_ADDRESS, PCI_ENABLE);
      const ids = platform.ports.read32(PCI_CONFIG_DATA);
      expectEqual(ids & 0xffff, INTEL_VENDOR, "vendor");
      expectTrue(HOST_BRIDGE_DEVICES.includes(ids >>> 16), `host bridge device ${(ids >>> 16).toString(16)}`);
      expectEqual(platform.ports.read16(PCI_CONFIG_DATA), ids & 0xffff, "16-bit low half");
      expectEqual(platform.ports.read16(PCI_CONFIG_DATA + 2), ids >>> 16, "16-bit high half");
      expectEqual(platform.ports.read8(PCI_CONFIG_DATA + 1), (ids >>> 8) & 0xff, "8-bit read");
    });
  }

  t.test("a physical range above 4 GiB can be mapped and read", () => {
    platform.mapPhysical(HIGH_ADDRESS, 4096, true);
    const value = platform.mmio.read32(HIGH_ADDRESS);
    expectTrue(value >= 0 && value <= 0xffff_ffff, "read returned a 32-bit value");
  });

  t.test("halted time grows while the CPU waits for a timer, and only then", async () => {
    const halted = haltedNs();
    const started = platform.monotonicNs();
    // Busy: a spin of about 2 ms halts nothing.
    while (platform.monotonicNs() - started < 2e6);
    expectEqual(haltedNs(), halted);
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
    const waited = haltedNs() - halted;
    const elapsed = platform.monotonicNs() - started;
    expectTrue(waited > 10e6 && waited < elapsed, `halted ${waited} ns of ${elapsed} ns`);
  });

  t.test("memory accounting reports the RAM QEMU gave", () => {
    const usage = vireoNative.memoryUsage();
    expectTrue(vireoNative.memoryBytes > 0, "memoryBytes");
    expectTrue(usage.freePages > 0 && usage.freePages <= usage.totalPages, "free pages within total");
    expectTrue(usage.heapBytes > 0, "heap in use");
  });
}
