// End to end: a NetStack on the virtio-net driver talks to a peer stack through the simulated device.
import { describe, expect, it } from "vitest";
import { NetStack } from "../../runtime/net/stack";
import { staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { seededRandom } from "../net/seeded-random";
import { assertNoViolations } from "../sim/violations";
import { NetFeature } from "../sim/virtio/net-model";
import { DeviceWire, ManualLoop, netRig } from "./netdrv-harness";

function world(offer: number[]) {
  const loop = new ManualLoop();
  const rig = netRig({ device: { offer }, driver: { loop }, listen: false });
  const scheduler = new ManualScheduler();
  const guest = new NetStack({ link: rig.net, scheduler, random: seededRandom(15) });
  const wire = new DeviceWire(rig.model, scheduler);
  const peer = new NetStack({ link: wire, scheduler, random: seededRandom(2) });
  rig.model.onTransmit = (frame) => scheduler.setTimer(0, () => wire.inject(frame.slice()));
  guest.configureStatic(staticConfig("10.0.2.15"));
  peer.configureStatic(staticConfig("10.0.2.2"));
  const pump = async (turns: number) => {
    for (let i = 0; i < turns; i++) {
      loop.turn();
      await scheduler.advance(1);
    }
  };
  return { ...rig, loop, guest, peer, pump };
}

describe.each([
  ["without offloads", []],
  ["with CSUM and GUEST_CSUM", [NetFeature.Csum, NetFeature.GuestCsum]],
])("a NetStack on virtio-net %s", (_name, offer) => {
  it("pings the peer", async () => {
    const { machine, guest, pump } = world(offer);
    const rtt = guest.ping("10.0.2.2");
    await pump(20);
    await expect(rtt).resolves.toBeGreaterThanOrEqual(0);
    assertNoViolations(machine.violations);
  });

  it("echoes UDP datagrams of every size, including fragmented ones, intact", async () => {
    const { machine, model, net, guest, peer, pump } = world(offer);
    const echo = peer.udp.bind(7);
    echo.onMessage((m) => echo.send(m.address, m.port, m.data));
    const socket = guest.udp.bind(5000);
    const replies: Uint8Array[] = [];
    socket.onMessage((m) => replies.push(m.data));
    const sizes = [0, 1, 17, 100, 512, 1000, 1472, 1473, 3000, 8000];
    const payloads = sizes.map((size, n) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + n) & 0xff));
    for (const payload of payloads) socket.send("10.0.2.2", 7, payload);
    await pump(40);
    expect(replies.map((r) => Array.from(r))).toEqual(payloads.map((p) => Array.from(p)));
    expect(guest.counters.drops["udp.badChecksum"]).toBe(0);
    expect(peer.counters.drops["udp.badChecksum"]).toBe(0);
    // With CSUM the device computed the UDP checksums the guest left to it.
    expect(model.transmittedHeaders.some((header) => header[0] === 1)).toBe(offer.length > 0);
    expect(net.counters.rxShort + net.counters.rxBadHeader + net.counters.deviceErrors).toBe(0);
    assertNoViolations(machine.violations);
  });
});
