import { describe, expect, it } from "vitest";
import { createDemoApp } from "../../images/demo/app";
import type { MachineStatus } from "../../runtime/app/machine-status";
import { Request } from "../../runtime/http/request";
import { KvStore } from "../../runtime/kv/store";
import { MemoryDisk } from "../kv/memory-disk";

const status: MachineStatus = {
  uptimeSeconds: 12.5,
  memory: { heapBytes: 1000, freePages: 10, totalPages: 20 },
  devices: [
    {
      name: "00:04.0",
      type: "blk",
      transport: "modern",
      notify: "mem",
      state: "ready",
      interruptMode: "msix",
      features: "130000e54",
      featureNames: ["seg-max", "blk-size", "<flush>"],
      ring: { layout: "split", inOrder: false, eventIdx: true, indirect: true },
      queues: [{ index: 0, size: 256, inFlight: 1, notifications: 30, interrupts: 20, deviceErrors: 0, broken: "" }],
      configChanges: 0,
      configErrors: 0,
      needsResets: 0,
      error: "",
    },
  ],
  network: { rxFrames: 3, drops: { badChecksum: 1, truncated: 0 } },
  block: { "00:04.0": { reads: 2, recoveries: 0 } },
};

async function demo() {
  const disk = new MemoryDisk(4096);
  const store = await KvStore.open(disk);
  return { disk, fetch: createDemoApp({ store, status: () => status }) };
}

const url = (path: string) => `http://127.0.0.1:8080${path}`;

describe("demo app", () => {
  it("serves the status page: devices with feature names and ring, queue figures, zero counters folded, chart script", async () => {
    const { fetch } = await demo();
    const response = await fetch(new Request(url("/")));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    const page = await response.text();
    expect(page).toContain("<td>00:04.0</td><td>blk</td><td>modern</td>");
    expect(page).toContain("<td>split, event-idx, indirect</td>");
    expect(page).toContain("<code>seg-max</code> <code>blk-size</code> <code>&lt;flush&gt;</code>");
    expect(page).toContain("<tr><td>0</td><td>256</td><td>1</td><td>30</td><td>20</td><td>0</td></tr>");
    const [shown, folded] = page.slice(page.indexOf("<h2>Network</h2>"), page.indexOf("<h2>Block</h2>")).split("<details");
    expect(shown).toContain("<td>drops.badChecksum</td><td>1</td>");
    expect(folded).toContain("counters at zero (1)");
    expect(folded).toContain("<td>drops.truncated</td><td>0</td>");
    expect(page).toContain('<svg id="chart-iops" data-points="0"');
    expect(page).toContain("Up <span id=\"uptime\">12.5</span> s");
    const json = await (await fetch(new Request(url("/status.json")))).json();
    expect(json).toEqual({ ...status, http: { requests: 2 }, store: expect.objectContaining({ keys: 0 }) });
  });

  it("keeps the snapshot in the page safe from a closing script tag", async () => {
    const hostile = { ...status, devices: [{ ...status.devices[0], name: "</script><b>" }] };
    const page = await (await createDemoApp({ status: () => hostile })(new Request(url("/")))).text();
    expect(page).not.toContain("</script><b>");
    expect(page).toContain("&lt;/script&gt;&lt;b&gt;");
  });

  it("stores, lists, reads, overwrites and deletes keys on the disk", async () => {
    const { disk, fetch } = await demo();
    expect((await fetch(new Request(url("/kv/greeting"), { method: "PUT", body: "hello" }))).status).toBe(201);
    expect((await fetch(new Request(url("/kv/greeting"), { method: "PUT", body: "hello again" }))).status).toBe(204);
    expect(await (await fetch(new Request(url("/kv/greeting")))).text()).toBe("hello again");
    expect(await (await fetch(new Request(url("/kv")))).json()).toEqual(["greeting"]);
    const reopened = createDemoApp({ store: await KvStore.open(disk.crash()), status: () => status });
    expect(await (await reopened(new Request(url("/kv/greeting")))).text()).toBe("hello again");
    expect((await fetch(new Request(url("/kv/greeting"), { method: "DELETE" }))).status).toBe(204);
    expect((await fetch(new Request(url("/kv/greeting")))).status).toBe(404);
  });

  it("answers bad requests with the right status", async () => {
    const { fetch } = await demo();
    expect((await fetch(new Request(url("/kv/%zz")))).status).toBe(400);
    expect((await fetch(new Request(url("/kv/"), { method: "PUT", body: "x" }))).status).toBe(400);
    expect((await fetch(new Request(url("/kv/a"), { method: "POST" }))).status).toBe(405);
    expect((await fetch(new Request(url("/nowhere")))).status).toBe(404);
    const noDisk = createDemoApp({ status: () => status });
    expect((await noDisk(new Request(url("/kv/a")))).status).toBe(503);
  });
});
