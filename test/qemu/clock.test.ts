// The guest's clock against the host's: every deadline in the system (block requests, TCP, HTTP)
// is measured on it. Calibrating the TSC by waiting for the PIT counted time the host spent
// elsewhere as PIT time, so on a busy host under TCG the guest clock ran 3 to 30 times slow.
import { describe, expect, it } from "vitest";
import { demoForFile, send } from "./lib/demo-guest";

const HOST_WAIT_MS = 4000;
/** Guest seconds per host second allowed: TCG and HTTP round trips add a little either way. */
const MIN_RATE = 0.8;
const MAX_RATE = 1.25;

async function guestUptimeSeconds(): Promise<number> {
  const reply = await send(demo.target, "GET", "/status.json");
  return (JSON.parse(reply.body.toString()) as { uptimeSeconds: number }).uptimeSeconds;
}

const demo = demoForFile("vireo-clock-");

describe("guest clock", () => {
  it("keeps pace with the host's", async () => {
    const guestStart = await guestUptimeSeconds();
    const hostStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, HOST_WAIT_MS));
    const guestEnd = await guestUptimeSeconds();
    const rate = (guestEnd - guestStart) / ((Date.now() - hostStart) / 1000);
    expect(rate, `guest seconds per host second; guest console:\n${demo.guest.output}`).toBeGreaterThan(MIN_RATE);
    expect(rate).toBeLessThan(MAX_RATE);
  });
});
