// Free page reporting against the simulated device: the default range size, the floor and growth
// thresholds at their exact boundaries, one report in flight at a time, and the options refused.
import { describe, expect, it } from "vitest";
import { PAGE_SIZE } from "../../kernel/platform";
import { SIM_DMA_CAPACITY } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { balloonMachine } from "./balloon-harness";

const MIB = 1024 * 1024;
const RANGE = { rangeBytes: MIB, rangesPerReport: 2 };

/** Free pages when the first report is made: no report happens under a floor of all memory. */
function freePagesAtStart(): number {
  const rig = balloonMachine({ driver: { minFreeBytes: SIM_DMA_CAPACITY, reporting: RANGE } });
  rig.settle();
  return rig.pages.freePages();
}

describe("free page reporting ranges", () => {
  it("reports 2 MiB ranges, 16 per report, by default, and counts what the device acknowledged", () => {
    const rig = balloonMachine({ driver: { reporting: {} } });
    rig.settle();
    expect(rig.model.reportedBytes).toBe(16 * 2 * MIB);
    expect(rig.balloon.reporter?.reports).toBe(1);
    expect(rig.balloon.reporter?.reportedBytes).toBe(rig.model.reportedBytes);
    assertNoViolations(rig.machine.violations);
  });

  it("reports a range that leaves exactly the floor free, and none that would go below it", () => {
    const free = freePagesAtStart();
    const rig = balloonMachine({ driver: { minFreeBytes: (free - MIB / PAGE_SIZE) * PAGE_SIZE, reporting: RANGE } });
    rig.settle();
    expect(rig.model.reportedBytes).toBe(MIB);
    assertNoViolations(rig.machine.violations);
  });

  it("reports again when free memory grew by exactly one range", () => {
    const rig = balloonMachine({ driver: { reporting: RANGE } });
    rig.settle();
    const first = rig.model.reportedBytes;
    const used = rig.machine.allocDma(MIB);
    rig.model.requestStats();
    rig.settle();
    rig.machine.freeDma(used);
    rig.model.requestStats();
    rig.settle();
    expect(rig.balloon.reporter?.reports).toBe(2);
    expect(rig.model.reportedBytes).toBe(first + 2 * MIB);
    assertNoViolations(rig.machine.violations);
  });
});

describe("free page reporting in flight", () => {
  it("makes no second report while the device holds one, however much memory is freed meanwhile", () => {
    const rig = balloonMachine({ driver: { reporting: RANGE } });
    rig.settle();
    const first = rig.model.reportedBytes;
    const stats = rig.model.queueIndex("stats") as number;
    const reporting = rig.model.queueIndex("reporting") as number;
    // 8 MiB in use; half is freed, which makes a report the device holds, and the other half
    // is freed while it holds it.
    const used = rig.machine.allocDma(4 * MIB);
    const spare = rig.machine.allocDma(4 * MIB);
    rig.model.requestStats();
    rig.settle();
    rig.machine.freeDma(used);
    rig.model.holdCompletions = true;
    rig.model.requestStats();
    rig.settle();
    rig.machine.freeDma(spare);
    rig.model.releaseHeld(stats);
    rig.model.requestStats();
    rig.settle();
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(reporting);
    rig.settle();
    expect(rig.model.reportedBytes).toBe(first + 2 * MIB);
    expect(rig.balloon.reporter?.reports).toBe(2);
    assertNoViolations(rig.machine.violations);
  });
});

describe("free page reporting options refused", () => {
  it("refuses an empty range, naming the size it refused", () => {
    const rig = () => balloonMachine({ driver: { reporting: { rangeBytes: 0 } } });
    expect(rig).toThrow(/reporting-range: 0 bytes/);
  });

  it("names the size of a range that is not whole pages", () => {
    expect(() => balloonMachine({ driver: { reporting: { rangeBytes: 6000 } } })).toThrow(/6000 bytes/);
  });
});
