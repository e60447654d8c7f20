import { describe, expect, it } from "vitest";
import { encodeDnsQuery, parseDnsResponse } from "../../runtime/net/dns-message";
import { NetError } from "../../runtime/net/errors";
import { A, CNAME, QUESTION_NAME_OFFSET, ScriptedDnsServer, addressBytes, encodeName, pointer, record, response } from "../net/dns-server";
import { host, staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { ip } from "../net/packets";
import { SimLink } from "../net/sim-link";

const SECOND = 1000;
const HERE = pointer(QUESTION_NAME_OFFSET);

function network(dns = ["10.0.2.3"]) {
  const scheduler = new ManualScheduler();
  const client = host(scheduler, 0x15);
  const serverHost = host(scheduler, 0x03);
  SimLink.connect(client.link, serverHost.link);
  client.stack.configureStatic(staticConfig("10.0.2.15", "10.0.2.2", dns));
  serverHost.stack.configureStatic(staticConfig("10.0.2.3"));
  const server = new ScriptedDnsServer(serverHost.stack, () => scheduler.now());
  const failure = async (promise: Promise<unknown>): Promise<string> => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NetError);
    return (error as NetError).code;
  };
  return { scheduler, client, server, failure };
}

describe("dns resolver", () => {
  it("resolves an A record whose owner is a compression pointer to the question", async () => {
    const { scheduler, client, server } = network();
    server.script = (q) => response(q, { answers: [record(HERE, A, 300, addressBytes(ip("93.184.216.34"))), record(HERE, A, 300, addressBytes(ip("93.184.216.35")))] });
    const result = client.stack.resolve("Example.COM.");
    await scheduler.advance(10);
    await expect(result).resolves.toEqual([ip("93.184.216.34"), ip("93.184.216.35")]);
    expect(server.queries.map((q) => q.name)).toEqual(["example.com"]);
  });

  it("follows a CNAME chain with nested pointers", async () => {
    const { scheduler, client, server } = network();
    // www.example.com CNAME web.example.com ("web" + pointer to "example.com" inside the question).
    const webOffset = 12 + 17 + 4 + 12;
    server.script = (q) =>
      response(q, {
        answers: [record(HERE, CNAME, 60, [3, ...Array.from("web", (c) => c.charCodeAt(0)), ...pointer(16)]), record(pointer(webOffset), A, 30, addressBytes(ip("10.9.8.7")))],
      });
    const result = client.stack.resolve("www.example.com");
    await scheduler.advance(10);
    await expect(result).resolves.toEqual([ip("10.9.8.7")]);
  });

  it("answers from the cache until the TTL runs out", async () => {
    const { scheduler, client, server } = network();
    server.script = (q) => response(q, { answers: [record(HERE, A, 5, addressBytes(ip("1.2.3.4")))] });
    const first = client.stack.resolve("cached.test");
    await scheduler.advance(10);
    await expect(first).resolves.toEqual([ip("1.2.3.4")]);
    await expect(client.stack.resolve("CACHED.test")).resolves.toEqual([ip("1.2.3.4")]);
    expect(server.queries).toHaveLength(1);
    await scheduler.advance(5 * SECOND);
    server.script = (q) => response(q, { answers: [record(HERE, A, 0, addressBytes(ip("5.6.7.8")))] });
    const refreshed = client.stack.resolve("cached.test");
    await scheduler.advance(10);
    await expect(refreshed).resolves.toEqual([ip("5.6.7.8")]);
    const uncached = client.stack.resolve("cached.test");
    await scheduler.advance(10);
    await uncached;
    expect(server.queries).toHaveLength(3);
  });

  it("reports NXDOMAIN, empty answers and server failures", async () => {
    const { scheduler, client, server, failure } = network();
    server.script = (q) => response(q, { rcode: 3 });
    const missing = failure(client.stack.resolve("missing.test"));
    await scheduler.advance(10);
    expect(await missing).toBe("nxdomain");
    server.script = (q) => response(q);
    const empty = failure(client.stack.resolve("empty.test"));
    await scheduler.advance(10);
    expect(await empty).toBe("noData");
    server.script = (q) => response(q, { rcode: 2 });
    const broken = failure(client.stack.resolve("broken.test"));
    await scheduler.advance(10);
    expect(await broken).toBe("serverFailure");
    expect(server.queries.filter((q) => q.name === "broken.test")).toHaveLength(3);
  });

  it("retries across servers and times out", async () => {
    const { scheduler, client, server, failure } = network(["10.0.2.3", "10.0.2.77"]);
    const result = failure(client.stack.resolve("slow.test"));
    await scheduler.advance(6 * SECOND + 100);
    expect(await result).toBe("timeout");
    expect(server.queries.map((q) => q.at)).toEqual([0, 4 * SECOND]);
    expect(new Set(server.queries.map((q) => q.id)).size).toBe(2);
  });

  it("retries after a lost answer and accepts the late one", async () => {
    const { scheduler, client, server } = network();
    let calls = 0;
    server.script = (q) => (++calls === 1 ? null : response(q, { answers: [record(HERE, A, 60, addressBytes(ip("4.4.4.4")))] }));
    const result = client.stack.resolve("flaky.test");
    await scheduler.advance(2 * SECOND + 10);
    await expect(result).resolves.toEqual([ip("4.4.4.4")]);
  });

  it("rejects malformed responses: pointer loops, truncation, mismatched questions", async () => {
    const { scheduler, client, server, failure } = network();
    const scripts: ((q: Uint8Array) => Uint8Array)[] = [
      (q) => response(q, { answers: [record(pointer(100), A, 60, addressBytes(1))] }),
      (q) => response(q, { answers: [record(HERE, A, 60, addressBytes(1))] }).subarray(0, 40),
      (q) => response(Uint8Array.from([...q.subarray(0, 12), ...encodeName("other.test"), 0, 1, 0, 1]), { answers: [] }),
    ];
    for (const script of scripts) {
      server.script = script;
      const result = failure(client.stack.resolve("bad.test"));
      await scheduler.advance(10);
      expect(await result).toBe("malformed");
    }
    expect(client.stack.counters.drops["dns.malformed"]).toBe(3);
  });

  it("rejects bad names and missing servers without sending", async () => {
    const { client, server, failure } = network([]);
    expect(await failure(client.stack.resolve("x.test"))).toBe("noServer");
    expect(await failure(client.stack.resolve(`${"a".repeat(64)}.test`))).toBe("badName");
    expect(await failure(client.stack.resolve("a..b"))).toBe("badName");
    await expect(client.stack.resolve("10.0.2.3")).resolves.toEqual([ip("10.0.2.3")]);
    expect(server.queries).toHaveLength(0);
  });
});

