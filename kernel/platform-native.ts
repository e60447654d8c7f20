/** The Platform of the real machine, over the native kernel's primitives. */
import type { InterruptHardware } from "./irq/hardware";
import type { ProfileRecorder } from "./profiler/start";
import type { ClockHardware } from "./timers/clock-setup";
import { allocateReclaiming, machineMemoryPressure, type PageCounts } from "./memory-pressure";
import { FOUR_GIB, PAGE_SIZE, type DmaOptions, type DmaRegion, type Platform } from "./platform";

const native = vireoNative;

export const nativePlatform: Platform = {
  ports: {
    read8: native.inb,
    read16: native.inw,
    read32: native.inl,
    write8: native.outb,
    write16: native.outw,
    write32: native.outl,
  },
  mmio: {
    read8: native.mmioRead8,
    read16: native.mmioRead16,
    read32: native.mmioRead32,
    read64: native.mmioRead64,
    write8: native.mmioWrite8,
    write16: native.mmioWrite16,
    write32: native.mmioWrite32,
    write64: native.mmioWrite64,
  },
  mapPhysical: native.mapPhysical,
  physicalView: native.physicalView,
  allocDma(size: number, options: DmaOptions = {}): DmaRegion {
    // DEFLATE_ON_OOM: pages lent to a balloon come back before an allocation is refused.
    const physical = allocateReclaiming(machineMemoryPressure, size, () => native.dmaAlloc(size, options.align ?? PAGE_SIZE, options.limit ?? FOUR_GIB));
    return { physical, size, buffer: native.physicalView(physical, size) };
  },
  freeDma(region: DmaRegion): void {
    native.detachBuffer(region.buffer);
    native.dmaFree(region.physical, region.size);
  },
  takePages: native.pagesTake,
  returnPages(physical: number, count: number): void {
    native.dmaFree(physical, count * PAGE_SIZE);
  },
  barrier: native.memoryBarrier,
  monotonicNs: native.monotonicNs,
  wallClockMs: native.wallClockMs,
  commandLine: native.commandLine,
  rsdpAddress: native.rsdpAddress === 0 ? undefined : native.rsdpAddress,
  serialWrite: native.serialWrite,
  exit: native.exit,
  waitForInterrupt: native.waitForInterrupt,
};

export const nativeInterruptHardware: InterruptHardware = {
  localApicId: native.localApicId,
  firstDeviceVector: native.firstDeviceVector,
  takeInterrupts: native.takeInterrupts,
};

/** The native page allocator's counts (the JS heap and DMA memory both come from it). */
export const nativePageCounts: PageCounts = {
  freePages: native.freePages,
  totalPages: native.totalPages,
};

/**
 * Nanoseconds the CPU spent halted since boot. Benchmarks subtract it from elapsed time to get what
 * the guest itself cost, whatever the device's latency; under QEMU `-icount shift=0` that is its
 * instructions executed.
 */
export const haltedNs: () => number = native.haltedNs;

/** The native sampling profiler's recorder (boot/core/profiler.c). */
export const nativeProfileRecorder: ProfileRecorder = {
  start: native.profileStart,
  finish: native.profileFinish,
};

/** The native clock's calibration and rate primitives (boot/core/time.c). */
export const nativeClockHardware: ClockHardware = {
  calibration: native.clockCalibration,
  wallClockKnown: native.wallClockKnown,
  cpuid: native.cpuid,
  tscHz: native.tscHz,
  apicBusHz: native.apicBusHz,
  setTscHz: native.setTscHz,
  setApicBusHz: native.setApicBusHz,
  measureApicBusHz: native.measureApicBusHz,
};
