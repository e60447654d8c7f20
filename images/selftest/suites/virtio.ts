// Every virtio device the machine has: it must come up on the expected transport, and each kind
// is exercised. Expectations come from the kernel command line, so any QEMU set-up can be checked:
//   expect-virtio=N  expect-transport=modern|legacy  expect-notify=mem|io
//   expect-mac=52:54:00:12:34:56  expect-blk-bytes=N
import type { CommandLine } from "../../../kernel/command-line";
import { DeviceType } from "../../../drivers/virtio/constants";
import type { ProbedVirtioDevice } from "../../../drivers/virtio/probe";
import type { Devices } from "../../../runtime/devices";
import { expectEqual, expectTrue, type TestRegistry } from "../harness";

const NET_CONFIG_MAC = 0;
const MAC_BYTES = 6;
const BLK_CONFIG_CAPACITY = 0;
const SECTOR_BYTES = 512n;
const ENTROPY_BYTES = 32;

function formatMac(bytes: number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function readMac(probed: ProbedVirtioDevice): string {
  const transport = probed.device!.transport;
  return transport.readConfigStable(() => {
    const bytes: number[] = [];
    for (let i = 0; i < MAC_BYTES; i++) bytes.push(transport.readConfig8(NET_CONFIG_MAC + i));
    return formatMac(bytes);
  });
}

function readCapacityBytes(probed: ProbedVirtioDevice): bigint {
  const transport = probed.device!.transport;
  return transport.readConfigStable(() => transport.readConfig64(BLK_CONFIG_CAPACITY)) * SECTOR_BYTES;
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
    if (transport !== undefined) t.test(`${label}: transport ${transport}`, () => expectEqual(device.transport.kind, transport));
    if (notify !== undefined) t.test(`${label}: notify through ${notify}`, () => expectEqual(device.transport.notifyKind, notify));
    if (type === DeviceType.Rng) {
      t.test(`${label}: rng reaches DRIVER_OK and returns fresh entropy`, () => {
        expectEqual(probed.state, "ready", "driver state");
        const first = crypto!.getRandomValues(new Uint8Array(ENTROPY_BYTES));
        const second = crypto!.getRandomValues(new Uint8Array(ENTROPY_BYTES));
        expectTrue(first.some((b) => b !== 0), "entropy is not all zeros");
        expectTrue(first.some((b, i) => b !== second[i]), "two draws differ");
      });
    }
    if (type === DeviceType.Net && mac !== undefined) {
      t.test(`${label}: MAC read from config equals ${mac}`, () => expectEqual(readMac(probed), mac.toLowerCase()));
    }
    if (type === DeviceType.Block && blkBytes !== undefined) {
      t.test(`${label}: capacity equals the disk image size`, () =>
        expectEqual(readCapacityBytes(probed).toString(), blkBytes),
      );
    }
  }
}
