import { describe, expect, it } from "vitest";
import { CommandLine } from "../../kernel/command-line";
import { parseVirtioMmioDevice, virtioMmioFromCommandLine } from "../../kernel/mmio/command-line";

const LEVEL_HIGH = { levelTriggered: true, activeLow: false };

describe("kernel command line", () => {
  it("keeps every value of a repeated key in order; get answers with the last", () => {
    const line = new CommandLine("a=1 flag  a=2 b=x=y a=3");
    expect(line.all("a")).toEqual(["1", "2", "3"]);
    expect(line.get("a")).toBe("3");
    expect(line.get("flag")).toBe("true");
    expect(line.get("b")).toBe("x=y");
    expect(line.all("missing")).toEqual([]);
    expect([...line.entries()]).toEqual([
      ["a", "3"],
      ["flag", "true"],
      ["b", "x=y"],
    ]);
  });
});

describe("virtio_mmio.device= words", () => {
  it("reads QEMU microvm's form: <size>@0x<base>:<irq>", () => {
    expect(parseVirtioMmioDevice("512@0xfeb00e00:12")).toEqual({ base: 0xfeb00e00, size: 512, interrupt: { gsi: 12, ...LEVEL_HIGH } });
  });

  it("reads Firecracker's form, size suffixes, an optional device id and C number bases", () => {
    expect(parseVirtioMmioDevice("4K@0xd0000000:5")).toEqual({ base: 0xd0000000, size: 4096, interrupt: { gsi: 5, ...LEVEL_HIGH } });
    expect(parseVirtioMmioDevice("1k@0xD0001000:6:3")).toMatchObject({ base: 0xd0001000, size: 1024 });
    expect(parseVirtioMmioDevice("0x200@4096:7")).toMatchObject({ base: 4096, size: 512 });
    expect(parseVirtioMmioDevice("01000@010000:7")).toMatchObject({ base: 0o10000, size: 0o1000 });
    expect(parseVirtioMmioDevice("1M@0x10000000:255")).toMatchObject({ size: 1 << 20, interrupt: { gsi: 255 } });
  });

  it.each([
    ["", "no size"],
    ["@0x1000:5", "no size"],
    ["512", "no @ after the size"],
    ["512#0x1000:5", "no @ after the size"],
    ["512@", "no base address"],
    ["512@0x1000", "no :<irq> after the base address"],
    ["512@0x1000:", "no interrupt number"],
    ["512@0x1000:0x5", 'unexpected "x5"'],
    ["512@0x1000:5:", "no device id after the last :"],
    ["512@0x1000:5:1:2", 'unexpected ":2"'],
    ["512@0x1000:5 ", 'unexpected " "'],
    ["0@0x1000:5", "size 0 is not 1..1048576 bytes"],
    ["2M@0x1000:5", "size 2097152 is not 1..1048576 bytes"],
    ["512@0xfffffffffff00:5", "0xfffffffffff00 + 512 is beyond physical memory"],
    ["512@0x1000:256", "interrupt 256 is beyond GSI 255"],
    ["99999999999999999999999@0x1000:5", "no size"],
    ["512@0x100000000000000:5", "no base address"],
  ])("refuses %j: %s", (word, reason) => {
    expect(parseVirtioMmioDevice(word)).toBe(reason);
  });

  it("lists the well-formed words and reports the others, overlaps included, without stopping", () => {
    const line = new CommandLine(
      "console=ttyS0 virtio_mmio.device=512@0xfeb00e00:12 virtio_mmio.device=junk virtio_mmio.device=512@0xfeb00c00:11 virtio_mmio.device=1K@0xfeb00a00:10 virtio_mmio.device=512@0xfeb00c00:9",
    );
    const found = virtioMmioFromCommandLine(line);
    expect(found.windows.map((w) => [w.base, w.size, w.interrupt?.gsi, w.source])).toEqual([
      [0xfeb00e00, 512, 12, "command-line"],
      [0xfeb00c00, 512, 11, "command-line"],
    ]);
    expect(found.problems).toEqual([
      { source: "command-line", text: "junk", reason: "no size" },
      { source: "command-line", text: "1K@0xfeb00a00:10", reason: "overlaps an earlier device" },
      { source: "command-line", text: "512@0xfeb00c00:9", reason: "overlaps an earlier device" },
    ]);
  });
});
