// Virtio transports on the real machine: rng, blk and net under each QEMU set-up must reach the
// driver with the expected transport, ring layout (packed with packed=on unless the command line
// says virtio.ring=split) and interrupt mode (MSI-X, or INTx with vectors=0), and the
// selftest checks each device (entropy, entropy by interrupt, the MAC given to QEMU, the disk
// image's size).
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSelftest } from "./lib/selftest";

const MAC = "52:54:00:12:34:56";
const DISK_BYTES = 3 * 1024 * 1024 + 512;
const dir = mkdtempSync(join(tmpdir(), "vireo-virtio-"));
const disk = join(dir, "disk.img");
writeFileSync(disk, "");
truncateSync(disk, DISK_BYTES);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Setup {
  name: string;
  /** Properties added to every virtio-*-pci device. */
  props: string;
  transport: "modern" | "legacy";
  notify: "mem" | "io";
  /** The interrupt mode the rng gets. */
  irq: "msix" | "intx";
  /** The ring layout every device gets. */
  ring: "split" | "packed";
  /** Words added to the kernel command line. */
  append?: string;
  bridge?: boolean;
}

const SETUPS: Setup[] = [
  { name: "default (transitional devices)", props: "", transport: "modern", notify: "mem", irq: "msix", ring: "split" },
  { name: "disable-modern=on (legacy)", props: ",disable-modern=on", transport: "legacy", notify: "io", irq: "msix", ring: "split" },
  { name: "disable-legacy=on (modern only)", props: ",disable-legacy=on", transport: "modern", notify: "mem", irq: "msix", ring: "split" },
  { name: "behind a pci-bridge", props: ",bus=br1", transport: "modern", notify: "mem", irq: "msix", ring: "split", bridge: true },
  { name: "modern-pio-notify=on", props: ",modern-pio-notify=on", transport: "modern", notify: "io", irq: "msix", ring: "split" },
  { name: "page-per-vq=on", props: ",page-per-vq=on", transport: "modern", notify: "mem", irq: "msix", ring: "split" },
  { name: "vectors=0 (INTx)", props: ",vectors=0", transport: "modern", notify: "mem", irq: "intx", ring: "split" },
  { name: "disable-modern=on,vectors=0 (legacy INTx)", props: ",disable-modern=on,vectors=0", transport: "legacy", notify: "io", irq: "intx", ring: "split" },
  { name: "packed=on (packed rings)", props: ",disable-legacy=on,packed=on", transport: "modern", notify: "mem", irq: "msix", ring: "packed" },
  { name: "packed=on,vectors=0 (packed rings, INTx)", props: ",disable-legacy=on,packed=on,vectors=0", transport: "modern", notify: "mem", irq: "intx", ring: "packed" },
  { name: "packed=on on transitional devices", props: ",packed=on", transport: "modern", notify: "mem", irq: "msix", ring: "packed" },
  { name: "packed=on behind a pci-bridge", props: ",bus=br1,packed=on", transport: "modern", notify: "mem", irq: "msix", ring: "packed", bridge: true },
  { name: "packed=on with virtio.ring=split", props: ",disable-legacy=on,packed=on", transport: "modern", notify: "mem", irq: "msix", ring: "split", append: "virtio.ring=split" },
];

function qemuArgs(setup: Setup): string[] {
  const bridge = setup.bridge ? ["-device", "pci-bridge,id=br1,chassis_nr=1"] : [];
  const slot = (n: number) => (setup.bridge ? `,addr=${n}` : "");
  return [
    ...bridge,
    "-device", `virtio-rng-pci${setup.props}${slot(1)}`,
    "-drive", `file=${disk},format=raw,if=none,id=d0`,
    "-device", `virtio-blk-pci,drive=d0${setup.props}${slot(2)}`,
    "-netdev", "user,id=n0",
    "-device", `virtio-net-pci,netdev=n0,mac=${MAC}${setup.props}${slot(3)}`,
  ];
}

describe("virtio transports in QEMU", () => {
  for (const setup of SETUPS) {
    it(setup.name, async () => {
      const append = [
        "expect-virtio=3",
        `expect-transport=${setup.transport}`,
        `expect-notify=${setup.notify}`,
        `expect-irq=${setup.irq}`,
        `expect-mac=${MAC}`,
        `expect-blk-bytes=${DISK_BYTES - (DISK_BYTES % 512)}`,
        ...(setup.append === undefined ? [] : [setup.append]),
      ].join(" ");
      const result = await runSelftest({ append, qemuArgs: qemuArgs(setup) });
      expect(result.failed, result.output).toBe(0);
      expect(result.output).toMatch(/^virtio-ready 3$/m);
      expect(result.output).toMatch(new RegExp(`^virtio \\S+ type=rng transport=${setup.transport} notify=${setup.notify} `, "m"));
      for (const type of ["rng", "blk", "net"]) {
        expect(result.output).toMatch(new RegExp(`^virtio \\S+ type=${type} .* ring=${setup.ring}( in-order)?$`, "m"));
      }
      expect(result.output).toMatch(new RegExp(`^virtio-irq \\S+ type=rng mode=${setup.irq}$`, "m"));
      expect(result.output).toMatch(/^ok - virtio \S+: entropy arrives by interrupt$/m);
      if (setup.bridge) expect(result.output).toMatch(/^pci 01:0[123]\.0 1af4:/m);
      expect(result.status).toBe(0);
    });
  }
});
