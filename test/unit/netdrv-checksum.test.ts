// virtio-net driver: checksum offload on transmit (CSUM) and checksum validation on receive (GUEST_CSUM).
import { describe, expect, it } from "vitest";
import { assertNoViolations } from "../sim/violations";
import { NetFeature, NetHeaderFlag } from "../sim/virtio/net-model";
import { GUEST_MAC, frameTo, netRig } from "./netdrv-harness";

const CSUM_START = 6;
const CSUM_OFFSET = 8;
const le16 = (bytes: Uint8Array, at: number) => bytes[at] | (bytes[at + 1] << 8);

describe("virtio-net checksum offload", () => {
  it("with CSUM, transmits NEEDS_CSUM with the stack's start and offset, and the device fills the sum", () => {
    const { machine, model, net } = netRig({ device: { offer: [NetFeature.Csum] } });
    expect(net.checksumOffload).toBe(true);
    const frame = frameTo([2, 0, 0, 0, 0, 1], 40);
    frame.fill(0, 14 + 20 + 6, 14 + 20 + 8);
    expect(net.transmit(frame, { start: 34, offset: 6 })).toBe(true);
    expect(net.transmit(frameTo([2, 0, 0, 0, 0, 1], 40))).toBe(true);
    net.flush();
    const [withOffload, without] = model.transmittedHeaders;
    expect(withOffload[0]).toBe(NetHeaderFlag.NeedsCsum);
    expect(le16(withOffload, CSUM_START)).toBe(34);
    expect(le16(withOffload, CSUM_OFFSET)).toBe(6);
    expect(without[0]).toBe(0);
    const sent = model.transmitted[0];
    let sum = 0;
    for (let i = 34; i < sent.length; i += 2) sum += (sent[i] << 8) | (sent[i + 1] ?? 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
    assertNoViolations(machine.violations);
  });

  it("rewrites a reused slot's header only when it changes between offloaded and plain frames", () => {
    const { machine, model, net } = netRig({ device: { offer: [NetFeature.Csum] }, driver: { txBuffers: 1, txBatch: 1 } });
    const offloads = [undefined, { start: 34, offset: 6 }, { start: 34, offset: 16 }, undefined, undefined];
    for (const offload of offloads) expect(net.transmit(frameTo([2, 0, 0, 0, 0, 1], 40), offload)).toBe(true);
    expect(model.transmittedHeaders.map((header) => [header[0], le16(header, CSUM_START), le16(header, CSUM_OFFSET)])).toEqual([
      [0, 0, 0],
      [NetHeaderFlag.NeedsCsum, 34, 6],
      [NetHeaderFlag.NeedsCsum, 34, 16],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    for (const header of model.transmittedHeaders) expect(header.slice(1, CSUM_START).every((byte) => byte === 0)).toBe(true);
    assertNoViolations(machine.violations);
  });

  it("without CSUM, reports no offload and never sets NEEDS_CSUM", () => {
    const { machine, model, net } = netRig();
    expect(net.checksumOffload).toBe(false);
    net.transmit(frameTo([2, 0, 0, 0, 0, 1], 40), { start: 34, offset: 6 });
    net.flush();
    expect(model.transmittedHeaders[0][0]).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("with GUEST_CSUM, DATA_VALID (and NEEDS_CSUM) mark the frame as checksum-validated", () => {
    const { model, net, received } = netRig({ device: { offer: [NetFeature.GuestCsum] } });
    model.injectFrame(frameTo(GUEST_MAC, 60), { flags: NetHeaderFlag.DataValid });
    model.injectFrame(frameTo(GUEST_MAC, 60), { flags: NetHeaderFlag.NeedsCsum });
    model.injectFrame(frameTo(GUEST_MAC, 60));
    model.injectFrame(frameTo(GUEST_MAC, 1500), { flags: NetHeaderFlag.DataValid, maxBufferBytes: 700 });
    net.poll();
    expect(received.map((r) => r.info.checksumValidated)).toEqual([true, true, false, true]);
  });

  it("without GUEST_CSUM, header flags are not trusted", () => {
    const { model, net, received } = netRig();
    model.injectFrame(frameTo(GUEST_MAC, 60), { flags: NetHeaderFlag.DataValid });
    net.poll();
    expect(received[0].info.checksumValidated).toBe(false);
  });
});
