import { describe, expect, it } from "vitest";
import { DmaSlab } from "../../kernel/dma";
import { FeatureBit, feature } from "../../drivers/virtio/features";
import { NET_CONFIG } from "../../drivers/virtio/net/constants";
import { Completion } from "../../drivers/virtio/ring/virtqueue";
import { bringUpPci } from "../harness/bring-up";
import { assertNoViolations } from "../sim/violations";
import { BlkFeature, BlkModel, BlkRequestType, BlkStatus, SECTOR_SIZE } from "../sim/virtio/blk-model";
import { NET_CTRL_ERR, NET_CTRL_OK, NetCtrl, NetFeature, NetModel, NetQueue } from "../sim/virtio/net-model";

describe("simulated virtio-blk device", () => {
  function blk(readOnly = false) {
    const features = feature(BlkFeature.Flush) | feature(BlkFeature.Discard) | feature(BlkFeature.WriteZeroes);
    const up = bringUpPci((m, v) => new BlkModel(m, v, { sectors: 16, readOnly, serial: "disk-7" }), { features });
    const slab = new DmaSlab(up.machine, 3, 4096);
    const q = up.queues[0];
    const request = (type: number, sector: number, data: Uint8Array | null, inBytes: number): number => {
      const header = new DataView(slab.region.buffer, 0, 16);
      header.setUint32(0, type, true);
      header.setBigUint64(8, BigInt(sector), true);
      q.begin();
      q.addReadable(slab.physical(0), 16);
      if (data) {
        slab.bytes(1).set(data);
        q.addReadable(slab.physical(1), data.length);
      }
      if (inBytes > 0) q.addWritable(slab.physical(2), inBytes);
      q.addWritable(slab.physical(0) + 100, 1);
      q.publish(type);
      q.kick();
      expect(q.nextCompletion()).toBe(Completion.Taken);
      return slab.bytes(0)[100];
    };
    return { ...up, slab, request };
  }

  it("writes, reads back, flushes, reports its id and discards", () => {
    const { machine, model, slab, request } = blk();
    const data = new Uint8Array(2 * SECTOR_SIZE).map((_, i) => i & 0xff);
    expect(request(BlkRequestType.Out, 5, data, 0)).toBe(BlkStatus.Ok);
    expect(request(BlkRequestType.In, 5, null, 2 * SECTOR_SIZE)).toBe(BlkStatus.Ok);
    expect(Array.from(slab.bytes(2).subarray(0, 2 * SECTOR_SIZE))).toEqual(Array.from(data));
    expect(request(BlkRequestType.Flush, 0, null, 0)).toBe(BlkStatus.Ok);
    expect(model.flushes).toBe(1);
    expect(request(BlkRequestType.GetId, 0, null, 20)).toBe(BlkStatus.Ok);
    expect(new TextDecoder().decode(slab.bytes(2).subarray(0, 6))).toBe("disk-7");
    const segment = new Uint8Array(16);
    new DataView(segment.buffer).setBigUint64(0, 5n, true);
    new DataView(segment.buffer).setUint32(8, 1, true);
    expect(request(BlkRequestType.Discard, 0, segment, 0)).toBe(BlkStatus.Ok);
    expect(model.disk[5 * SECTOR_SIZE + 1]).toBe(0);
    expect(model.disk[6 * SECTOR_SIZE + 1]).toBe(1);
    expect(request(BlkRequestType.In, 15, null, 2 * SECTOR_SIZE)).toBe(BlkStatus.IoErr);
    expect(request(99, 0, null, 0)).toBe(BlkStatus.Unsupp);
    assertNoViolations(machine.violations);
  });

  it("refuses writes on a read-only disk", () => {
    const { request } = blk(true);
    expect(request(BlkRequestType.Out, 0, new Uint8Array(SECTOR_SIZE), 0)).toBe(BlkStatus.IoErr);
  });
});

describe("simulated virtio-net device", () => {
  function net() {
    const features = feature(NetFeature.Mac) | feature(NetFeature.CtrlVq) | feature(NetFeature.CtrlRx) | feature(FeatureBit.EventIdx);
    const up = bringUpPci((m, v) => new NetModel(m, v, { mac: [2, 0, 0, 0, 0, 9] }), { features, queues: [{}, {}, {}] });
    return { ...up, slab: new DmaSlab(up.machine, 4, 2048) };
  }

  it("transmits frames, receives injected frames and answers control commands", () => {
    const { machine, model, queues, slab, device } = net();
    expect(device.transport.readConfig(NET_CONFIG.mac, 5)).toBe(9);
    const [rx, tx, ctrl] = [queues[NetQueue.Rx], queues[NetQueue.Tx], queues[NetQueue.Ctrl]];
    // tx: 12-byte header then the frame
    slab.bytes(0).fill(0, 0, 12);
    slab.bytes(0).set([1, 2, 3, 4], 12);
    tx.begin();
    tx.addReadable(slab.physical(0), 16);
    tx.publish(0);
    tx.kick();
    expect(model.transmitted.map((f) => Array.from(f))).toEqual([[1, 2, 3, 4]]);
    // rx: the device keeps buffers until a frame arrives
    expect(model.injectFrame(new Uint8Array([9]))).toBe(false);
    rx.begin();
    rx.addWritable(slab.physical(1), 2048);
    rx.publish(1);
    rx.kick();
    expect(rx.nextCompletion()).toBe(Completion.None);
    expect(model.injectFrame(new Uint8Array([7, 8, 9]))).toBe(true);
    expect(rx.nextCompletion()).toBe(Completion.Taken);
    expect(rx.completedLength).toBe(15);
    expect(Array.from(slab.bytes(1).subarray(12, 15))).toEqual([7, 8, 9]);
    // control: promiscuous on, then an unknown command
    const command = (bytes: number[]) => {
      slab.bytes(2).set(bytes);
      ctrl.begin();
      ctrl.addReadable(slab.physical(2), bytes.length);
      ctrl.addWritable(slab.physical(3), 1);
      ctrl.publish(2);
      ctrl.kick();
      ctrl.nextCompletion();
      return slab.bytes(3)[0];
    };
    expect(command([NetCtrl.ClassRx, NetCtrl.RxPromisc, 1])).toBe(NET_CTRL_OK);
    expect(model.promiscuous).toBe(true);
    expect(command([NetCtrl.ClassMac, NetCtrl.MacAddrSet, 2, 1, 1, 1, 1, 1])).toBe(NET_CTRL_OK);
    expect(model.mac).toEqual([2, 1, 1, 1, 1, 1]);
    expect(command([42, 0])).toBe(NET_CTRL_ERR);
    assertNoViolations(machine.violations);
  });

  it("bumps the config generation on a link change", () => {
    const { model, device } = net();
    const before = device.transport.configGeneration();
    model.setLinkUp(false);
    expect(device.transport.configGeneration()).toBe((before + 1) & 0xff);
    expect(device.transport.readConfig(NET_CONFIG.status)).toBe(0);
    expect(device.transport.readIsr() & 2).toBe(2);
  });
});
