// virtio-rng: every byte the device wrote reaches a caller once, in order, and the waiting for a
// slow device is paced and bounded as configured.
import { rngMachine } from "./rng-harness";
import { describe, expect, it } from "vitest";
import { VirtioTimeoutError } from "../../drivers/virtio/errors";
import { GET_RANDOM_VALUES_MAX_BYTES, VirtioRng, virtioRngDriver, type RngOptions } from "../../drivers/virtio/rng/rng";
import type { SimRequest } from "../sim/virtio/request";
import { RngModel } from "../sim/virtio/rng-model";
import { recordWaits } from "../harness/record-waits";

/** Writes a running count (1..255, never 0) so the order of the bytes can be checked. */
class CountingRngModel extends RngModel {
  next = 0;

  protected override handleRequest(request: SimRequest): number {
    const length = Math.min(request.writableLength, this.maxBytesPerRequest);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = (this.next++ % 255) + 1;
    return request.write(bytes);
  }
}

function expected(from: number, length: number): number[] {
  return Array.from({ length }, (_, i) => ((from + i) % 255) + 1);
}

function setUp(options: RngOptions = {}, queueSize = 64) {
  return rngMachine(options, (machine) => new CountingRngModel(machine.memory, machine.violations, queueSize));
}

/** Holds the device's answers, then takes everything the pool and the answered buffers had. */
function drain(model: RngModel, rng: VirtioRng): void {
  model.holdCompletions = true;
  for (rng.refill(); rng.available > 0; rng.refill()) rng.getRandomValues(new Uint8Array(rng.available));
}

describe("virtio-rng delivers the device's bytes", () => {
  it("in order, none lost or repeated, across calls that fill the pool to the brim", () => {
    // The pool (1024) is a whole number of buffers (64), so it fills exactly and wraps.
    const { rng } = setUp({ poolSize: 1024, bufferSize: 64, buffers: 8 });
    let served = 0;
    for (const length of [10, 1024, 1, 3000, 77, 1024]) {
      const out = rng.getRandomValues(new Uint8Array(length));
      expect(Array.from(out)).toEqual(expected(served, length));
      served += length;
    }
  });

  it("in order when the device returns fewer bytes than each buffer holds", () => {
    const { model, rng } = setUp({ poolSize: 96, bufferSize: 32, buffers: 4 });
    model.maxBytesPerRequest = 5;
    const first = rng.getRandomValues(new Uint8Array(50));
    const second = rng.getRandomValues(new Uint8Array(200));
    expect(Array.from(first)).toEqual(expected(0, 50));
    expect(Array.from(second)).toEqual(expected(50, 200));
  });

  it("without waiting when the device answers at once", () => {
    const { machine, rng } = setUp({ poolSize: 256, bufferSize: 32, buffers: 4 });
    const waits = recordWaits(machine);
    rng.getRandomValues(new Uint8Array(4000));
    expect(waits).toEqual([]);
  });

  it("up to Web Crypto's limit exactly; one byte more is refused, saying why", () => {
    const { rng } = setUp();
    expect(rng.getRandomValues(new Uint8Array(GET_RANDOM_VALUES_MAX_BYTES)).length).toBe(GET_RANDOM_VALUES_MAX_BYTES);
    expect(() => rng.getRandomValues(new Uint8Array(GET_RANDOM_VALUES_MAX_BYTES + 1))).toThrow(
      new RangeError("getRandomValues: 65537 bytes exceeds 65536"),
    );
    expect(() => rng.getRandomValues(new Float32Array(1))).toThrow(new TypeError("getRandomValues needs an integer typed array"));
  });
});

describe("virtio-rng waiting for a slow device", () => {
  it("polls every pollIntervalNs (50 us by default) until the device answers", () => {
    const { machine, model, rng } = setUp();
    drain(model, rng);
    const waits = recordWaits(machine);
    let idle = 0;
    machine.onIdle(() => {
      if (++idle === 5) {
        model.holdCompletions = false;
        model.releaseHeld(0);
      }
    });
    expect(Array.from(rng.getRandomValues(new Uint8Array(16)))).toHaveLength(16);
    expect(waits).toHaveLength(5);
    for (const wait of waits) expect(wait.until - wait.at).toBe(50_000);
  });

  it("gives up after timeoutNs with a typed error saying how much it had", () => {
    const { machine, model, rng } = setUp({ timeoutNs: 1_000_000, pollIntervalNs: 100_000 });
    drain(model, rng);
    const waits = recordWaits(machine);
    const start = machine.monotonicNs();
    let error: unknown;
    try {
      rng.getRandomValues(new Uint8Array(16));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(VirtioTimeoutError);
    expect((error as VirtioTimeoutError).code).toBe("rng-timeout");
    expect((error as Error).message).toContain("no entropy within 1000000 ns (0/16 bytes)");
    // It waited out the whole timeout, in steps no longer than the poll interval.
    expect(machine.monotonicNs() - start).toBeGreaterThanOrEqual(1_000_000);
    expect(waits.length).toBeGreaterThanOrEqual(9);
    for (const wait of waits) {
      expect(wait.until).toBeGreaterThan(wait.at);
      expect(wait.until - wait.at).toBeLessThanOrEqual(100_000);
    }
  });
});

describe("virtio-rng on a ring that breaks", () => {
  it("serves the entropy completed before the broken entry, announcing nothing more to the ring", () => {
    // Two buffers, a pool of two: the device answers each posting at once.
    const { model, rng } = setUp({ poolSize: 128, bufferSize: 64, buffers: 2, interrupts: false });
    rng.refill();
    expect(rng.available).toBe(128);
    // The answer to the next re-posted buffer carries an impossible id.
    model.faults.usedId = "out-of-range";
    expect(rng.getRandomValues(new Uint8Array(64))).toHaveLength(64);
    // Takes the last good answer, re-posts its buffer, then meets the broken entry.
    expect(rng.getRandomValues(new Uint8Array(128))).toHaveLength(128);
    expect(rng.queue.broken).toBeDefined();
    expect(rng.available).toBe(64);
  });
});

describe("virtio-rng set-up", () => {
  it("binds the device's interrupts unless told to poll", () => {
    const polled = setUp({ interrupts: false });
    expect(polled.rng.interruptMode).toBe("polling");
    expect(polled.device.interruptStats).toBeUndefined();
    expect(setUp().device.interruptStats).toBeDefined();
  });

  it("keeps at most 64 ring entries, whatever the device offers", () => {
    expect(setUp({}, 256).rng.queue.size).toBe(64);
  });

  it("registers as virtio-rng", () => {
    expect(virtioRngDriver.name).toBe("virtio-rng");
  });
});
