// The demo on QEMU's tap networking (vnet_hdr on), facing the host's Linux TCP stack inside a
// network namespace this test creates: virtio-net offers the segmentation offloads there, and the
// driver takes HOST_TSO4 and GUEST_TSO4. A 1 MiB upload (the host's segments arrive coalesced)
// and download (the guest's large segments are cut by the host) must be byte-exact, and the
// device counters must show that both offloads carried traffic. User networking, which offers
// no offloads, is covered by demo.test.ts ("stores a 1 MiB value and returns it with the same SHA-256").
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../scripts/lib/qemu";
import { TapNamespace } from "../../scripts/lib/tap-namespace";
import { bootDemo, DEMO_READY_TIMEOUT_MS } from "./lib/demo-guest";

const HOST_ADDRESS = "10.78.0.1";
const GUEST_ADDRESS = "10.78.0.2";
const PREFIX = 24;
const VALUE_BYTES = 1024 * 1024;
const CURL_TIMEOUT_S = "60";
const HOST_TSO4 = 11n;
const GUEST_TSO4 = 7n;
/** The boot report's line for the network device: `virtio <name> type=net ... features=<hex> ...`. */
const NET_REPORT = /virtio \S+ type=net .*features=([0-9a-f]+)/;

const namespace = TapNamespace.create({ name: `vireo-tso-${process.pid}`, tap: "tap0", hostAddress: HOST_ADDRESS, prefix: PREFIX });
const unavailable = typeof namespace === "string" ? namespace : undefined;
const tap = typeof namespace === "string" ? undefined : namespace;
const dir = mkdtempSync(join(tmpdir(), "vireo-tap-offload-"));
let guest: Guest | undefined;

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const url = (path: string) => `http://${GUEST_ADDRESS}${path}`;

/** curl from inside the namespace; returns its stdout. */
function curl(...args: string[]): Promise<string> {
  return (tap as TapNamespace).run("curl", "-sS", "--fail", "--max-time", CURL_TIMEOUT_S, ...args);
}

interface Status {
  devices: { type: string; featureNames: string[] }[];
  network: { nic: Record<string, number> };
}

async function status(): Promise<Status> {
  return JSON.parse(await curl(url("/status.json"))) as Status;
}

beforeAll(async () => {
  if (tap === undefined) return;
  guest = await bootDemo({
    disk: join(dir, "kv.img"),
    httpPort: 0,
    append: `ip=${GUEST_ADDRESS}/${PREFIX} gw=${HOST_ADDRESS} dns=${HOST_ADDRESS}`,
    variant: { netdev: tap.netdev },
    wrapper: tap.wrapper,
  });
}, DEMO_READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  await guest?.stop();
  tap?.delete();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(unavailable !== undefined)(`virtio-net offloads over tap${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  it("negotiates HOST_TSO4 and GUEST_TSO4 (boot report and status page)", async () => {
    const line = NET_REPORT.exec(guest?.output ?? "");
    expect(line, guest?.output).not.toBeNull();
    const features = BigInt(`0x${(line as RegExpExecArray)[1]}`);
    expect((features >> HOST_TSO4) & 1n).toBe(1n);
    expect((features >> GUEST_TSO4) & 1n).toBe(1n);
    const net = (await status()).devices.find((device) => device.type === "net");
    expect(net?.featureNames).toEqual(expect.arrayContaining(["csum", "guest-csum", "host-tso4", "guest-tso4", "mrg-rxbuf"]));
  });

  it("takes a 1 MiB upload and serves it back byte-exact, through large receives and segmentation offload", async () => {
    const value = randomBytes(VALUE_BYTES);
    const upload = join(dir, "upload.bin");
    const download = join(dir, "download.bin");
    writeFileSync(upload, value);
    const before = (await status()).network.nic;
    expect(await curl("-X", "PUT", "--data-binary", `@${upload}`, "-o", "/dev/null", "-w", "%{http_code}", url("/kv/big"))).toBe("201");
    const afterUpload = (await status()).network.nic;
    await curl("-o", download, url("/kv/big"));
    const after = (await status()).network.nic;
    const context = `counters before ${JSON.stringify(before)}\nafter ${JSON.stringify(after)}\nguest console:\n${guest?.output ?? ""}`;
    expect(sha256(readFileSync(download)), context).toBe(sha256(value));
    // The host coalesced the upload's segments, and the guest sent the download in large segments.
    expect(afterUpload.rxSegmented - before.rxSegmented, context).toBeGreaterThan(0);
    expect(after.txSegmented - afterUpload.txSegmented, context).toBeGreaterThan(0);
    expect(after.rxBadHeader + after.deviceErrors, context).toBe(0);
  });
});
