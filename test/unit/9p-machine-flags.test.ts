// `vireo run --share DIR,tag=TAG[,readonly]`: the flag parsed and checked, and the QEMU devices it
// gives on a PCI board and on microvm.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { boardNamed, deviceArgs, parseShare } from "../../scripts/vireo/devices";

const dir = mkdtempSync(join(tmpdir(), "vireo-share-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("vireo run --share", () => {
  it("parses a folder with its tag and refuses what QEMU would not take", () => {
    expect(() => parseShare(`${join(dir, "none")},tag=www`)).toThrow(/no such folder/);
    expect(() => parseShare("/")).toThrow(/tag=TAG/);
    expect(() => parseShare("/,tag=" + "t".repeat(32))).toThrow(/1 to 31/);
    expect(() => parseShare("/,tag=www,cache=none")).toThrow(/unknown option "cache=none"/);
    expect(parseShare("/,tag=www,readonly")).toEqual({ dir: "/", tag: "www", readonly: true });
    expect(parseShare(`${dir},tag=out`)).toEqual({ dir, tag: "out", readonly: false });
  });

  it("adds an -fsdev and a virtio-9p device per share, on PCI and on virtio-mmio", () => {
    const shares = [
      { dir: "/srv/site", tag: "www", readonly: true },
      { dir: "/tmp/a,b", tag: "out", readonly: false },
    ];
    const pc = deviceArgs(boardNamed("pc"), { disks: [], net: { kind: "none" }, ports: [], shares });
    expect(pc).toEqual([
      "-device", "virtio-rng-pci",
      "-fsdev", "local,id=share0,path=/srv/site,security_model=none,readonly=on", "-device", "virtio-9p-pci,fsdev=share0,mount_tag=www",
      "-fsdev", "local,id=share1,path=/tmp/a,,b,security_model=none", "-device", "virtio-9p-pci,fsdev=share1,mount_tag=out",
    ]);
    const microvm = deviceArgs(boardNamed("microvm"), { disks: [], net: { kind: "none" }, ports: [], shares: shares.slice(0, 1) });
    expect(microvm).toContain("virtio-9p-device,fsdev=share0,mount_tag=www");
  });
});
