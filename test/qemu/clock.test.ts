// The guest's clock against the host's: every deadline in the system (block requests, TCP, HTTP)
// is measured on it. Calibrating the TSC by waiting for the PIT counted time the host spent
// elsewhere as PIT time, so on a busy host under TCG the guest clock ran 3 to 30 times slow.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../scripts/lib/qemu";
import { bootDemo, DEMO_READY_TIMEOUT_MS, send, type Target } from "./lib/demo-guest";
import { freePort } from "./lib/ports";

const HOST_WAIT_MS = 4000;
/** Guest seconds per host second allowed: TCG and HTTP round trips add a little either way. */
const MIN_RATE = 0.8;
const MAX_RATE = 1.25;

const dir = mkdtempSync(join(tmpdir(), "vireo-clock-"));
let target: Target;
let guest: Guest | undefined;

async function guestUptimeSeconds(): Promise<number> {
  const reply = await send(target, "GET", "/status.json");
  return (JSON.parse(reply.body.toString()) as { uptimeSeconds: number }).uptimeSeconds;
}

beforeAll(async () => {
  target = { host: "127.0.0.1", port: await freePort() };
  guest = await bootDemo({ disk: join(dir, "kv.img"), httpPort: target.port });
}, DEMO_READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  await guest?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("guest clock", () => {
  it("keeps pace with the host's", async () => {
    const guestStart = await guestUptimeSeconds();
    const hostStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, HOST_WAIT_MS));
    const guestEnd = await guestUptimeSeconds();
    const rate = (guestEnd - guestStart) / ((Date.now() - hostStart) / 1000);
    expect(rate, `guest seconds per host second; guest console:\n${guest?.output ?? ""}`).toBeGreaterThan(MIN_RATE);
    expect(rate).toBeLessThan(MAX_RATE);
  });
});
