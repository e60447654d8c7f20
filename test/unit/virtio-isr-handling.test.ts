// The INTx interrupt status decode (virtio 1.2 section 4.1.4.5) and the checks on the queues a
// driver asks interrupts for: pure functions of the interrupt core.
import { describe, expect, it } from "vitest";
import { VirtioUsageError } from "../../drivers/virtio/errors";
import { boundQueues, handleIsr, newInterruptStats, type VirtioInterruptHandlers } from "../../drivers/virtio/interrupts";

/** ISR status bits (virtio 1.2 section 4.1.4.5). */
const ISR_QUEUE = 0x1;
const ISR_CONFIG = 0x2;

function recorder(queues: number[], withConfig = true) {
  const events: string[] = [];
  const handlers: VirtioInterruptHandlers = {
    queues,
    onQueue: (index) => events.push(`q${index}`),
    ...(withConfig ? { onConfig: () => events.push("config") } : {}),
  };
  return { events, handlers };
}

function isr(value: number, queues = [0, 2], withConfig = true) {
  const { events, handlers } = recorder(queues, withConfig);
  const stats = newInterruptStats();
  handleIsr(value, handlers, queues, stats);
  return { events, stats };
}

describe("ISR decode", () => {
  it("0: the line was someone else's; nothing runs", () => {
    expect(isr(0)).toEqual({ events: [], stats: { interrupts: 0, spurious: 1, invalidIsr: 0 } });
  });

  it("queue bit: every bound queue is looked at, in order", () => {
    expect(isr(ISR_QUEUE)).toEqual({ events: ["q0", "q2"], stats: { interrupts: 1, spurious: 0, invalidIsr: 0 } });
  });

  it("configuration bit: only the configuration handler runs", () => {
    expect(isr(ISR_CONFIG)).toEqual({ events: ["config"], stats: { interrupts: 1, spurious: 0, invalidIsr: 0 } });
  });

  it("both bits: queues, then configuration, counted as one interrupt", () => {
    expect(isr(ISR_QUEUE | ISR_CONFIG)).toEqual({ events: ["q0", "q2", "config"], stats: { interrupts: 1, spurious: 0, invalidIsr: 0 } });
  });

  it("the configuration bit without a configuration handler is harmless", () => {
    expect(isr(ISR_QUEUE | ISR_CONFIG, [1], false)).toEqual({ events: ["q1"], stats: { interrupts: 1, spurious: 0, invalidIsr: 0 } });
  });

  it("reserved bits are counted as invalid, the defined bits still served", () => {
    expect(isr(0x04 | ISR_QUEUE)).toEqual({ events: ["q0", "q2"], stats: { interrupts: 1, spurious: 0, invalidIsr: 1 } });
    expect(isr(0x80)).toEqual({ events: [], stats: { interrupts: 1, spurious: 0, invalidIsr: 1 } });
  });

  it("all ones (an unreachable device) is invalid and serves nothing", () => {
    expect(isr(0xff)).toEqual({ events: [], stats: { interrupts: 0, spurious: 0, invalidIsr: 1 } });
  });

  it("counters accumulate across interrupts", () => {
    const { handlers } = recorder([0]);
    const stats = newInterruptStats();
    for (const value of [ISR_QUEUE, 0, ISR_CONFIG, 0xff, 0]) handleIsr(value, handlers, [0], stats);
    expect(stats).toEqual({ interrupts: 2, spurious: 2, invalidIsr: 1 });
  });
});

describe("queues named for interrupts", () => {
  const handlers = (queues: number | number[]): VirtioInterruptHandlers => ({ queues, onQueue: () => {} });

  it("a count n means queues 0..n-1; a list is kept in its order", () => {
    expect(boundQueues("00:03.0", handlers(3), 3)).toEqual([0, 1, 2]);
    expect(boundQueues("00:03.0", handlers(0), 3)).toEqual([]);
    expect(boundQueues("00:03.0", handlers([2, 0]), 3)).toEqual([2, 0]);
  });

  it.each([
    [[3], "queue 3 is not one of the device's 3 queues"],
    [[-1], "queue -1 is not one of the device's 3 queues"],
    [[1.5], "queue 1.5 is not one of the device's 3 queues"],
    [4, "queue 3 is not one of the device's 3 queues"],
    [[1, 0, 1], "queue listed twice in 1,0,1"],
  ])("%j is refused", (queues, detail) => {
    let thrown: unknown;
    try {
      boundQueues("00:03.0", handlers(queues), 3);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VirtioUsageError);
    expect(thrown).toMatchObject({ deviceName: "00:03.0", code: "interrupt-queue", detail });
  });
});
