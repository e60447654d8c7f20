// The report of `npm run bench -- compare`: its rows per network, ratios and cells, the offloads
// read from each guest's console, and the options that tell the Linux guest's init what to do.
import { describe, expect, it } from "vitest";
import { linuxGuestOptions } from "../../scripts/bench/compare/linux-guest";
import { LINUX_NET_FEATURES, linuxNetFeatures, offloadNames, vireoNetFeatures } from "../../scripts/bench/compare/offloads";
import { compareRows, overNetwork, ratio, tableCells } from "../../scripts/bench/compare/rows";

const USER_HTTP = { "http-small-c1": 200, "http-small-c8": 220, "http-1mib": 25 };

describe("the compare rows", () => {
  it("lists block and user-networking rows, then each further network's HTTP rows, with the network in the name", () => {
    const linux = { ready: 5000, "seq-read": 2000, ...USER_HTTP, ...overNetwork(USER_HTTP, "tap") };
    const vireo = { ready: 250, "seq-read": 2500, ...USER_HTTP, ...overNetwork({ ...USER_HTTP, "http-1mib": 50 }, "tap") };
    expect(compareRows(linux, vireo, ["user", "tap"]).map((row) => row.name)).toEqual([
      "ready",
      "seq-read",
      "http-small-c1",
      "http-small-c8",
      "http-1mib",
      "http-small-c1 (tap)",
      "http-small-c8 (tap)",
      "http-1mib (tap)",
    ]);
    const tapLarge = compareRows(linux, vireo, ["user", "tap"]).find((row) => row.name === "http-1mib (tap)");
    expect(tapLarge).toMatchObject({ unit: "MB/s (1 MiB responses)", linux: 25, vireo: 50 });
  });

  it("leaves out a network that was not measured, and any figure one side lacks", () => {
    const rows = compareRows({ ...USER_HTTP, "seq-write": 1000 }, USER_HTTP, ["user"]);
    expect(rows.map((row) => row.name)).toEqual(["http-small-c1", "http-small-c8", "http-1mib"]);
  });

  it("puts the ratio above 1 when Vireo is ahead, whether more or less is better", () => {
    const [ready, rate] = compareRows({ ready: 5000, "http-small-c1": 100 }, { ready: 250, "http-small-c1": 150 }, ["user"]);
    expect(ratio(ready)).toBe(20);
    expect(ratio(rate)).toBe(1.5);
    expect(tableCells(rate)).toEqual(["http-small-c1", "requests/s (13 B, concurrency 1)", "100", "150", "1.50x"]);
    expect(tableCells({ ...rate, linux: 12.34 })).toEqual(["http-small-c1", "requests/s (13 B, concurrency 1)", "12.3", "150", "12.16x"]);
  });
});

describe("the offloads each guest negotiated", () => {
  it("reads Vireo's from its boot report", () => {
    const report = "virtio 00:02.0 type=block transport=modern notify=mem features=1 queues=1 ring=split\nvirtio 00:03.0 type=net transport=modern notify=mem features=130878020 queues=3 ring=split\n";
    expect(offloadNames(vireoNetFeatures(report))).toEqual(["mrg-rxbuf"]);
    expect(offloadNames(vireoNetFeatures(report.replace("130878020", "1308788a3")))).toEqual(["csum", "guest-csum", "guest-tso4", "host-tso4", "mrg-rxbuf"]);
  });

  it("reads the Linux guest's from sysfs's bit string, bit 0 first", () => {
    const bits = "1100000110000001" + "0".repeat(48);
    expect(offloadNames(linuxNetFeatures(`boot\n${LINUX_NET_FEATURES} ${bits}\nready\n`))).toEqual(["csum", "guest-csum", "guest-tso4", "guest-tso6", "mrg-rxbuf"]);
  });

  it("says so when a guest printed none", () => {
    expect(() => vireoNetFeatures("virtio-ready 0\n")).toThrow(/no net device/);
    expect(() => linuxNetFeatures("ready\n")).toThrow(LINUX_NET_FEATURES);
  });
});

describe("the Linux guest's kernel command-line options", () => {
  it("carry the address, the gateway when there is one, and fio=off when the block workloads are not wanted", () => {
    expect(linuxGuestOptions({ address: "10.0.2.15/24", gateway: "10.0.2.2", fio: true })).toBe("compare.ip=10.0.2.15/24 compare.gw=10.0.2.2");
    expect(linuxGuestOptions({ address: "10.79.1.2/24", fio: false })).toBe("compare.ip=10.79.1.2/24 compare.fio=off");
  });
});
