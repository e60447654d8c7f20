import { rngMachine } from "./rng-harness";
import { describe, expect, it } from "vitest";
import { VirtioTimeoutError } from "../../drivers/virtio/errors";
import { VirtioRng } from "../../drivers/virtio/rng/rng";
import type { RngOptions } from "../../drivers/virtio/rng/rng";
import { VirtioDevice } from "../../drivers/virtio/device";
import type { Virtqueue } from "../../drivers/virtio/ring/virtqueue";
import { assertNoViolations } from "../sim/violations";
import { RngModel } from "../sim/virtio/rng-model";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { SimMachine } from "../sim/machine";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { EagerEmptyQueue } from "./eager-empty-queue";

const setUp = (options: RngOptions = {}) => rngMachine(options);

describe("virtio-rng getRandomValues", () => {
  it("serves requests larger than the pool by polling the device", () => {
    const { machine, model, rng } = setUp({ poolSize: 256, bufferSize: 32, buffers: 4 });
    const out = rng.getRandomValues(new Uint8Array(4000));
    expect(new Set(out).size).toBeGreaterThan(200);
    expect(model.bytesProduced).toBeGreaterThanOrEqual(4000);
    assertNoViolations(machine.violations);
  });

  it("keeps the pool pre-filled after each call", () => {
    const { rng } = setUp({ poolSize: 1024, bufferSize: 64, buffers: 8 });
    rng.getRandomValues(new Uint8Array(10));
    rng.refill();
    expect(rng.available).toBeGreaterThan(0);
  });

  it("copes with a device that returns fewer bytes than asked", () => {
    const { model, rng } = setUp();
    model.maxBytesPerRequest = 3;
    const out = rng.getRandomValues(new Uint16Array(300));
    expect(out.filter((v) => v !== 0).length).toBeGreaterThan(250);
  });

  it("writes into the view's own bytes only", () => {
    const { rng } = setUp();
    const backing = new Uint8Array(16);
    rng.getRandomValues(new Uint8Array(backing.buffer, 4, 8));
    expect(Array.from(backing.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(backing.subarray(12))).toEqual([0, 0, 0, 0]);
  });

  it("times out with a typed error when the device stops answering", () => {
    const { model, rng } = setUp({ timeoutNs: 5_000_000 });
    rng.getRandomValues(new Uint8Array(8));
    model.holdCompletions = true;
    // Pool (1024) plus every posted buffer (8 x 64) is less than this.
    expect(() => rng.getRandomValues(new Uint8Array(4096))).toThrow(VirtioTimeoutError);
    expect(() => rng.getRandomValues(new Uint8Array(1))).toThrow(/rng-timeout/);
    model.holdCompletions = false;
    model.releaseHeld(0);
    expect(rng.getRandomValues(new Uint8Array(16)).length).toBe(16);
  });

  it("takes at most one round of its buffers per refill from a device returning them empty at once", () => {
    const machine = new SimMachine();
    const model = new RngModel(machine.memory, machine.violations);
    addVirtioPci(machine, model, { device: 3, layout: "modern" });
    const config = new PortPciConfig(machine.ports);
    const device = new VirtioDevice(machine, createPciTransport(machine, config, enumeratePci(config)[0]));
    device.acknowledge();
    device.negotiate(0n);
    const buffers = 4;
    const queue = new EagerEmptyQueue(machine, buffers);
    device.createQueue = <T>() => queue as unknown as Virtqueue<T>;
    const rng = new VirtioRng(device, { buffers, interrupts: false });
    rng.start();
    rng.refill();
    // start() posted every buffer and the device used each at once; refill re-posts each once.
    expect(queue.used).toBeLessThanOrEqual(2 * buffers);
    expect(rng.available).toBe(0);
  });

  it("rejects non-integer arrays and oversized requests like Web Crypto", () => {
    const { rng } = setUp();
    expect(() => rng.getRandomValues(new Float64Array(2))).toThrow(TypeError);
    expect(() => rng.getRandomValues(new Uint8Array(65537))).toThrow(RangeError);
  });

});
