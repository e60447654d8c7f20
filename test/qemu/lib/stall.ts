// A drive QEMU throttles to a trickle (block_set_io_throttle over QMP), and the demo's view of its
// one disk (/status.json): the tests of a disk that stalls and recovers share these.
import { expect } from "vitest";
import { send, type Target } from "./demo-guest";
import { qmp } from "./qmp";

/** Limits drive `device` to `bytesPerSecond` (0 lifts the limit). */
export function throttle(socket: string, device: string, bytesPerSecond: number): Promise<unknown[]> {
  const limits = { bps: bytesPerSecond, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 0, iops_wr: 0 };
  return qmp(socket, [{ execute: "block_set_io_throttle", arguments: { device, ...limits } }]);
}

export interface BlockStatus {
  readonly recoveries: number;
  readonly offline: string;
}

/** The demo's status page entry of its one disk: resets that brought it back, and whether it was given up. */
export async function blockStatus(target: Target): Promise<BlockStatus> {
  const reply = await send(target, "GET", "/status.json");
  expect(reply.status).toBe(200);
  const disks = Object.values((JSON.parse(reply.body.toString()) as { block: Record<string, BlockStatus> }).block);
  expect(disks).toHaveLength(1);
  return disks[0] as BlockStatus;
}
