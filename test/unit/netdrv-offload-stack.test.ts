// End to end with offloads: a NetStack on the virtio-net driver sends TCP through segmentation
// offload (the simulated device cuts it for the peer) and takes coalesced large receives (the
// device merges the peer's segments), against a peer NetStack that has neither.
import { describe, expect, it } from "vitest";
import type { ChecksumOffload } from "../../drivers/net-link";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { NetStack } from "../../runtime/net/stack";
import { staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { seededRandom } from "../net/seeded-random";
import { SimLink, mac } from "../net/sim-link";
import { assertNoViolations } from "../sim/violations";
import { NetFeature, type NetModel } from "../sim/virtio/net-model";
import { ManualLoop, netRig } from "./netdrv-harness";

const OFFLOADS = [NetFeature.Csum, NetFeature.GuestCsum, NetFeature.HostTso4, NetFeature.GuestTso4];
const MIB = 1024 * 1024;
const PORT = 8080;

/** The peer's end of the wire: what it sends in one turn reaches the device as one batch, which it may coalesce. */
class BatchingWire extends SimLink {
  private readonly pending: Uint8Array[] = [];

  constructor(scheduler: ManualScheduler) {
    super(mac(0x02), scheduler);
  }

  override transmit(frame: Uint8Array, _offload?: ChecksumOffload): boolean {
    this.pending.push(frame);
    return true;
  }

  deliver(model: NetModel): void {
    model.receiveFromWire(this.pending.splice(0));
  }
}

function world(offer: number[], options: { dropToPeer?: (n: number) => boolean } = {}) {
  const loop = new ManualLoop();
  const rig = netRig({ device: { offer }, driver: { loop }, listen: false });
  const scheduler = new ManualScheduler();
  const guest = new NetStack({ link: rig.net, scheduler, random: seededRandom(15), tcp: { sendBufferBytes: 256 * 1024, receiveBufferBytes: 256 * 1024 } });
  const wire = new BatchingWire(scheduler);
  const peer = new NetStack({ link: wire, scheduler, random: seededRandom(2), tcp: { sendBufferBytes: 256 * 1024, receiveBufferBytes: 256 * 1024 } });
  let segments = 0;
  const drop = options.dropToPeer;
  rig.model.onTransmit = (frame) => {
    if (drop?.(segments++)) return;
    const copy = frame.slice();
    scheduler.setTimer(0, () => wire.inject(copy));
  };
  guest.configureStatic(staticConfig("10.0.2.15"));
  peer.configureStatic(staticConfig("10.0.2.2"));
  const pump = async (until: () => boolean, turns = 20_000) => {
    for (let i = 0; i < turns && !until(); i++) {
      wire.deliver(rig.model);
      loop.turn();
      await scheduler.advance(1);
    }
  };
  return { ...rig, guest, peer, pump };
}

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** Collects everything a connection receives until it ends. */
function collect(connection: TcpConnection): { bytes: () => Uint8Array; ended: () => boolean } {
  const chunks: Uint8Array[] = [];
  let ended = false;
  connection.onData((chunk) => chunks.push(chunk.slice()));
  connection.onEnd(() => (ended = true));
  return {
    bytes: () => {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const chunk of chunks) (out.set(chunk, at), (at += chunk.length));
      return out;
    },
    ended: () => ended,
  };
}

/** The connecting side writes `data` and ends; resolves with what the listening side received. */
async function transfer(w: ReturnType<typeof world>, direction: "guest-to-peer" | "peer-to-guest", data: Uint8Array): Promise<Uint8Array> {
  const [server, client] = direction === "guest-to-peer" ? [w.peer, w.guest] : [w.guest, w.peer];
  let received: ReturnType<typeof collect> | undefined;
  server.tcp.listen(PORT, (connection) => (received = collect(connection)));
  const opening = client.tcp.connect(direction === "guest-to-peer" ? "10.0.2.2" : "10.0.2.15", PORT);
  let connection: TcpConnection | undefined;
  void opening.then((c) => (connection = c));
  await w.pump(() => connection !== undefined);
  const sender = connection as TcpConnection;
  void sender.write(data).then(() => sender.end());
  await w.pump(() => received?.ended() === true);
  return received?.bytes() ?? new Uint8Array(0);
}

describe("TCP over virtio-net with segmentation offload and large receives", () => {
  it("sends 1 MiB through segmentation offload: the peer gets it byte-exact, cut into MSS segments", async () => {
    const w = world(OFFLOADS);
    const data = pattern(MIB, 1);
    const got = await transfer(w, "guest-to-peer", data);
    expect(got.length).toBe(MIB);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(w.model.segmentedSends).toBeGreaterThan(10);
    expect(w.net.counters.txSegmented).toBe(w.model.segmentedSends);
    expect(w.model.segmentsOut).toBeGreaterThan(w.model.segmentedSends * 2);
    expect(w.peer.counters.drops["tcp.badChecksum"] ?? 0).toBe(0);
    assertNoViolations(w.machine.violations);
  });

  it("takes 1 MiB as coalesced large receives, byte-exact", async () => {
    const w = world(OFFLOADS);
    const data = pattern(MIB, 2);
    const got = await transfer(w, "peer-to-guest", data);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(w.model.coalescedReceives).toBeGreaterThan(10);
    expect(w.net.counters.rxSegmented).toBe(w.model.coalescedReceives);
    expect(w.net.counters.rxBadHeader + w.net.counters.deviceErrors).toBe(0);
    assertNoViolations(w.machine.violations);
  });

  it("recovers segments lost after the device cut them: retransmission by MSS, byte-exact", async () => {
    // Every 97th segment on the wire is lost, including some the device cut from one large send.
    const w = world(OFFLOADS, { dropToPeer: (n) => n > 20 && n % 97 === 0 });
    const data = pattern(MIB / 2, 3);
    const got = await transfer(w, "guest-to-peer", data);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(w.guest.counters.tcp.retransmits).toBeGreaterThan(0);
    expect(w.model.segmentedSends).toBeGreaterThan(0);
    assertNoViolations(w.machine.violations);
  });

  it("without offloads offered, the same transfers go segment by segment", async () => {
    const w = world([NetFeature.Csum, NetFeature.GuestCsum]);
    const up = pattern(MIB / 4, 4);
    expect(Buffer.from(await transfer(w, "guest-to-peer", up)).equals(Buffer.from(up))).toBe(true);
    expect(w.model.segmentedSends + w.model.coalescedReceives + w.net.counters.txSegmented + w.net.counters.rxSegmented).toBe(0);
    assertNoViolations(w.machine.violations);
  });
});
