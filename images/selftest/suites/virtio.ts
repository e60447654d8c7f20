// Every virtio device the machine has: it must reach DRIVER_OK on the expected transport, and each
// kind is exercised through its driver. Expectations come from the kernel command line, so any
// QEMU set-up can be checked:
//   expect-virtio=N  expect-transport=modern|legacy  expect-notify=mem|io
//   expect-mac=52:54:00:12:34:56  expect-blk-bytes=N
import type { CommandLine } from "../../../kernel/command-line";
import { DeviceType } from "../../../drivers/virtio/device-types";
import type { BlockDevice } from "../../../runtime/block/device";
import type { Devices } from "../../../runtime/devices";
import { formatMac } from "../../../runtime/net/index";
import { expectEqual, expectTrue, type TestRegistry } from "../harness";

const ENTROPY_BYTES = 32;
const PATTERN_SEED = 0x5bd1e995;

function diskNamed(devices: Devices, name: string): BlockDevice | undefined {
  return devices.disks.find((disk) => disk.name === name);
}

async function writeReadRestoreLastBlock(disk: BlockDevice): Promise<void> {
  const { blockSize, blocks } = disk.info;
  const last = blocks - 1;
  const saved = await disk.read(last, new Uint8Array(blockSize));
  const pattern = new Uint8Array(blockSize);
  for (let i = 0; i < blockSize; i++) pattern[i] = (Math.imul(i + 1, PATTERN_SEED) >>> 24) ^ saved[i];
  await disk.write(last, pattern);
  await disk.flush();
  const back = await disk.read(last, new Uint8Array(blockSize));
  await disk.write(last, saved);
  await disk.flush();
  const restored = await disk.read(last, new Uint8Array(blockSize));
  expectTrue(back.every((b, i) => b === pattern[i]), "the last block reads back as written");
  expectTrue(restored.every((b, i) => b === saved[i]), "the last block is restored");
}

export function virtioSuite(t: TestRegistry, devices: Devices, commandLine: CommandLine): void {
  const expectedCount = commandLine.get("expect-virtio");
  const transport = commandLine.get("expect-transport");
  const notify = commandLine.get("expect-notify");
  const mac = commandLine.get("expect-mac");
  const blkBytes = commandLine.get("expect-blk-bytes");

  if (expectedCount !== undefined) {
    t.test(`virtio: ${expectedCount} devices are usable`, () => {
      const failed = devices.virtio.filter((d) => d.state === "failed").map((d) => `${d.name}: ${d.error?.message}`);
      expectEqual(failed, [], "failed devices");
      expectEqual(devices.virtio.length, Number(expectedCount), "virtio device count");
    });
  }

  for (const probed of devices.virtio) {
    const device = probed.device;
    if (probed.state === "failed" || device === undefined) continue;
    const type = device.transport.deviceType;
    const label = `virtio ${probed.name}`;
    t.test(`${label}: a driver took it to DRIVER_OK`, () => expectEqual(probed.state, "ready"));
    if (transport !== undefined) t.test(`${label}: transport ${transport}`, () => expectEqual(device.transport.kind, transport));
    if (notify !== undefined) t.test(`${label}: notify through ${notify}`, () => expectEqual(device.transport.notifyKind, notify));
    if (type === DeviceType.Rng) {
      t.test(`${label}: rng returns fresh entropy`, () => {
        const first = crypto!.getRandomValues(new Uint8Array(ENTROPY_BYTES));
        const second = crypto!.getRandomValues(new Uint8Array(ENTROPY_BYTES));
        expectTrue(first.some((b) => b !== 0), "entropy is not all zeros");
        expectTrue(first.some((b, i) => b !== second[i]), "two draws differ");
      });
    }
    if (type === DeviceType.Net) {
      const nic = devices.nics.find((n) => n.name === probed.name);
      t.test(`${label}: net link is up${mac ? ` and the MAC is ${mac}` : ""}`, () => {
        expectTrue(nic !== undefined, "driver instance");
        expectTrue(nic!.linkUp, "link up");
        if (mac !== undefined) expectEqual(formatMac(nic!.mac), mac.toLowerCase(), "MAC");
      });
    }
    if (type === DeviceType.Block) {
      const disk = diskNamed(devices, probed.name);
      if (blkBytes !== undefined) {
        t.test(`${label}: capacity equals the disk image size`, () => expectEqual(String(disk?.info.capacityBytes), blkBytes));
      }
      t.test(`${label}: blk reads block 0${disk?.info.readOnly ? "" : " and writes, reads back and restores the last block"}`, async () => {
        expectTrue(disk !== undefined, "block device");
        const first = await disk!.read(0, new Uint8Array(disk!.info.blockSize));
        expectEqual(first.length, disk!.info.blockSize, "block 0 length");
        if (!disk!.info.readOnly) await writeReadRestoreLastBlock(disk!);
      });
    }
  }
}
