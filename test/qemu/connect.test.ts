// A guest-side TCP connect() out to a host server through QEMU's user-network gateway (10.0.2.2
// is the host's loopback), carrying an HTTP request and a 256 KiB response checked by SHA-256.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot } from "../../scripts/lib/qemu";

const BODY = randomBytes(256 * 1024);
const BOOT_TIMEOUT_MS = 120_000;
let server: Server;
let port = 0;
let requestsSeen = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    requestsSeen++;
    response.end(request.url === "/payload" ? BODY : "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  port = typeof address === "object" && address ? address.port : 0;
}, BOOT_TIMEOUT_MS);

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("guest connect() to the host", () => {
  it("fetches a body from a host server through the gateway, byte for byte", async () => {
    const result = await boot({
      app: "nettest",
      append: `ip=dhcp fetch=http://10.0.2.2:${port}/payload`,
      qemuArgs: ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"],
      timeoutMs: BOOT_TIMEOUT_MS,
    });
    const digest = createHash("sha256").update(BODY).digest("hex");
    expect(result.output).toContain(`status 200 bytes ${BODY.length} sha256 ${digest}`);
    expect(requestsSeen).toBe(1);
    expect(result.status, result.output).toBe(0);
  }, BOOT_TIMEOUT_MS);
});
