// The kernel's side of the sampling profiler: its command-line options, the PIT as its clock,
// the PIT's line delivered as an NMI, and the start and end of a recording.
import { describe, expect, it } from "vitest";
import { CommandLine } from "../../kernel/command-line";
import type { InterruptHardware } from "../../kernel/irq/hardware";
import { DEFAULT_IO_APIC_ADDRESS, InterruptRouter } from "../../kernel/irq/router";
import type { PciConfigAccess } from "../../kernel/pci/config";
import type { Mmio, Platform, PortIo } from "../../kernel/platform";
import { DEFAULT_BUFFER_KIB, profileOptions } from "../../kernel/profiler/options";
import { PIT_HZ, pitDivisor } from "../../kernel/profiler/pit";
import { startProfiler, type ProfilerMachine } from "../../kernel/profiler/start";

const REDIRECTION = 0x10;
const DELIVERY_NMI = 0b100 << 8;
const MASKED = 1 << 16;
const ACTIVE_LOW = 1 << 13;
const PIT_COMMAND = 0x43;
const PIT_CHANNEL0 = 0x40;
const RATE_GENERATOR = 0x34;
const ONE_SHOT = 0x30;

describe("profiler options", () => {
  it("are off without profile.hz", () => {
    expect(profileOptions(new CommandLine("ip=10.0.2.15/24 profile.seconds=3"))).toBeUndefined();
  });

  it("read the rate, the seconds and the buffer size", () => {
    expect(profileOptions(new CommandLine("profile.hz=997 profile.seconds=2.5 profile.buffer-kib=64"))).toEqual({ hz: 997, seconds: 2.5, bufferBytes: 64 * 1024 });
    expect(profileOptions(new CommandLine("profile.hz=1000"))).toEqual({ hz: 1000, seconds: undefined, bufferBytes: DEFAULT_BUFFER_KIB * 1024 });
  });

  it("name a bad value", () => {
    expect(() => profileOptions(new CommandLine("profile.hz=fast"))).toThrow(/profile\.hz=fast/);
    expect(() => profileOptions(new CommandLine("profile.hz=10.5"))).toThrow(RangeError);
    expect(() => profileOptions(new CommandLine("profile.hz=100 profile.seconds=-1"))).toThrow(/profile\.seconds=-1/);
    expect(() => profileOptions(new CommandLine("profile.hz=100 profile.buffer-kib=999999999"))).toThrow(/at most/);
  });
});

describe("PIT divisor", () => {
  it("counts the PIT's input clock down to the rate", () => {
    expect(pitDivisor(1000)).toBe(1193);
    expect(pitDivisor(PIT_HZ / 2)).toBe(2);
  });

  it("refuses rates the 16-bit counter cannot make", () => {
    expect(() => pitDivisor(10)).toThrow(RangeError);
    expect(() => pitDivisor(PIT_HZ)).toThrow(RangeError);
  });
});

function fakeMachine() {
  const ioApic = new Map<number, number>([[1, 23 << 16]]);
  let selected = 0;
  const mmio = {
    write32(address: number, value: number) {
      if ((address & ~0xff) >>> 0 !== DEFAULT_IO_APIC_ADDRESS) throw new Error(`write to ${address.toString(16)}`);
      if ((address & 0xff) === 0) selected = value;
      else ioApic.set(selected, value);
    },
    read32: (address: number) => ((address & 0xff) === 0 ? selected : (ioApic.get(selected) ?? 0)),
  } as Mmio;
  // No RSDP in the BIOS area: the conventional layout, ISA IRQ 0 on GSI 0.
  const platform = { mmio, mapPhysical: () => {}, physicalView: (_a: number, length: number) => new ArrayBuffer(length) } as unknown as Platform;
  const hardware: InterruptHardware = { localApicId: 2, firstDeviceVector: 48, takeInterrupts: () => 0 };
  const router = new InterruptRouter(platform, {} as PciConfigAccess, hardware);
  const portWrites: [number, number][] = [];
  const ports = { write8: (port: number, value: number) => void portWrites.push([port, value]) } as unknown as PortIo;
  const events: string[] = [];
  const timers: { callback: () => void; delayMs: number }[] = [];
  const machine: ProfilerMachine = {
    ports,
    recorder: { start: (bytes, hz, tickLimit) => events.push(`start ${bytes} ${hz} ${tickLimit}`), finish: () => events.push("finish") },
    routeIsaIrqAsNmi: (irq) => router.routeIsaIrqAsNmi(irq),
    setBackgroundTimeout: (callback, delayMs) => timers.push({ callback, delayMs }),
  };
  return { machine, ioApic, portWrites, events, timers };
}

