// The files `npm run bench -- compare` writes for its Linux guest and its report: the initramfs
// (cpio "newc", as the Linux kernel's initramfs documentation lays it out) and the ratio chart.
import { describe, expect, it } from "vitest";
import { ratioChart } from "../../scripts/bench/compare/chart";
import { cpioArchive } from "../../scripts/lib/cpio";

/** Reads a newc archive back: name, mode, size, rdev and data of every entry, checking alignment. */
function readNewc(archive: Buffer): { name: string; mode: number; data: string; rdev: [number, number] }[] {
  const entries = [];
  let at = 0;
  for (;;) {
    const header = archive.subarray(at, at + 110).toString("latin1");
    expect(header.slice(0, 6)).toBe("070701");
    const field = (index: number) => parseInt(header.slice(6 + index * 8, 14 + index * 8), 16);
    const nameSize = field(11);
    const name = archive.subarray(at + 110, at + 110 + nameSize - 1).toString();
    expect(archive[at + 110 + nameSize - 1]).toBe(0);
    const dataAt = Math.ceil((at + 110 + nameSize) / 4) * 4;
    const size = field(6);
    if (name === "TRAILER!!!") return entries;
    entries.push({ name, mode: field(1), data: archive.subarray(dataAt, dataAt + size).toString(), rdev: [field(9), field(10)] as [number, number] });
    at = Math.ceil((dataAt + size) / 4) * 4;
  }
}

describe("the Linux guest's initramfs", () => {
  it("holds directories, files, symlinks and device nodes in the newc layout, each record 4-byte aligned", () => {
    const archive = cpioArchive([
      { kind: "directory", path: "bin" },
      { kind: "file", path: "init", data: Buffer.from("#!/bin/sh\n"), executable: true },
      { kind: "file", path: "www/small", data: Buffer.from("abc") },
      { kind: "symlink", path: "bin/sh", target: "busybox" },
      { kind: "char-device", path: "/dev/console", major: 5, minor: 1 },
    ]);
    expect(archive.length % 4).toBe(0);
    expect(readNewc(archive)).toEqual([
      { name: "bin", mode: 0o040755, data: "", rdev: [0, 0] },
      { name: "init", mode: 0o100755, data: "#!/bin/sh\n", rdev: [0, 0] },
      { name: "www/small", mode: 0o100644, data: "abc", rdev: [0, 0] },
      { name: "bin/sh", mode: 0o120777, data: "busybox", rdev: [0, 0] },
      { name: "dev/console", mode: 0o020600, data: "", rdev: [5, 1] },
    ]);
  });
});

describe("the compare chart", () => {
  it("draws one bar per figure, as long as its ratio, coloured by which side is ahead, with escaped labels", () => {
    const svg = ratioChart("A <title>", [
      { label: "boot & ready", ratio: 2 },
      { label: "blk", ratio: 0.5 },
    ]);
    const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"[^>]*fill="(#[0-9a-f]+)"/g)].map((match) => [Number(match[1]), match[2]]);
    expect(widths).toHaveLength(2);
    expect((widths[0][0] as number) / (widths[1][0] as number)).toBeCloseTo(4, 1);
    expect(widths[0][1]).not.toBe(widths[1][1]);
    expect(svg).toContain("boot &#38; ready");
    expect(svg).toContain("A &#60;title&#62;");
    expect(svg).not.toContain("<title>A");
  });
});