describe("dns message parser", () => {
  const query = encodeDnsQuery(0x4242, "a.example");
  const withAnswers = (...answers: number[][]): Uint8Array => response(query, { answers });

  it("encodes a recursive A query", () => {
    expect(Array.from(query)).toEqual([0x42, 0x42, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...encodeName("a.example"), 0, 1, 0, 1]);
  });

  it.each<[string, Uint8Array]>([
    // The answer section starts at 27: 12 header bytes, 11 for the name, 4 for type and class.
    ["a pointer to itself", withAnswers(record(pointer(27), A, 1, addressBytes(1)))],
    ["a name looping back to its own start", withAnswers(record([1, 120, ...pointer(27)], A, 1, addressBytes(1)))],
    ["a pointer loop between owner and CNAME data", withAnswers(record([1, 120, ...pointer(41)], CNAME, 1, pointer(27)))],
    ["a pointer forward past the end", withAnswers(record(pointer(0x3fff), A, 1, addressBytes(1)))],
    ["a label running past the end", withAnswers([9, 97])],
    ["a record header cut short", Uint8Array.from([...withAnswers(record(HERE, A, 1, addressBytes(1))).subarray(0, 30)])],
    ["rdata longer than the message", withAnswers([...HERE, 0, 1, 0, 1, 0, 0, 0, 1, 0, 9, 1, 2, 3, 4])],
    ["an A record of the wrong size", withAnswers(record(HERE, A, 1, [1, 2, 3]))],
    ["a reserved label type", withAnswers([0x40, ...record([0], A, 1, addressBytes(1))])],
    ["a header shorter than 12 bytes", response(query).subarray(0, 11)],
    ["a query rather than a response", query],
  ])("rejects %s", (_, bytes) => {
    expect(parseDnsResponse(bytes)).toBeNull();
  });

  it("rejects names longer than 255 bytes", () => {
    const withOwnerLabels = (count: number): Uint8Array => {
      const owner = [...Array.from({ length: count }, () => [63, ...new Array<number>(63).fill(97)]).flat(), 0];
      return withAnswers(record(owner, A, 1, addressBytes(1)));
    };
    expect(parseDnsResponse(withOwnerLabels(3))?.answers).toHaveLength(1);
    expect(parseDnsResponse(withOwnerLabels(4))).toBeNull();
  });

  it("reads TTLs with the top bit set as zero and skips other classes and types", () => {
    const parsed = parseDnsResponse(
      withAnswers([...HERE, 0, 1, 0, 1, 0x80, 0, 0, 0, 0, 4, 1, 2, 3, 4], [...HERE, 0, 1, 0, 3, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4], record(HERE, 16, 1, [3, 97, 98, 99])),
    );
    expect(parsed).toEqual({ id: 0x4242, rcode: 0, question: "a.example", answers: [{ type: A, name: "a.example", ttl: 0, address: 0x01020304 }] });
  });
});
