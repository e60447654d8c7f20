// A NIC whose ring breaks, or that sets DEVICE_NEEDS_RESET, is reset under the stack and the stack
// goes on: pings answer again and a TCP connection opened before the fault carries data after it.
// A NIC that keeps breaking is given up after the budget.
import { describe, expect, it } from "vitest";
import { VirtioNet } from "../../drivers/virtio/net/net";
import { RecoveringLink } from "../../runtime/net/recovering-link";
import { NetStack } from "../../runtime/net/stack";
import { staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { seededRandom } from "../net/seeded-random";
import { assertNoViolations } from "../sim/violations";
import { DeviceWire, ManualLoop, netRig } from "./netdrv-harness";

function world(maxRecoveriesPerMinute?: number) {
  const loop = new ManualLoop();
  const rig = netRig({ driver: { loop }, listen: false });
  const scheduler = new ManualScheduler();
  const link = new RecoveringLink(rig.net, { scheduler, maxRecoveriesPerMinute });
  const guest = new NetStack({ link, scheduler, random: seededRandom(15) });
  const wire = new DeviceWire(rig.model, scheduler);
  const peer = new NetStack({ link: wire, scheduler, random: seededRandom(2) });
  rig.model.onTransmit = (frame) => scheduler.setTimer(0, () => wire.inject(frame.slice()));
  guest.configureStatic(staticConfig("10.0.2.15"));
  peer.configureStatic(staticConfig("10.0.2.2"));
  const pump = async (turns: number, stepMs = 1) => {
    for (let i = 0; i < turns; i++) {
      loop.turn();
      await scheduler.advance(stepMs);
    }
  };
  return { ...rig, loop, link, guest, peer, pump };
}

describe("a network link that breaks is reset under the stack", () => {
  it("comes back after a corrupted ring: ping answers again and an open TCP connection carries data", async () => {
    const { machine, model, net, link, guest, peer, pump } = world();
    const received: number[] = [];
    peer.tcp.listen(7000, (conn) => conn.onData((data) => received.push(...data)));
    const connecting = guest.tcp.connect("10.0.2.2", 7000);
    await pump(20);
    const conn = await connecting;
    void conn.write(Uint8Array.of(1, 2, 3));
    await pump(20);
    expect(received).toEqual([1, 2, 3]);

    // The next buffer the device returns names one not in flight.
    model.faults.usedId = "out-of-range";
    const lost = guest.ping("10.0.2.2", { timeoutMs: 50 }).catch((error: unknown) => error);
    await pump(5);
    model.faults.usedId = "ok";
    expect(link.recoveries).toBe(1);
    expect(link.lastError?.message).toMatch(/used-id/);
    expect(link.link).not.toBe(net);
    expect(link.link).toBeInstanceOf(VirtioNet);
    expect(link.linkUp).toBe(true);
    await pump(60);
    expect(await lost).toMatchObject({ code: "timeout" });

    const rtt = guest.ping("10.0.2.2");
    await pump(20);
    await expect(rtt).resolves.toBeGreaterThanOrEqual(0);
    void conn.write(Uint8Array.of(4, 5, 6));
    await pump(400, 5);
    expect(received).toEqual([1, 2, 3, 4, 5, 6]);
    assertNoViolations(machine.violations);
  });

  it("comes back after the device sets DEVICE_NEEDS_RESET", async () => {
    const { machine, model, probed, link, guest, pump } = world();
    model.enterNeedsReset();
    await pump(5);
    expect(probed.device?.needsResets).toBe(1);
    expect(link.recoveries).toBe(1);
    const rtt = guest.ping("10.0.2.2");
    await pump(20);
    await expect(rtt).resolves.toBeGreaterThanOrEqual(0);
    assertNoViolations(machine.violations);
  });

  it("gives the link up once it broke more often than the budget allows in a minute", async () => {
    const { model, link, guest, pump } = world(2);
    for (let i = 0; i < 3; i++) {
      model.enterNeedsReset();
      await pump(5);
    }
    expect(link.recoveries).toBe(2);
    expect(link.offline?.message).toMatch(/already reset 2 times within a minute/);
    expect(link.linkUp).toBe(false);
    const unanswered = guest.ping("10.0.2.2", { timeoutMs: 50 }).catch((error: unknown) => error);
    await pump(60);
    expect(await unanswered).toMatchObject({ code: "timeout" });
  });
});
