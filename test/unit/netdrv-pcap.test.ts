// The pcap reader the QEMU network test uses on filter-dump captures.
import { describe, expect, it } from "vitest";
import { LINKTYPE_ETHERNET, readPcap } from "../net/pcap";

function capture(little: boolean, records: number[][], truncateLast = 0): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
    parts.push(...(little ? b : b.reverse()));
  };
  const u16 = (v: number) => parts.push(...(little ? [v & 0xff, v >> 8] : [v >> 8, v & 0xff]));
  u32(0xa1b2c3d4);
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(LINKTYPE_ETHERNET);
  records.forEach((bytes, i) => {
    u32(100 + i);
    u32(500_000);
    u32(bytes.length);
    u32(bytes.length);
    parts.push(...bytes);
  });
  return Uint8Array.from(parts.slice(0, parts.length - truncateLast));
}

describe("pcap reader", () => {
  it.each([true, false])("reads records in either byte order (little-endian: %s)", (little) => {
    const pcap = readPcap(capture(little, [[1, 2, 3], [4, 5, 6, 7]]));
    expect(pcap.linkType).toBe(LINKTYPE_ETHERNET);
    expect(pcap.frames.map((f) => Array.from(f.bytes))).toEqual([[1, 2, 3], [4, 5, 6, 7]]);
    expect(pcap.frames[1].time).toBe(101.5);
  });

  it("leaves out a record cut short at the end", () => {
    expect(readPcap(capture(true, [[1, 2, 3], [4, 5, 6, 7]], 2)).frames.length).toBe(1);
  });

  it("rejects a file that is not a capture", () => {
    expect(() => readPcap(new Uint8Array(24))).toThrow(/bad magic/);
    expect(() => readPcap(new Uint8Array(3))).toThrow(/shorter/);
  });
});