describe("a recording", () => {
  it("takes the buffer, routes the PIT's line as an edge NMI to this CPU and starts the PIT at the rate", () => {
    const { machine, ioApic, portWrites, events } = fakeMachine();
    startProfiler({ hz: 1000, seconds: undefined, bufferBytes: 4096 }, machine);
    expect(events).toEqual(["start 4096 1000 0"]);
    expect(ioApic.get(REDIRECTION)).toBe(DELIVERY_NMI);
    expect(ioApic.get(REDIRECTION + 1)).toBe(2 << 24);
    expect(portWrites).toEqual([[PIT_COMMAND, RATE_GENERATOR], [PIT_CHANNEL0, 1193 & 0xff], [PIT_CHANNEL0, 1193 >> 8]]);
  });

  it("has the recorder count the chosen seconds in samples; its timer then masks the line, stops the PIT and ends the recording once", () => {
    const { machine, ioApic, portWrites, events, timers } = fakeMachine();
    const stop = startProfiler({ hz: 1000, seconds: 2, bufferBytes: 4096 }, machine);
    expect(timers.map((t) => t.delayMs)).toEqual([2000]);
    portWrites.length = 0;
    timers[0].callback();
    stop();
    expect(events).toEqual(["start 4096 1000 2000", "finish"]);
    expect(ioApic.get(REDIRECTION)! & MASKED).toBe(MASKED);
    expect(portWrites[0]).toEqual([PIT_COMMAND, ONE_SHOT]);
  });

  it("refuses a rate the PIT cannot make before taking any memory", () => {
    const { machine, events } = fakeMachine();
    expect(() => startProfiler({ hz: 5, seconds: 1, bufferBytes: 4096 }, machine)).toThrow(RangeError);
    expect(events).toEqual([]);
  });

  it("keeps an overridden line's polarity and refuses a level-triggered one", () => {
    const ioApic = new Map<number, number>([[1, 23 << 16]]);
    let selected = 0;
    const mmio = {
      write32: (address: number, value: number) => ((address & 0xff) === 0 ? (selected = value) : ioApic.set(selected, value)),
      read32: (address: number) => ((address & 0xff) === 0 ? selected : (ioApic.get(selected) ?? 0)),
    } as unknown as Mmio;
    const router = new InterruptRouter({ mmio, mapPhysical: () => {} } as unknown as Platform, {} as PciConfigAccess, { localApicId: 0, firstDeviceVector: 48, takeInterrupts: () => 0 });
    router.loadMadt = () => ({
      ioApics: [{ id: 0, address: DEFAULT_IO_APIC_ADDRESS, gsiBase: 0 }],
      overrides: [
        { isaIrq: 0, gsi: 2, levelTriggered: false, activeLow: true },
        { isaIrq: 9, gsi: 9, levelTriggered: true, activeLow: true },
      ],
    });
    const mask = router.routeIsaIrqAsNmi(0);
    expect(ioApic.get(REDIRECTION + 2 * 2)).toBe(DELIVERY_NMI | ACTIVE_LOW);
    mask();
    expect(ioApic.get(REDIRECTION + 2 * 2)! & MASKED).toBe(MASKED);
    expect(() => router.routeIsaIrqAsNmi(9)).toThrow(/level-triggered/);
  });
});
