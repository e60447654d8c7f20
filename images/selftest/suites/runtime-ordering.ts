/** Ordering of synchronous code, promise jobs, microtasks and timers, as Node defines it. */
import { expectEqual, expectTrue, type TestRegistry } from "../harness";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function registerOrderingTests(t: TestRegistry): void {
  t.test("sync code, then microtasks, then setTimeout 0", async () => {
    const order: string[] = [];
    setTimeout(() => order.push("timeout"), 0);
    void Promise.resolve().then(() => order.push("promise"));
    queueMicrotask(() => order.push("microtask"));
    order.push("sync");
    await sleep(10);
    expectEqual(order, ["sync", "promise", "microtask", "timeout"]);
  });

  t.test("nested microtasks all run before the next timer", async () => {
    const order: string[] = [];
    setTimeout(() => order.push("timeout"), 0);
    queueMicrotask(() => {
      order.push("outer");
      queueMicrotask(() => {
        order.push("inner");
        void Promise.resolve().then(() => order.push("innermost"));
      });
    });
    await sleep(10);
    expectEqual(order, ["outer", "inner", "innermost", "timeout"]);
  });

  t.test("timers with equal delays fire in creation order", async () => {
    const order: number[] = [];
    for (let i = 0; i < 10; i++) setTimeout(() => order.push(i), 5);
    await sleep(20);
    expectEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  t.test("shorter delays fire first", async () => {
    const order: string[] = [];
    setTimeout(() => order.push("20"), 20);
    setTimeout(() => order.push("1"), 1);
    setTimeout(() => order.push("10"), 10);
    await sleep(40);
    expectEqual(order, ["1", "10", "20"]);
  });

  t.test("promise jobs queued by a timer run before the next timer", async () => {
    const order: string[] = [];
    setTimeout(() => {
      order.push("t1");
      void Promise.resolve().then(() => order.push("p1"));
    }, 1);
    setTimeout(() => order.push("t2"), 1);
    await sleep(15);
    expectEqual(order, ["t1", "p1", "t2"]);
  });

  t.test("timers pass extra arguments and can be cleared, even from a callback", async () => {
    const seen: unknown[] = [];
    // The clearing timer is created first: its deadline is then earlier however long the guest
    // is held up between the two calls (a busy host under TCG).
    let cancelled: ReturnType<typeof setTimeout> | undefined;
    setTimeout((a: string, b: number) => {
      seen.push(a, b);
      clearTimeout(cancelled);
    }, 1, "x", 2);
    cancelled = setTimeout(() => seen.push("cancelled"), 5);
    clearTimeout(undefined);
    await sleep(20);
    expectEqual(seen, ["x", 2]);
  });

  t.test("setInterval repeats until cleared inside its callback", async () => {
    let count = 0;
    await new Promise<void>((resolve) => {
      const interval = setInterval(() => {
        if (++count === 3) {
          clearInterval(interval);
          resolve();
        }
      }, 2);
    });
    await sleep(10);
    expectEqual(count, 3);
  });

  t.test("timer handles support ref, unref and hasRef", () => {
    const timer = setTimeout(() => undefined, 1000);
    expectTrue(timer.hasRef());
    expectEqual(timer.unref().hasRef(), false);
    expectTrue(timer.ref().hasRef());
    clearTimeout(timer);
  });

  t.test("async functions interleave with awaited promises in order", async () => {
    const order: string[] = [];
    const task = async (name: string) => {
      order.push(`${name}1`);
      await null;
      order.push(`${name}2`);
      await null;
      order.push(`${name}3`);
    };
    await Promise.all([task("a"), task("b")]);
    expectEqual(order, ["a1", "b1", "a2", "b2", "a3", "b3"]);
  });
}
