/**
 * The primitives the native kernel (boot/) gives TypeScript, as the global `vireoNative`.
 * Only kernel/platform-native.ts touches this object; everything else goes through the
 * `Platform` interface in kernel/platform.ts.
 *
 * Physical addresses and lengths are plain numbers (exact up to 2^53). 64-bit register
 * values are BigInts so that no bit is lost.
 */
interface VireoNative {
  /** The kernel command line (`-append` in QEMU, or GRUB's multiboot line), without the image name. */
  readonly commandLine: string;
  /** Bytes of usable RAM the boot loader reported. */
  readonly memoryBytes: number;
  /** The ACPI RSDP's physical address when the boot protocol gave it (PVH's rsdp_paddr); 0 otherwise. */
  readonly rsdpAddress: number;
  /** The boot CPU's local APIC ID, the destination of MSI messages and I/O APIC routes. */
  readonly localApicId: number;
  /** Interrupt vectors from this one up (to 254) are free for devices. */
  readonly firstDeviceVector: number;

  inb(port: number): number;
  inw(port: number): number;
  inl(port: number): number;
  outb(port: number, value: number): void;
  outw(port: number, value: number): void;
  outl(port: number, value: number): void;

  /** Single accesses of exactly the named width; the range must be mapped first. */
  mmioRead8(address: number): number;
  mmioRead16(address: number): number;
  mmioRead32(address: number): number;
  mmioRead64(address: number): bigint;
  mmioWrite8(address: number, value: number): void;
  mmioWrite16(address: number, value: number): void;
  mmioWrite32(address: number, value: number): void;
  mmioWrite64(address: number, value: bigint): void;

  /** Makes [address, address+length) accessible (uncached when `device` is true). Idempotent. */
  mapPhysical(address: number, length: number, device: boolean): void;
  /** An ArrayBuffer over mapped physical memory. Never freed by the engine. */
  physicalView(address: number, length: number): ArrayBuffer;

  /**
   * Physically contiguous, zeroed memory of `size` bytes aligned to `align` (a power of two,
   * at least 4096 is used internally), wholly below `limit` (exclusive). Returns the physical address.
   * Throws a RangeError when no such range is free.
   */
  dmaAlloc(size: number, align: number, limit: number): number;
  dmaFree(address: number, size: number): void;
  /**
   * `count` contiguous 4 KiB pages below 4 GiB, neither zeroed nor mapped for TypeScript (memory
   * lent away, a balloon's); freed with dmaFree. Throws a RangeError when no such run is free.
   */
  pagesTake(count: number): number;
  /** Detaches an ArrayBuffer so that it can no longer reach memory that is being freed. */
  detachBuffer(buffer: ArrayBuffer): void;

  /** A full memory fence (mfence). */
  memoryBarrier(): void;
  /**
   * Nanoseconds since kernel entry (TSC calibrated against the PIT or RTC, or at the rate set by
   * setTscHz); 0 while the TSC rate is unknown.
   */
  monotonicNs(): number;
  /** Nanoseconds of monotonicNs() the CPU spent halted waiting for an interrupt (the rest it worked). */
  haltedNs(): number;
  /** Milliseconds since the Unix epoch (CMOS RTC read at boot plus the monotonic clock). */
  wallClockMs(): number;
  /**
   * What the kernel calibrated the clock against at boot: "pit", "rtc", or "none" (neither exists,
   * or the RTC sets no periodic flag).
   */
  readonly clockCalibration: "pit" | "rtc" | "none";
  /** Whether the wall clock was read from an RTC; without one it counts from the Unix epoch. */
  readonly wallClockKnown: boolean;
  /** CPUID of `leaf` and `subleaf`: [eax, ebx, ecx, edx] as unsigned 32-bit numbers. */
  cpuid(leaf: number, subleaf: number): [number, number, number, number];
  /** The TSC rate the monotonic clock counts with (0 while unknown). */
  tscHz(): number;
  /** The APIC bus clock the LAPIC timer counts before its divider (0 while unknown). */
  apicBusHz(): number;
  /** Sets a declared TSC rate (0 is ignored). */
  setTscHz(hz: number): void;
  /** Sets a declared APIC bus rate (values below 16 kHz are ignored). */
  setApicBusHz(hz: number): void;
  /** The APIC bus clock measured over 2 ms of the TSC at its current rate; 0 if it cannot be. */
  measureApicBusHz(): number;

  serialWrite(text: string): void;
  /** Ends the machine with `status` (0 = success). */
  exit(status: number): never;

  /**
   * Halts the CPU until an interrupt arrives or the monotonic clock passes `deadlineNs`
   * (a negative deadline waits for an interrupt only). Returns at once if a device vector is
   * waiting to be taken.
   */
  waitForInterrupt(deadlineNs: number): void;
  /**
   * Moves the set of device vectors that fired since the last call into `vectors` (8 words, one
   * bit per vector) and returns how many there were. The kernel has already acknowledged them.
   */
  takeInterrupts(vectors: Uint32Array): number;
  /**
   * Registers the event loop's tick. After the app bundle runs and after every batch of promise
   * jobs, the kernel calls `tick()`: it runs due work and returns the monotonic ns of the next
   * deadline, 0 to be called again at once, or -1 when nothing is left (the machine then exits 0).
   */
  setLoopHook(tick: () => number): void;
  /**
   * Reports an uncaught exception or an unhandled promise rejection (seen once the job queue
   * drains). The machine exits with status 1 after the hook returns; if the hook throws, the
   * kernel prints the error itself.
   */
  setUncaughtHook(report: (error: unknown, origin: "exception" | "rejection") => void): void;
  /** Maps a line of the app bundle to "file.ts:line" through the build's line table. */
  sourceLine(bundleLine: number): string | undefined;
  /** True for a `class` constructor (bytecode keeps no source text to tell it by). */
  isClassConstructor(value: unknown): boolean;
  /**
   * Byte loops the engine runs slowly, over bytes[offset, offset + length): `sum16` adds the
   * big-endian 16-bit words (an odd last byte zero-padded) to `sum`, unfolded (RFC 1071);
   * `crc32` continues a CRC-32 (IEEE) from `crc`.
   */
  sum16(bytes: Uint8Array, offset: number, length: number, sum: number): number;
  crc32(bytes: Uint8Array, offset: number, length: number, crc: number): number;
  /** Copies from[fromOffset, +length) to to[toOffset...] and returns `sum` plus their word sum. */
  copySum16(from: Uint8Array, fromOffset: number, to: Uint8Array, toOffset: number, length: number, sum: number): number;
  /**
   * Starts the sampling profiler's recorder with a sample buffer of `bufferBytes`: from now on
   * every NMI records the interrupted instruction pointer and the JavaScript stack (the caller
   * routes a timer to the NMI at `hz`); after `tickLimit` NMIs (0: no limit) the profile is
   * written out as by profileFinish. Throws a RangeError when the memory is not free or the
   * profiler was started before.
   */
  profileStart(bufferBytes: number, hz: number, tickLimit: number): void;
  /** Stops recording and writes the profile to the isa-debugcon port (once; exit does it too). */
  profileFinish(): void;
  /** `text` in UTF-8 (a surrogate pair as one 4-byte character; a lone surrogate as 3 bytes). */
  utf8Encode(text: string): ArrayBuffer;
  /** Heap use of the JS engine and the physical page allocator. */
  memoryUsage(): { heapBytes: number; freePages: number; totalPages: number };
  /** The page allocator's free and managed 4 KiB pages (cheap, unlike memoryUsage). */
  freePages(): number;
  totalPages(): number;
}

declare const vireoNative: VireoNative;
