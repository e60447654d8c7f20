import { describe, expect, it } from "vitest";
import { createEventLoop, NO_DEADLINE } from "../../kernel/event-loop";
import type { Platform } from "../../kernel/platform";
import { eventLoopScheduler, MAX_TIMEOUT_MS, type TimerFunctions } from "../../runtime/services";

const NS_PER_MS = 1e6;
const DAY_MS = 24 * 3600 * 1000;

function setup() {
  const clock = { ns: 0 };
  const loop = createEventLoop(() => clock.ns, (error) => {
    throw error;
  });
  const platform = { monotonicNs: () => clock.ns } as unknown as Platform;
  const scheduler = eventLoopScheduler(platform, loop as unknown as TimerFunctions);
  /** Runs the loop, jumping the clock to each deadline; returns how many timer deadlines it took. */
  const run = (): number => {
    let deadlines = 0;
    for (let i = 0; i < 100; i++) {
      const next = loop.tick();
      if (next === -1 || next === NO_DEADLINE) break;
      if (next > clock.ns) {
        clock.ns = next;
        deadlines++;
      }
    }
    return deadlines;
  };
  return { clock, scheduler, run };
}

describe("runtime scheduler", () => {
  it("fires a 90-day timer once, after 90 days, re-arming in steps", () => {
    const { clock, scheduler, run } = setup();
    const fired: number[] = [];
    scheduler.setTimer(90 * DAY_MS, () => fired.push(clock.ns / NS_PER_MS));
    const steps = run();
    expect(fired).toEqual([90 * DAY_MS]);
    expect(steps).toBe(Math.ceil((90 * DAY_MS) / MAX_TIMEOUT_MS));
  });

  it("cancels a long timer in any of its steps, and short timers as before", () => {
    const { clock, scheduler, run } = setup();
    const fired: string[] = [];
    const long = scheduler.setTimer(60 * DAY_MS, () => fired.push("long"));
    const short = scheduler.setTimer(10, () => fired.push("short"));
    scheduler.setTimer(30 * DAY_MS, () => scheduler.clearTimer(long));
    scheduler.clearTimer(short);
    run();
    expect(fired).toEqual([]);
    expect(clock.ns / NS_PER_MS).toBe(30 * DAY_MS);
  });

  it("lets a released timer fire without keeping the loop alive, short or long, until it is held again", () => {
    const { clock, scheduler, run } = setup();
    const fired: string[] = [];
    const short = scheduler.setTimer(10, () => fired.push("short"));
    const long = scheduler.setTimer(60 * DAY_MS, () => fired.push("long"));
    scheduler.holdTimer(short, false);
    scheduler.holdTimer(long, false);
    run();
    expect(fired).toEqual([]);
    expect(clock.ns).toBe(0);

    scheduler.holdTimer(long, true);
    run();
    expect(fired).toEqual(["short", "long"]);
    expect(clock.ns / NS_PER_MS).toBe(60 * DAY_MS);
  });

  it("keeps a long timer released across its steps", () => {
    const { clock, scheduler, run } = setup();
    const fired: string[] = [];
    const long = scheduler.setTimer(60 * DAY_MS, () => fired.push("long"));
    scheduler.holdTimer(long, false);
    // Another timer carries the loop past the long one's first step, where it re-arms: the new
    // step is released too, so the loop stops at 40 days instead of running on to 60.
    scheduler.setTimer(40 * DAY_MS, () => fired.push("40 days"));
    run();
    expect(fired).toEqual(["40 days"]);
    expect(clock.ns / NS_PER_MS).toBe(40 * DAY_MS);
  });
});
