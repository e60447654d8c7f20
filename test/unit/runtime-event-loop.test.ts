import { describe, expect, it } from "vitest";
import { createEventLoop, NO_DEADLINE, type EventLoop } from "../../kernel/event-loop";

const MS = 1e6;

function setup() {
  const clock = { ns: 1000 * MS };
  const uncaught: unknown[] = [];
  const loop = createEventLoop(() => clock.ns, (error) => uncaught.push(error));
  return { clock, loop, uncaught };
}

const flushMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Plays the native kernel: tick, drain promise jobs, jump the clock to the next deadline. */
async function drive(loop: EventLoop, clock: { ns: number }, maxTicks = 1000): Promise<number> {
  let result = -1;
  for (let i = 0; i < maxTicks; i++) {
    result = loop.tick();
    await flushMicrotasks();
    if (result === -1 || result === NO_DEADLINE) return result;
    if (result > clock.ns) clock.ns = result;
  }
  return result;
}

describe("event loop", () => {
  it("reports an empty loop as finished", () => {
    const { loop } = setup();
    expect(loop.tick()).toBe(-1);
  });

  it("returns the next deadline and runs equal deadlines in creation order", async () => {
    const { clock, loop } = setup();
    const order: string[] = [];
    loop.setTimeout(() => order.push("b"), 10);
    loop.setTimeout(() => order.push("a"), 5);
    loop.setTimeout(() => order.push("c"), 10);
    loop.setTimeout(() => order.push("d"), 10);
    expect(loop.tick()).toBe(clock.ns + 5 * MS);
    expect(await drive(loop, clock)).toBe(-1);
    expect(order).toEqual(["a", "b", "c", "d"]);
  });

  it("treats delays below 1 ms or invalid as 1 ms and passes arguments", async () => {
    const { clock, loop } = setup();
    const start = clock.ns;
    const seen: unknown[] = [];
    loop.setTimeout((x, y) => seen.push([x, y, clock.ns - start]), 0, "x", 2);
    loop.setTimeout(() => seen.push(clock.ns - start), Number.NaN);
    loop.setTimeout(() => seen.push(clock.ns - start), 2 ** 40);
    await drive(loop, clock);
    expect(seen).toEqual([["x", 2, MS], MS, MS]);
  });

  it("runs promise jobs between timer callbacks", async () => {
    const { clock, loop } = setup();
    const order: string[] = [];
    loop.setTimeout(() => {
      order.push("t1");
      void Promise.resolve().then(() => order.push("p1"));
      loop.queueMicrotask(() => order.push("m1"));
    }, 1);
    loop.setTimeout(() => order.push("t2"), 1);
    await drive(loop, clock);
    expect(order).toEqual(["t1", "p1", "m1", "t2"]);
  });

  it("keeps intervals on their grid and skips missed periods", async () => {
    const { clock, loop } = setup();
    const start = clock.ns;
    const fired: number[] = [];
    const interval = loop.setInterval(() => {
      fired.push((clock.ns - start) / MS);
      if (fired.length === 2) clock.ns += 3 * MS; // the callback is late by a fraction of a period
      if (fired.length === 3) clock.ns += 25 * MS; // two whole periods are missed
      if (fired.length === 5) loop.clearInterval(interval);
    }, 10);
    expect(await drive(loop, clock)).toBe(-1);
    expect(fired).toEqual([10, 20, 30, 55, 60]); // one late catch-up, then back on the grid
  });

  it("lets a callback clear timers, including itself and later ones", async () => {
    const { clock, loop } = setup();
    const order: string[] = [];
    const later = loop.setTimeout(() => order.push("later"), 5);
    loop.setTimeout(() => {
      order.push("first");
      loop.clearTimeout(later);
    }, 1);
    loop.clearTimeout(undefined);
    loop.clearTimeout(null);
    expect(await drive(loop, clock)).toBe(-1);
    expect(order).toEqual(["first"]);
  });

  it("does not stay alive for unreferenced timers but still fires them while alive", async () => {
    const { clock, loop } = setup();
    const order: string[] = [];
    const background = loop.setTimeout(() => order.push("background"), 5).unref();
    expect(background.hasRef()).toBe(false);
    expect(loop.tick()).toBe(-1);
    loop.setTimeout(() => order.push("foreground"), 10);
    await drive(loop, clock);
    expect(order).toEqual(["background", "foreground"]);
    const idle = loop.setInterval(() => undefined, 1).unref();
    expect(loop.tick()).toBe(-1);
    idle.ref();
    expect(loop.tick()).toBeGreaterThan(0);
    loop.clearInterval(idle);
    expect(loop.tick()).toBe(-1);
  });

  it("re-arms a timer with refresh()", async () => {
    const { clock, loop } = setup();
    const start = clock.ns;
    const fired: number[] = [];
    const timer = loop.setTimeout(() => fired.push((clock.ns - start) / MS), 10);
    clock.ns += 6 * MS;
    timer.refresh();
    await drive(loop, clock);
    expect(fired).toEqual([16]);
  });

  it("reports errors thrown by callbacks as uncaught and keeps going", async () => {
    const { clock, loop, uncaught } = setup();
    const boom = new Error("boom");
    let after = false;
    loop.setTimeout(() => {
      throw boom;
    }, 1);
    loop.setTimeout(() => (after = true), 2);
    loop.queueMicrotask(() => {
      throw "micro";
    });
    await drive(loop, clock);
    expect(uncaught).toEqual(["micro", boom]);
    expect(after).toBe(true);
  });

  it("validates callbacks like Node", () => {
    const { loop } = setup();
    expect(() => loop.setTimeout("code" as never)).toThrow(TypeError);
    expect(() => loop.queueMicrotask(1 as never)).toThrow(TypeError);
  });

  it("runs immediates in order, after due timers, and supports clearImmediate", async () => {
    const { clock, loop } = setup();
    const order: string[] = [];
    loop.setImmediate((x) => order.push(`i1${x}`), "!");
    const cancelled = loop.setImmediate(() => order.push("never"));
    loop.setImmediate(() => {
      order.push("i3");
      loop.setImmediate(() => order.push("i4"));
    });
    loop.clearImmediate(cancelled);
    expect(await drive(loop, clock)).toBe(-1);
    expect(order).toEqual(["i1!", "i3", "i4"]);
  });

  it("runs pollers every tick while registered; referenced ones keep the loop spinning", () => {
    const { loop } = setup();
    let polls = 0;
    const poller = loop.addPoller(() => {
      polls++;
      if (polls === 3) poller.close();
    });
    const quiet = loop.addPoller(() => undefined).unref();
    expect(loop.tick()).toBe(0);
    expect(loop.tick()).toBe(0);
    expect(loop.tick()).toBe(-1);
    expect(polls).toBe(3);
    quiet.close();
    quiet.close();
    expect(loop.tick()).toBe(-1);
  });

  it("keeps running later pollers when one closes itself mid-tick", () => {
    const { loop } = setup();
    const seen: string[] = [];
    const first = loop.addPoller(() => {
      seen.push("a");
      first.close();
    });
    loop.addPoller(() => seen.push("b")).unref();
    loop.tick();
    loop.tick();
    expect(seen).toEqual(["a", "b", "b"]);
  });

  it("waits for interrupts while a wake source is referenced and runs it once per wake", () => {
    const { clock, loop } = setup();
    let wakes = 0;
    const source = loop.addWakeSource(() => wakes++);
    expect(loop.tick()).toBe(NO_DEADLINE);
    loop.setTimeout(() => undefined, 4).unref();
    expect(loop.tick()).toBe(clock.ns + 4 * MS);
    source.wake();
    source.wake();
    expect(loop.tick()).toBe(clock.ns + 4 * MS);
    expect(wakes).toBe(1);
    source.wake();
    source.unref();
    expect(loop.tick()).toBe(-1);
    expect(wakes).toBe(2);
    source.wake();
    source.close();
    expect(loop.tick()).toBe(-1);
    expect(wakes).toBe(2);
  });

  it("runs a wake source again at once when woken from a callback", () => {
    const { loop } = setup();
    let wakes = 0;
    const source = loop.addWakeSource(() => wakes++).unref();
    loop.addPoller(() => source.wake()).unref();
    expect(loop.tick()).toBe(-1);
    source.ref();
    expect(loop.tick()).toBe(0);
    expect(wakes).toBe(1);
  });

  it("works detached from the loop object, as installed globals", async () => {
    const { clock, loop } = setup();
    const { setTimeout, clearTimeout } = loop;
    let fired = false;
    const timer = setTimeout(() => (fired = true), 1);
    clearTimeout(timer);
    setTimeout(() => (fired = true), 2);
    await drive(loop, clock);
    expect(fired).toBe(true);
  });
});
