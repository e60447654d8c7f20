// A device's platform is the machine itself, except that it records the DMA regions and page runs
// taken through it until they are freed, and frees what is left at teardown: every other member
// reaches the machine unchanged, and what goes back to the machine is exactly what was taken.
import { describe, expect, it } from "vitest";
import { DevicePlatform } from "../../drivers/virtio/device-platform";
import { PAGE_SIZE, type DmaOptions, type DmaRegion, type Mmio, type Platform, type PortIo } from "../../kernel/platform";

const RUN_BASE = 0x1000_0000;

/** A machine that answers with fixed values and records every call made to it. */
class RecordingMachine implements Platform {
  readonly calls: unknown[][] = [];
  readonly ports = {} as PortIo;
  readonly mmio = {} as Mmio;
  readonly commandLine = "console=ttyS0";
  private nextPhysical = RUN_BASE;

  mapPhysical(address: number, length: number, device: boolean): void {
    this.calls.push(["mapPhysical", address, length, device]);
  }
  physicalView(address: number, length: number): ArrayBuffer {
    this.calls.push(["physicalView", address, length]);
    return new ArrayBuffer(length);
  }
  allocDma(size: number, options?: DmaOptions): DmaRegion {
    this.calls.push(["allocDma", size, options]);
    const physical = this.take(size);
    return { physical, size, buffer: new ArrayBuffer(size) };
  }
  freeDma(region: DmaRegion): void {
    this.calls.push(["freeDma", region.physical]);
  }
  takePages(count: number): number {
    this.calls.push(["takePages", count]);
    return this.take(count * PAGE_SIZE);
  }
  returnPages(physical: number, count: number): void {
    this.calls.push(["returnPages", physical, count]);
  }
  barrier(): void {
    this.calls.push(["barrier"]);
  }
  monotonicNs(): number {
    return 123_456;
  }
  wallClockMs(): number {
    return 1_700_000_000_000;
  }
  serialWrite(text: string): void {
    this.calls.push(["serialWrite", text]);
  }
  exit(status: number): never {
    throw new Error(`exit ${status}`);
  }
  waitForInterrupt(deadlineNs: number): void {
    this.calls.push(["waitForInterrupt", deadlineNs]);
  }

  /** The calls of one kind since the last `clear`. */
  named(name: string): unknown[][] {
    return this.calls.filter((call) => call[0] === name);
  }
  clear(): void {
    this.calls.length = 0;
  }

  private take(bytes: number): number {
    const physical = this.nextPhysical;
    this.nextPhysical += Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
    return physical;
  }
}

function rig() {
  const machine = new RecordingMachine();
  return { machine, platform: new DevicePlatform(machine) };
}

describe("a device's platform", () => {
  it("is the machine for everything but allocation", () => {
    const { machine, platform } = rig();
    expect(platform.ports).toBe(machine.ports);
    expect(platform.mmio).toBe(machine.mmio);
    expect(platform.commandLine).toBe("console=ttyS0");
    expect(platform.monotonicNs()).toBe(123_456);
    expect(platform.wallClockMs()).toBe(1_700_000_000_000);
    expect(platform.physicalView(0x9000, 64).byteLength).toBe(64);
    platform.mapPhysical(0xfe00_0000, 0x1000, true);
    platform.barrier();
    platform.serialWrite("hello");
    platform.waitForInterrupt(5_000);
    expect(() => platform.exit(3)).toThrow("exit 3");
    expect(machine.calls).toEqual([
      ["physicalView", 0x9000, 64],
      ["mapPhysical", 0xfe00_0000, 0x1000, true],
      ["barrier"],
      ["serialWrite", "hello"],
      ["waitForInterrupt", 5_000],
    ]);
  });

  it("counts DMA regions until freed, and frees the rest, once, at teardown", () => {
    const { machine, platform } = rig();
    const options = { align: 64 };
    const a = platform.allocDma(100, options);
    const b = platform.allocDma(200);
    const c = platform.allocDma(300);
    expect(machine.named("allocDma")).toEqual([["allocDma", 100, options], ["allocDma", 200, undefined], ["allocDma", 300, undefined]]);
    expect(platform.dmaRegions).toBe(3);
    platform.freeDma(b);
    expect(platform.dmaRegions).toBe(2);
    expect(machine.named("freeDma")).toEqual([["freeDma", b.physical]]);
    machine.clear();
    platform.freeAll();
    expect(platform.dmaRegions).toBe(0);
    expect(machine.named("freeDma")).toEqual([["freeDma", a.physical], ["freeDma", c.physical]]);
    machine.clear();
    platform.freeAll();
    expect(machine.calls).toEqual([]);
  });

  it("gives back a whole run as taken, and nothing of it at teardown", () => {
    const { machine, platform } = rig();
    const run = platform.takePages(4);
    expect(machine.named("takePages")).toEqual([["takePages", 4]]);
    platform.returnPages(run, 4);
    expect(machine.named("returnPages")).toEqual([["returnPages", run, 4]]);
    machine.clear();
    platform.freeAll();
    expect(machine.calls).toEqual([]);
  });

  it("keeps what is left of a run around the pages given back, and frees exactly that at teardown", () => {
    const { machine, platform } = rig();
    const head = platform.takePages(2);
    const run = platform.takePages(8);
    platform.returnPages(run + 2 * PAGE_SIZE, 3);
    platform.returnPages(head, 1);
    machine.clear();
    platform.freeAll();
    expect(machine.named("returnPages")).toEqual([
      ["returnPages", run, 2],
      ["returnPages", run + 5 * PAGE_SIZE, 3],
      ["returnPages", head + PAGE_SIZE, 1],
    ]);
    machine.clear();
    platform.freeAll();
    expect(machine.calls).toEqual([]);
  });

  it("refuses pages it did not hand out, or that run past a recorded run, and gives nothing back then", () => {
    const { machine, platform } = rig();
    const run = platform.takePages(4);
    platform.returnPages(run, 1);
    machine.clear();
    expect(() => platform.returnPages(run, 1)).toThrow(RangeError);
    expect(() => platform.returnPages(run, 1)).toThrow(`0x${run.toString(16)}`);
    expect(() => platform.returnPages(run + 3 * PAGE_SIZE, 2)).toThrow(RangeError);
    expect(() => platform.returnPages(run + 4 * PAGE_SIZE, 1)).toThrow(RangeError);
    expect(machine.named("returnPages")).toEqual([]);
    platform.freeAll();
    expect(machine.named("returnPages")).toEqual([["returnPages", run + PAGE_SIZE, 3]]);
  });
});
