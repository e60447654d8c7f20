// The simulated balloon as an oracle: driven by hand (no balloon driver), it accepts what the
// specification allows and records each driver-side misstep it can see.
import { describe, expect, it } from "vitest";
import { DmaSlab } from "../../kernel/dma";
import { PAGE_SIZE } from "../../kernel/platform";
import { BALLOON_CONFIG } from "../../drivers/virtio/balloon/constants";
import { Completion } from "../../drivers/virtio/ring/virtqueue";
import { bringUpPci } from "../harness/bring-up";
import { assertNoViolations } from "../sim/violations";
import { BalloonModel } from "../sim/virtio/balloon-model";
import { VIRTIO_BALLOON_F, VIRTIO_BALLOON_S } from "../sim/virtio/spec/balloon";
import { featureBit } from "../sim/virtio/spec/feature-bits";

const INFLATE = 0;
const DEFLATE = 1;
const STATS = 2;

function balloon() {
  const features = featureBit(VIRTIO_BALLOON_F.STATS_VQ);
  const up = bringUpPci((m, v) => new BalloonModel(m, v, { features }), { features, queues: [{}, {}, {}] });
  const arrays = new DmaSlab(up.machine, 2, PAGE_SIZE);
  /** Sends `pfns` on `queue` and takes the device's acknowledgement. */
  const send = (queue: number, pfns: readonly number[]): void => {
    const view = new DataView(arrays.region.buffer, queue * PAGE_SIZE, PAGE_SIZE);
    pfns.forEach((pfn, i) => view.setUint32(i * 4, pfn, true));
    const q = up.queues[queue];
    q.begin();
    q.addReadable(arrays.physical(queue), pfns.length * 4);
    q.publish(queue);
    q.kick();
    expect(q.nextCompletion()).toBe(Completion.Taken);
  };
  const page = () => up.machine.allocDma(PAGE_SIZE);
  const violations = () => up.machine.violations.entries.join("\n");
  return { ...up, send, page, violations };
}

const pfn = (physical: number) => physical / PAGE_SIZE;

describe("simulated virtio-balloon device", () => {
  it("accepts inflating allocated pages, deflating them, and an actual that matches", () => {
    const { machine, model, device, send, page } = balloon();
    model.setTarget(2);
    expect(device.transport.readConfig(BALLOON_CONFIG.num_pages)).toBe(2);
    const pages = [page(), page()];
    send(INFLATE, pages.map((p) => pfn(p.physical)));
    device.transport.writeConfig(BALLOON_CONFIG.actual, 2);
    send(DEFLATE, [pfn(pages[1].physical)]);
    machine.freeDma(pages[1]);
    device.transport.writeConfig(BALLOON_CONFIG.actual, 1);
    expect(model.balloon.size).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("flags inflating memory the driver does not own, a page twice, and deflating a page not in the balloon", () => {
    const { model, send, page, violations } = balloon();
    const owned = page();
    send(INFLATE, [pfn(owned.physical), pfn(owned.physical), 0x12345]);
    expect(violations()).toMatch(/already in the balloon/);
    expect(violations()).toMatch(/not memory the driver allocated/);
    send(DEFLATE, [pfn(owned.physical) + 1]);
    expect(violations()).toMatch(/not in the balloon/);
    expect(model.balloon.size).toBe(1);
  });

  it("flags an actual that does not count the balloon, and a balloon page freed without a deflate", () => {
    const { machine, device, send, page, violations } = balloon();
    const pages = [page(), page()];
    send(INFLATE, pages.map((p) => pfn(p.physical)));
    device.transport.writeConfig(BALLOON_CONFIG.actual, 3);
    expect(violations()).toMatch(/actual 3 but the balloon holds 2/);
    machine.freeDma(pages[0]);
    device.transport.writeConfig(BALLOON_CONFIG.actual, 2);
    expect(violations()).toMatch(/freed while in the balloon/);
  });

  it("holds the statistics buffer until it wants figures, and flags a second buffer or a changed set", () => {
    const { model, queues, machine, violations } = balloon();
    const slab = new DmaSlab(machine, 2, 64);
    const post = (slot: number, entries: readonly [number, bigint][]): void => {
      const view = new DataView(slab.region.buffer, slot * 64, 64);
      entries.forEach(([tag, value], i) => {
        view.setUint16(i * 10, tag, true);
        view.setBigUint64(i * 10 + 2, value, true);
      });
      queues[STATS].begin();
      queues[STATS].addReadable(slab.physical(slot), entries.length * 10);
      queues[STATS].publish(slot);
      queues[STATS].kick();
    };
    post(0, [[VIRTIO_BALLOON_S.MEMFREE, 4096n]]);
    expect(model.stats.get(VIRTIO_BALLOON_S.MEMFREE)).toBe(4096n);
    expect(queues[STATS].nextCompletion()).toBe(Completion.None);
    post(1, [[VIRTIO_BALLOON_S.MEMFREE, 8192n]]);
    expect(violations()).toMatch(/second statistics buffer/);
    expect(model.requestStats()).toBe(true);
    expect(queues[STATS].nextCompletion()).toBe(Completion.Taken);
    post(0, [[VIRTIO_BALLOON_S.MEMTOT, 1n]]);
    expect(violations()).toMatch(/differ from the earlier/);
  });
});
