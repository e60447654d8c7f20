import { describe, expect, it } from "vitest";
import { decodeSense, describeSense } from "../../drivers/virtio/scsi/sense";
import { parseInquiry, parseModeSense6, parseReportLuns, parseCapacity16, parseCapacity10, parseSupportedPages } from "../../drivers/virtio/scsi/unit-data";
import { senseData, reportLunsData } from "../sim/scsi-target";

describe("virtio-scsi: sense data and unit data parsing", () => {
  it("decodes fixed and descriptor format sense alike", () => {
    for (const descriptor of [false, true]) {
      const bytes = senseData(3, [0x11, 0x02], descriptor);
      const sense = decodeSense(bytes, bytes.length);
      expect(sense).toEqual({ key: 3, asc: 0x11, ascq: 0x02, deferred: false });
      expect(describeSense(sense as never)).toBe("medium-error 11/02");
    }
  });

  it("refuses sense it cannot trust: empty, unknown response code, truncated", () => {
    expect(decodeSense(new Uint8Array(18), 0)).toBe("empty");
    expect(decodeSense(new Uint8Array(18), 18)).toBe("response-code");
    expect(decodeSense(new Uint8Array([0x72, 6, 0x29]), 3)).toBe("truncated");
    expect(decodeSense(new Uint8Array([0x70, 0]), 2)).toBe("truncated");
  });

  it("reads no ASC/ASCQ beyond the fixed format's additional length or the bytes written", () => {
    const bytes = senseData(6, [0x29, 0], false);
    expect(decodeSense(bytes, 8)).toEqual({ key: 6, asc: 0, ascq: 0, deferred: false });
    bytes[7] = 2;
    expect(decodeSense(bytes, 18)).toEqual({ key: 6, asc: 0, ascq: 0, deferred: false });
  });

  it("takes ASC/ASCQ only when the bytes written reach ASCQ (byte 13)", () => {
    const bytes = senseData(6, [0x29, 0x01], false);
    // Thirteen bytes reach ASC but not ASCQ: neither is trusted.
    expect(decodeSense(bytes, 13)).toEqual({ key: 6, asc: 0, ascq: 0, deferred: false });
    expect(decodeSense(bytes, 14)).toEqual({ key: 6, asc: 0x29, ascq: 0x01, deferred: false });
  });

  it("decodes deferred errors (response codes 71h and 73h) as deferred, and says so", () => {
    for (const descriptor of [false, true]) {
      const bytes = senseData(3, [0x0c, 0x00], descriptor);
      bytes[0] = descriptor ? 0x73 : 0x71;
      const sense = decodeSense(bytes, bytes.length);
      expect(sense).toEqual({ key: 3, asc: 0x0c, ascq: 0, deferred: true });
      expect(describeSense(sense as never)).toBe("medium-error 0c/00 (deferred)");
    }
  });

  it("names a sense key without a name by its number", () => {
    const bytes = senseData(0xc, [0, 0], false);
    expect(describeSense(decodeSense(bytes, bytes.length) as never)).toBe("sense-key-12 00/00");
  });

  it("refuses unit data shorter than its format: INQUIRY, a VPD page (or another page than asked), READ CAPACITY(10), MODE SENSE(6)", () => {
    expect(parseInquiry(new Uint8Array(36), 0)).toBe("empty INQUIRY data");
    // One byte of INQUIRY data: the device type, no vendor or product.
    expect(parseInquiry(new Uint8Array([0x05, 0xff]), 1)).toEqual({ qualifier: 0, deviceType: 5, vendor: "", product: "" });
    expect(parseSupportedPages(new Uint8Array([0, 0, 0]), 3)).toBe("VPD page 0x0: 3 bytes");
    expect(parseSupportedPages(new Uint8Array([0, 0x80, 0, 0]), 4)).toBe("VPD page 0x0 answered with page 0x80");
    expect(parseCapacity10(new Uint8Array(8), 7)).toBe("READ CAPACITY(10) returned 7 bytes");
    expect(parseModeSense6(new Uint8Array(4), 3)).toBe("MODE SENSE(6) returned 3 bytes");
    // The 4-byte header alone is a whole answer: WP without any page.
    expect(parseModeSense6(new Uint8Array([3, 0, 0x80, 0]), 4)).toEqual({ writeProtected: true, writeCache: undefined });
  });

  it("reads INQUIRY's vendor and product as printable ASCII, trimmed, within the bytes returned", () => {
    const data = new Uint8Array(40).fill(0x58);
    data[0] = 0x00;
    data.set(new TextEncoder().encode(" VIREO\x7f\x00 "), 8);
    data.set(new TextEncoder().encode("SIM DISK  \x1f     "), 16);
    expect(parseInquiry(data, 36)).toEqual({ qualifier: 0, deviceType: 0, vendor: "VIREO", product: "SIM DISK" });
    // The answer stops inside the vendor field: the product is not there.
    expect(parseInquiry(data, 12)).toEqual({ qualifier: 0, deviceType: 0, vendor: "VIR", product: "" });
    // Exactly the first 8 bytes: neither field.
    expect(parseInquiry(data, 8)).toEqual({ qualifier: 0, deviceType: 0, vendor: "", product: "" });
    // Stops inside the product field.
    expect(parseInquiry(data, 19)).toEqual({ qualifier: 0, deviceType: 0, vendor: "VIREO", product: "SIM" });
  });

  it("takes a 64-bit last LBA from READ CAPACITY(16), and a 16-byte answer is whole", () => {
    const data = new Uint8Array(16);
    const view = new DataView(data.buffer);
    view.setUint32(0, 1);
    view.setUint32(4, 7);
    view.setUint32(8, 512);
    data[14] = 0x40 | 0x01;
    data[15] = 0x02;
    expect(parseCapacity16(data, 16)).toEqual({ blocks: 2 ** 32 + 8, blockSize: 512, blocksPerPhysical: 1, lowestAlignedLba: 0x102 });
  });

  it("reads REPORT LUNS entries by their address method (SAM-5 4.7): peripheral with bus 0, flat; others skipped", () => {
    const entries = [
      [0x00, 0x05], // peripheral, bus 0: LUN 5
      [0x02, 0x06], // peripheral on bus 2: another bus, skipped
      [0x41, 0x04], // flat: LUN 0x104
      [0x80, 0x07], // logical unit addressing: skipped
      [0xc0, 0x08], // extended: skipped
    ];
    const data = new Uint8Array(8 + 8 * entries.length);
    new DataView(data.buffer).setUint32(0, 8 * entries.length);
    entries.forEach(([a, b], i) => data.set([a, b], 8 + 8 * i));
    expect(parseReportLuns(data, data.length)).toEqual([5, 0x104]);
    // The 8-byte header alone is an empty list.
    expect(parseReportLuns(data.subarray(0, 8).map((b, i) => (i < 4 ? 0 : b)), 8)).toEqual([]);
  });

  it("refuses a physical block of more than 2^8 logical blocks (READ CAPACITY(16) exponent)", () => {
    const data = new Uint8Array(32);
    const view = new DataView(data.buffer);
    view.setUint32(4, 1023);
    view.setUint32(8, 512);
    data[13] = 9;
    expect(parseCapacity16(data, 32)).toBe("logical blocks per physical block exponent 9");
    data[13] = 8;
    expect(parseCapacity16(data, 32)).toMatchObject({ blocks: 1024, blockSize: 512, blocksPerPhysical: 256 });
  });

  it("parses REPORT LUNS within the returned bytes, skipping addresses it cannot use", () => {
    const data = reportLunsData([0, 5, 300]);
    expect(parseReportLuns(data, data.length)).toEqual([0, 5, 300]);
    expect(parseReportLuns(data, 16)).toEqual([0]);
    data[8 + 8 + 4] = 1;
    expect(parseReportLuns(data, data.length)).toEqual([0, 300]);
    expect(parseReportLuns(data, 4)).toMatch(/4 bytes/);
  });

  it("refuses capacities a disk cannot have", () => {
    const capacity = new DataView(new ArrayBuffer(32));
    capacity.setUint32(4, 99);
    capacity.setUint32(8, 1000);
    expect(parseCapacity16(new Uint8Array(capacity.buffer), 32)).toMatch(/block length 1000/);
    capacity.setUint32(8, 4096);
    expect(parseCapacity16(new Uint8Array(capacity.buffer), 32)).toMatchObject({ blocks: 100, blockSize: 4096 });
    expect(parseCapacity16(new Uint8Array(capacity.buffer), 12)).toMatch(/12 bytes/);
    capacity.setUint32(0, 0xffffffff);
    expect(parseCapacity16(new Uint8Array(capacity.buffer), 32)).toMatch(/too large/);
    expect(parseCapacity10(new Uint8Array(8), 8)).toMatch(/block length 0/);
  });

  it("walks mode pages within the mode data length and finds WP and WCE", () => {
    const data = new Uint8Array([7 + 20 - 4, 0, 0x80, 0, 0x08, 0x12, 0x04, ...new Uint8Array(17)]);
    expect(parseModeSense6(data, data.length)).toEqual({ writeProtected: true, writeCache: true });
    // A page length running past the data: the walk stops, nothing beyond is read.
    data[5] = 0xff;
    data[0] = 5;
    expect(parseModeSense6(data, data.length)).toEqual({ writeProtected: true, writeCache: undefined });
  });
});
