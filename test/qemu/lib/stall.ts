// A drive QEMU throttles to a trickle (block_set_io_throttle over QMP), and the demo's view of its
// one disk (/status.json): the tests of a disk that stalls and recovers share these.
import { randomBytes } from "node:crypto";
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

const STALLED_BYTES_PER_SECOND = 1;
const VALUE_BYTES = 4096;
const HTTP_SERVER_ERROR = 500;

export interface Stall {
  readonly target: Target;
  /** The QMP socket of the guest's QEMU; its drive is named "kv". */
  readonly socket: string;
  /** The guest's `blk.timeout-ms`. */
  readonly blockTimeoutMs: number;
  /** Room over the block timeout for the guest's recovery and the HTTP answer under TCG. */
  readonly answerSlackMs: number;
  /** The guest's console so far, for failure messages. */
  readonly console: () => string;
}

/**
 * Stores a value, stalls the drive while storing another (which must fail with a timeout, a 5xx,
 * no sooner than the block timeout), lifts the stall, and checks that the disk came back
 * (recovered, not offline) with every acknowledged value readable and new puts working.
 */
export async function stallAndRecover(stall: Stall): Promise<void> {
  const { target, socket, console } = stall;
  const before = randomBytes(VALUE_BYTES);
  expect((await send(target, "PUT", "/kv/before", before)).status, console()).toBe(201);

  await throttle(socket, "kv", STALLED_BYTES_PER_SECOND);
  const stalled = await send(target, "PUT", "/kv/stalled", randomBytes(VALUE_BYTES), stall.blockTimeoutMs + stall.answerSlackMs);
  await throttle(socket, "kv", 0);
  expect(stalled.status, console()).toBeGreaterThanOrEqual(HTTP_SERVER_ERROR);
  expect(stalled.body.toString(), console()).toMatch(/timeout/);
  expect(stalled.elapsedMs).toBeGreaterThanOrEqual(stall.blockTimeoutMs);
  const status = await blockStatus(target);
  expect(status.recoveries, console()).toBeGreaterThanOrEqual(1);
  expect(status.offline, console()).toBe("no");

  const after = randomBytes(VALUE_BYTES);
  expect([201, 204], console()).toContain((await send(target, "PUT", "/kv/after", after)).status);
  for (const [key, value] of [["before", before], ["after", after]] as const) {
    const reply = await send(target, "GET", `/kv/${key}`);
    expect(reply.status, console()).toBe(200);
    expect(Buffer.compare(reply.body, value), `GET ${key}`).toBe(0);
  }
}
