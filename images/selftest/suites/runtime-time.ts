/** Timer accuracy against the monotonic clock, and wall-clock dates. */
import { expectEqual, expectTrue, type TestRegistry } from "../harness";

const NS_PER_MS = 1e6;
/** Generous: the guest may run under emulation on a busy host. */
const LATENESS_MS = 500;

export function registerTimeTests(t: TestRegistry, monotonicNs: () => number): void {
  t.test("a 50 ms timer fires no earlier than 50 ms and not much later", async () => {
    const start = monotonicNs();
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    const elapsedMs = (monotonicNs() - start) / NS_PER_MS;
    expectTrue(elapsedMs >= 50, `fired after ${elapsedMs} ms`);
    expectTrue(elapsedMs < 50 + LATENESS_MS, `fired after ${elapsedMs} ms`);
  });

  t.test("an interval keeps its average period", async () => {
    const start = monotonicNs();
    await new Promise<void>((resolve) => {
      let ticks = 0;
      const interval = setInterval(() => {
        if (++ticks === 5) {
          clearInterval(interval);
          resolve();
        }
      }, 10);
    });
    const elapsedMs = (monotonicNs() - start) / NS_PER_MS;
    expectTrue(elapsedMs >= 50 && elapsedMs < 50 + LATENESS_MS, `5 periods took ${elapsedMs} ms`);
  });

  t.test("the monotonic clock never goes backwards and advances", async () => {
    let previous = monotonicNs();
    const first = previous;
    for (let i = 0; i < 10000; i++) {
      const now = monotonicNs();
      expectTrue(now >= previous, `went from ${previous} to ${now}`);
      previous = now;
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 2));
    expectTrue(monotonicNs() > first, "did not advance");
  });

  t.test("Date.now is after 2020 and agrees with new Date()", () => {
    const now = Date.now();
    expectTrue(now > Date.UTC(2020, 0, 1), `Date.now() is ${now}`);
    expectTrue(Math.abs(new Date().getTime() - now) < 1000);
    expectTrue(new Date().getUTCFullYear() >= 2020);
  });

  t.test("dates parse and print in ISO form", () => {
    const date = new Date("2024-02-29T12:34:56.789Z");
    expectEqual(date.getTime(), 1709210096789);
    expectEqual(date.toISOString(), "2024-02-29T12:34:56.789Z");
    expectEqual(JSON.stringify({ date }), '{"date":"2024-02-29T12:34:56.789Z"}');
    expectEqual(Date.UTC(1970, 0, 1), 0);
    expectEqual(new Date(Date.UTC(2000, 1, 29)).getUTCDay(), 2);
    expectTrue(Number.isNaN(new Date("not a date").getTime()));
  });
}
