// virtio-net driver: frames spread over several receive buffers (MRG_RXBUF) and num_buffers checks.
import { describe, expect, it } from "vitest";
import { assertNoViolations } from "../sim/violations";
import { GUEST_MAC, frameTo, netRig } from "./netdrv-harness";

describe("virtio-net mergeable receive buffers", () => {
  it("gathers a frame spread over several buffers and re-posts all of them", () => {
    const { machine, model, net, received } = netRig({ driver: { rxBuffers: 16 } });
    const frame = frameTo(GUEST_MAC, 1400);
    expect(model.injectFrame(frame, { maxBufferBytes: 500 })).toBe(true);
    expect(model.postedRxBuffers).toBe(13);
    net.poll();
    expect(received.map((r) => r.frame)).toEqual([Array.from(frame)]);
    expect(net.counters.rxMerged).toBe(1);
    expect(model.postedRxBuffers).toBe(16);
    assertNoViolations(machine.violations);
  });

  it("uses small buffers from the options and keeps single-buffer frames unmerged", () => {
    const { machine, model, net, received } = netRig({ driver: { rxBufferSize: 256, rxBuffers: 32 } });
    const small = frameTo(GUEST_MAC, 100);
    const large = frameTo(GUEST_MAC, 1500);
    model.injectFrame(small);
    model.injectFrame(large);
    model.injectFrame(small);
    net.poll();
    expect(received.map((r) => r.frame)).toEqual([small, large, small].map((f) => Array.from(f)));
    expect(net.counters.rxMerged).toBe(1);
    expect(model.postedRxBuffers).toBe(32);
    assertNoViolations(machine.violations);
  });

  it("gathers a frame whose first buffer holds only the header, and one that takes every posted buffer", () => {
    const { machine, model, net, received } = netRig({ driver: { rxBuffers: 8 } });
    const first = frameTo(GUEST_MAC, 60);
    expect(model.injectFrame(first, { maxBufferBytes: 12 })).toBe(true);
    net.poll();
    // 12 + 14 + 720 bytes in buffers of at most 100: all eight.
    const second = frameTo(GUEST_MAC, 720);
    expect(model.injectFrame(second, { maxBufferBytes: 100 })).toBe(true);
    expect(model.postedRxBuffers).toBe(0);
    net.poll();
    expect(received.map((r) => r.frame)).toEqual([Array.from(first), Array.from(second)]);
    expect(net.counters).toMatchObject({ rxMerged: 2, rxShort: 0, rxBadHeader: 0 });
    assertNoViolations(machine.violations);
  });

  it("hands each frame over at its own length when buffers are reused, allocating no new view for a repeated length", () => {
    for (const maxBufferBytes of [undefined, 40]) {
      const { machine, model, net } = netRig({ driver: { rxBuffers: maxBufferBytes === undefined ? 1 : 4 }, listen: false });
      const frames: Uint8Array[] = [];
      const seen: number[][] = [];
      net.onReceive((frame) => {
        frames.push(frame);
        seen.push(Array.from(frame));
      });
      const lengths = [60, 100, 100, 60];
      for (const length of lengths) {
        model.injectFrame(frameTo(GUEST_MAC, length), { maxBufferBytes });
        net.poll();
      }
      expect(seen).toEqual(lengths.map((length) => Array.from(frameTo(GUEST_MAC, length))));
      expect(frames[2]).toBe(frames[1]);
      assertNoViolations(machine.violations);
    }
  });

  it("finishes a frame whose buffers straddle two polls", () => {
    const { model, net, received } = netRig({ driver: { rxBudget: 2 } });
    const frame = frameTo(GUEST_MAC, 1000);
    model.injectFrame(frame, { maxBufferBytes: 300 });
    net.poll();
    expect(received).toEqual([]);
    net.poll();
    expect(received.map((r) => r.frame)).toEqual([Array.from(frame)]);
  });

  it("rejects num_buffers of 0 or beyond the posted buffers as a device error", () => {
    const { model, net, received } = netRig({ driver: { rxBuffers: 8 } });
    const header = (numBuffers: number) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, numBuffers & 0xff, numBuffers >> 8, ...frameTo(GUEST_MAC, 50)]);
    model.injectRaw(header(0));
    model.injectRaw(header(9));
    net.poll();
    expect(received).toEqual([]);
    expect(net.counters.rxBadHeader).toBe(2);
    expect(net.counters.deviceErrors).toBe(2);
    expect(net.counters.lastDeviceError?.code).toBe("num-buffers");
    expect(net.counters.lastDeviceError?.message).toMatch(/00:04\.0.*num_buffers 9/);
    // The driver carries on with the next good frame.
    model.injectFrame(frameTo(GUEST_MAC, 50));
    net.poll();
    expect(received.length).toBe(1);
  });

  it("drops a gathered frame longer than the MTU allows", () => {
    const { model, net, received } = netRig({ device: { mtu: 576 } });
    model.injectFrame(frameTo(GUEST_MAC, 1000), { maxBufferBytes: 400 });
    model.injectFrame(frameTo(GUEST_MAC, 500), { maxBufferBytes: 400 });
    net.poll();
    expect(received.map((r) => r.frame.length)).toEqual([514]);
    expect(net.counters.rxBadHeader).toBe(1);
  });

  it("clamps a used length beyond the buffer and counts it on the queue", () => {
    const { model, net, probed } = netRig({ driver: { rxBufferSize: 256 } });
    model.faults.usedLengthExtra = 1000;
    model.injectFrame(frameTo(GUEST_MAC, 100));
    net.poll();
    expect(probed.device?.queues[0].lengthClamps).toBe(1);
    expect(probed.device?.queues[0].broken).toBeUndefined();
    expect(net.linkUp).toBe(true);
  });
});
