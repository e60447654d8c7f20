// TCP over a link with segmentation offload: segments beyond the MSS with the MSS as their segment
// size, counted by their bytes in the windows; Nagle, retransmission and fallbacks; and segments
// beyond our MSS that a link coalesced on receive.
import { describe, expect, it } from "vitest";
import { establish, PEER_MSS } from "../tcp/established";
import { ACK, FIN, PSH } from "../tcp/segments";

const HEADERS = 14 + 20 + 20;
const SEGMENTATION_LIMIT = 0xffff;
const WINDOW = 60_000;

function offloading(options: Parameters<typeof establish>[0] = {}, window = WINDOW) {
  const setup = establish(options, 5000, window);
  const link = setup.peer.host.link;
  link.checksumOffload = true;
  link.segmentationLimit = SEGMENTATION_LIMIT;
  return setup;
}

/** What the stack handed the link since the last call: payload length and segment size per frame. */
function handed(setup: ReturnType<typeof establish>): { length: number; segmentSize: number; flags: number }[] {
  return setup.peer.host.link.takeSent().map(({ frame, offload }) => ({ length: frame.length - HEADERS, segmentSize: offload?.segmentSize ?? 0, flags: frame[14 + 20 + 13] }));
}

describe("TCP with segmentation offload", () => {
  it("sends the initial window as one segment the link cuts at the MSS, with PSH and FIN on it when it ends the data", async () => {
    const setup = offloading();
    const data = new Uint8Array(8 * PEER_MSS + 123);
    void setup.connection.write(data);
    setup.connection.end();
    await setup.peer.settle();
    const frames = handed(setup);
    expect(frames).toEqual([{ length: data.length, segmentSize: PEER_MSS, flags: ACK | PSH | FIN }]);
  });

  it("counts a large segment by its bytes against the congestion window (10 MSS at first)", async () => {
    const setup = offloading();
    void setup.connection.write(new Uint8Array(30 * PEER_MSS));
    await setup.peer.settle();
    expect(handed(setup)).toEqual([{ length: 10 * PEER_MSS, segmentSize: PEER_MSS, flags: ACK }]);
    // An ACK for 2 MSS grows the window by one MSS (slow start) and frees 2: 3 MSS go out together.
    setup.peer.send({ seq: setup.theirs, ack: setup.ours + 2 * PEER_MSS, flags: ACK, window: WINDOW });
    await setup.peer.settle();
    expect(handed(setup)).toEqual([{ length: 3 * PEER_MSS, segmentSize: PEER_MSS, flags: ACK }]);
  });

  it("keeps within the peer's window, and leaves a partial tail to Nagle while data is in flight", async () => {
    const setup = offloading({}, 4 * PEER_MSS + 500);
    void setup.connection.write(new Uint8Array(6 * PEER_MSS + 700));
    await setup.peer.settle();
    // The window allows 4.5 MSS; the half MSS at its end is not the end of the data: it waits.
    expect(handed(setup)).toEqual([{ length: 4 * PEER_MSS, segmentSize: PEER_MSS, flags: ACK }]);
  });

  it("after a timeout resends one MSS at a time, then grows again into large segments", async () => {
    const setup = offloading({ initialRtoMs: 200 });
    void setup.connection.write(new Uint8Array(10 * PEER_MSS));
    await setup.peer.settle();
    expect(handed(setup)).toEqual([{ length: 10 * PEER_MSS, segmentSize: PEER_MSS, flags: ACK | PSH }]);
    await setup.peer.scheduler.advance(200);
    expect(handed(setup)).toEqual([{ length: PEER_MSS, segmentSize: 0, flags: ACK }]);
    setup.peer.send({ seq: setup.theirs, ack: setup.ours + PEER_MSS, flags: ACK, window: WINDOW });
    await setup.peer.settle();
    expect(handed(setup)).toEqual([{ length: 2 * PEER_MSS, segmentSize: PEER_MSS, flags: ACK }]);
    expect(setup.peer.stack.counters.tcp.retransmits).toBeGreaterThan(0);
  });

  it("sends MSS-sized segments when the link has no large frame free, PSH and FIN only where the data ends", async () => {
    const setup = offloading();
    const link = setup.peer.host.link;
    const allocate = link.allocateFrame.bind(link);
    link.allocateFrame = (length) => (length > 1514 ? undefined : allocate(length));
    void setup.connection.write(new Uint8Array(3 * PEER_MSS));
    setup.connection.end();
    await setup.peer.settle();
    expect(handed(setup)).toEqual([
      { length: PEER_MSS, segmentSize: 0, flags: ACK },
      { length: PEER_MSS, segmentSize: 0, flags: ACK },
      { length: PEER_MSS, segmentSize: 0, flags: ACK | PSH | FIN },
    ]);
  });

  it("without the offload, sends MSS-sized segments as before", async () => {
    const setup = establish({}, 5000, WINDOW);
    setup.peer.host.link.checksumOffload = true;
    void setup.connection.write(new Uint8Array(3 * PEER_MSS));
    await setup.peer.settle();
    expect(handed(setup).map((frame) => [frame.length, frame.segmentSize])).toEqual([
      [PEER_MSS, 0],
      [PEER_MSS, 0],
      [PEER_MSS, 0],
    ]);
  });
});

describe("TCP receiving segments a link coalesced", () => {
  it("takes a segment larger than its MSS and acknowledges it at once", async () => {
    const setup = establish({ delayedAckMs: 40 });
    const data = new Uint8Array(20_000).map((_, i) => i & 0xff);
    const chunks: Uint8Array[] = [];
    setup.connection.onData((chunk) => chunks.push(chunk.slice()));
    setup.peer.send({ seq: setup.theirs, ack: setup.ours, flags: ACK, data }, true);
    expect(setup.peer.take().map((segment) => segment.ack)).toEqual([setup.theirs + data.length]);
    await setup.peer.settle();
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
  });
});
