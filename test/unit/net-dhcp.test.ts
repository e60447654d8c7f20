import { describe, expect, it } from "vitest";
import { parseNetCommandLine } from "../../runtime/net/command-line";
import type { InterfaceConfig } from "../../runtime/net/config";
import { parseDhcpReply } from "../../runtime/net/dhcp-message";
import { NetError } from "../../runtime/net/errors";
import { ETHERTYPE_IPV4 } from "../../runtime/net/ethernet";
import { ScriptedDhcpServer } from "../net/dhcp-server";
import { host, staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { decodeFrame, decodeIpv4, ip } from "../net/packets";
import { SimLink } from "../net/sim-link";

const SECOND = 1000;

function network() {
  const scheduler = new ManualScheduler();
  const client = host(scheduler, 0x15, { dhcp: { maxDiscoverAttempts: 3 } });
  const serverHost = host(scheduler, 0x02);
  SimLink.connect(client.link, serverHost.link);
  serverHost.stack.configureStatic(staticConfig("10.0.2.2"));
  const server = new ScriptedDhcpServer(serverHost.stack, () => scheduler.now());
  const changes: InterfaceConfig[] = [];
  client.stack.onConfigChange((config) => changes.push(config));
  /** IP destinations of the DHCP requests the client sent. */
  const requestDestinations = (): number[] =>
    client.link
      .takeSent()
      .map((s) => decodeFrame(s.frame))
      .filter((f) => f.etherType === ETHERTYPE_IPV4)
      .map((f) => decodeIpv4(f.payload))
      .filter((p) => p.protocol === 17 && p.payload[3] === 67)
      .map((p) => p.destination);
  return { scheduler, client, server, changes, requestDestinations };
}

describe("dhcp client", () => {
  it("discovers, requests and binds the offered lease", async () => {
    const { scheduler, client, server } = network();
    const lease = client.stack.configureDhcp();
    await scheduler.advance(10);
    await expect(lease).resolves.toEqual({ address: ip("10.0.2.15"), netmask: ip("255.255.255.0"), gateway: ip("10.0.2.2"), dnsServers: [ip("10.0.2.3"), ip("10.0.2.4")] });
    expect(client.stack.config.address).toBe(ip("10.0.2.15"));
    expect(server.seen.map((r) => r.type)).toEqual([1, 3]);
    expect(server.seen[1]).toMatchObject({ requested: ip("10.0.2.15"), serverId: ip("10.0.2.2"), clientAddress: 0, broadcastFlag: true });
    expect(server.seen[1].xid).toBe(server.seen[0].xid);
  });

  it("holds a 90-day lease quietly and renews at T1, 45 days in", async () => {
    const { scheduler, client, server, requestDestinations } = network();
    const day = 24 * 3600 * SECOND;
    server.leaseSeconds = 90 * 24 * 3600;
    void client.stack.configureDhcp();
    await scheduler.advance(10);
    requestDestinations();
    await scheduler.advance(45 * day - 20);
    expect(requestDestinations()).toEqual([]);
    await scheduler.advance(20);
    expect(requestDestinations()).toEqual([ip("10.0.2.2")]);
    expect(server.seen.map((r) => r.at)).toEqual([0, 0, 45 * day]);
    expect(client.stack.config.address).toBe(ip("10.0.2.15"));
  });

  it("renews with the leasing server at T1", async () => {
    const { scheduler, client, server, requestDestinations } = network();
    server.leaseSeconds = 100;
    void client.stack.configureDhcp();
    await scheduler.advance(10);
    requestDestinations();
    await scheduler.advance(50 * SECOND);
    expect(server.seen[2]).toMatchObject({ type: 3, clientAddress: ip("10.0.2.15"), requested: null, broadcastFlag: false, at: 50 * SECOND });
    expect(requestDestinations()).toEqual([ip("10.0.2.2")]);
    await scheduler.advance(60 * SECOND);
    expect(client.stack.config.address).toBe(ip("10.0.2.15"));
    expect(server.seen.map((r) => r.at)).toEqual([0, 0, 50 * SECOND, 100 * SECOND]);
  });

  it("rebinds by broadcast at T2 and gives the address up when the lease expires", async () => {
    const { scheduler, client, server, changes, requestDestinations } = network();
    server.leaseSeconds = 1000;
    void client.stack.configureDhcp();
    await scheduler.advance(10);
    server.mode = "silent";
    requestDestinations();
    await scheduler.advance(875 * SECOND - 10);
    // Renewal retries at half the time left until T2, but at least every 60 s.
    expect(server.seen.slice(2).map((r) => r.at / SECOND)).toEqual([500, 687.5, 781.25, 841.25, 875]);
    expect(requestDestinations().slice(-2)).toEqual([ip("10.0.2.2"), ip("255.255.255.255")]);
    expect(client.stack.config.address).toBe(ip("10.0.2.15"));
    await scheduler.advance(125 * SECOND);
    expect(client.stack.config.address).toBe(0);
    expect(changes.map((c) => c.address)).toEqual([ip("10.0.2.15"), 0]);
    expect(server.seen[server.seen.length - 1]).toMatchObject({ type: 1, at: 1000 * SECOND });
  });

  it("drops the lease on NAK and starts over after a pause", async () => {
    const { scheduler, client, server } = network();
    server.leaseSeconds = 100;
    void client.stack.configureDhcp();
    await scheduler.advance(10);
    server.mode = "nak";
    await scheduler.advance(50 * SECOND - 10);
    expect(client.stack.config.address).toBe(0);
    expect(server.seen.map((r) => r.type)).toEqual([1, 3, 3]);
    await scheduler.advance(4 * SECOND);
    expect(server.seen.map((r) => [r.type, r.at / SECOND])).toEqual([[1, 0], [3, 0], [3, 50], [1, 54], [3, 54]]);
    server.mode = "answer";
    await scheduler.advance(4 * SECOND);
    expect(client.stack.config.address).toBe(ip("10.0.2.15"));
  });

  it("retries discovery with exponential back-off and reports a timeout", async () => {
    const { scheduler, client, server } = network();
    server.mode = "silent";
    const lease = client.stack.configureDhcp().catch((error: unknown) => error);
    await scheduler.advance(100 * SECOND);
    expect(server.seen.map((r) => r.at / SECOND)).toEqual([0, 4, 12, 28, 60]);
    const error = await lease;
    expect(error).toBeInstanceOf(NetError);
    expect((error as NetError).code).toBe("timeout");
    client.stack.configureStatic(staticConfig("10.0.2.15"));
    await scheduler.advance(200 * SECOND);
    expect(server.seen).toHaveLength(5);
  });

  it("reports a timeout on the first lease when the server offers but refuses every request", async () => {
    const { scheduler, client, server } = network();
    server.mode = "nak";
    const lease = client.stack.configureDhcp().catch((error: unknown) => error);
    await scheduler.advance(10 * 60 * SECOND);
    // maxDiscoverAttempts (3) in all, not per round: each NAK starts a new round.
    expect(server.seen.filter((r) => r.type === 1).length).toBeGreaterThan(3);
    const error = await Promise.race([lease, Promise.resolve("still waiting")]);
    expect(error).toBeInstanceOf(NetError);
    expect((error as NetError).code).toBe("timeout");
  });

  it("counts malformed replies and ignores other clients' transactions", async () => {
    const { scheduler, client, server } = network();
    server.mode = "silent";
    void client.stack.configureDhcp();
    await scheduler.advance(10);
    server.sendRaw(new Uint8Array(100));
    server.sendRaw(server.reply(server.seen[0].xid ^ 1, client.stack.mac, 2));
    await scheduler.advance(10);
    expect(client.stack.counters.drops["dhcp.malformed"]).toBe(1);
    expect(server.seen).toHaveLength(1);
  });
});

describe("dhcp reply parser", () => {
  const server = (() => {
    const scheduler = new ManualScheduler();
    const h = host(scheduler, 2);
    h.stack.configureStatic(staticConfig("10.0.2.2"));
    return new ScriptedDhcpServer(h.stack, () => 0);
  })();
  const valid = server.reply(0x1234, new Uint8Array([1, 2, 3, 4, 5, 6]), 5);

  it("reads the fields and options of a valid reply", () => {
    expect(parseDhcpReply(valid)).toMatchObject({
      xid: 0x1234,
      messageType: 5,
      yourAddress: ip("10.0.2.15"),
      serverId: ip("10.0.2.2"),
      leaseSeconds: 3600,
      subnetMask: ip("255.255.255.0"),
      routers: [ip("10.0.2.2")],
      dnsServers: [ip("10.0.2.3"), ip("10.0.2.4")],
    });
  });

  const withOptions = (...options: number[]): Uint8Array => Uint8Array.from([...valid.subarray(0, 240), ...options]);

  it.each<[string, Uint8Array]>([
    ["shorter than the fixed header", valid.subarray(0, 239)],
    ["a bad magic cookie", Uint8Array.from(valid, (b, i) => (i === 236 ? 0 : b))],
    ["a request rather than a reply", Uint8Array.from(valid, (b, i) => (i === 0 ? 1 : b))],
    ["an option running past the end", withOptions(53, 1, 5, 6, 8, 10, 0, 2, 3)],
    ["an option length byte missing", withOptions(53, 1, 5, 6)],
    ["a subnet mask of the wrong length", withOptions(53, 1, 5, 1, 3, 255, 255, 255, 255)],
    ["a router list not in whole addresses", withOptions(53, 1, 5, 3, 5, 10, 0, 2, 2, 0, 255)],
    ["a lease time of the wrong length", withOptions(53, 1, 5, 51, 2, 0, 1, 255)],
    ["no message type", withOptions(54, 4, 10, 0, 2, 2, 255)],
  ])("rejects %s", (_, bytes) => {
    expect(parseDhcpReply(bytes)).toBeNull();
  });

  it("skips padding and unknown options", () => {
    expect(parseDhcpReply(withOptions(0, 0, 12, 3, 97, 98, 99, 53, 1, 2, 255))?.messageType).toBe(2);
  });
});

describe("network command line", () => {
  it("reads a static configuration among other words", () => {
    expect(parseNetCommandLine("console=ttyS0 ip=10.0.2.15/24 gw=10.0.2.2 dns=10.0.2.3,1.1.1.1 quiet")).toEqual({
      mode: "static",
      config: { address: ip("10.0.2.15"), netmask: ip("255.255.255.0"), gateway: ip("10.0.2.2"), dnsServers: [ip("10.0.2.3"), ip("1.1.1.1")] },
    });
    expect(parseNetCommandLine("ip=192.168.1.7/16")).toEqual({ mode: "static", config: { address: ip("192.168.1.7"), netmask: ip("255.255.0.0"), gateway: 0, dnsServers: [] } });
  });

  it("recognises DHCP and the absence of any setting", () => {
    expect(parseNetCommandLine("ip=dhcp")).toEqual({ mode: "dhcp" });
    expect(parseNetCommandLine("console=ttyS0")).toBeNull();
    expect(parseNetCommandLine("")).toBeNull();
  });

  it.each(["ip=10.0.2.15", "ip=10.0.2.15/33", "ip=10.0.2/24", "ip=10.0.2.256/24", "ip=10.0.2.15/24/1", "ip=10.0.2.15/24 gw=x", "ip=10.0.2.15/24 dns=10.0.2.3,"])(
    "rejects %s",
    (line) => {
      expect(() => parseNetCommandLine(line)).toThrow(expect.objectContaining({ code: "badConfig" }));
    },
  );
});
