import { describe, expect, it } from "vitest";
import { createDemoApp } from "../../images/demo/app";
import type { StatusSnapshot } from "../../images/demo/status";
import { Request } from "../../runtime/http/request";
import { KvStore } from "../../runtime/kv/store";
import { MemoryDisk } from "../kv/memory-disk";

const status: StatusSnapshot = {
  uptimeSeconds: 12.5,
  memory: { heapBytes: 1000, freePages: 10, totalPages: 20 },
  devices: [{ name: "00:04.0", type: "blk", transport: "modern", notify: "mem", features: "130000e54", state: "ready" }],
  network: { rxFrames: 3, drops: { badChecksum: 1 } },
  block: { reads: 2 },
  store: { keys: 0 },
};

async function demo() {
  const disk = new MemoryDisk(4096);
  const store = await KvStore.open(disk);
  return { disk, fetch: createDemoApp({ store, status: () => status }) };
}

const url = (path: string) => `http://127.0.0.1:8080${path}`;

describe("demo app", () => {
  it("serves the status page with every device and counter, escaped", async () => {
    const { fetch } = await demo();
    const response = await fetch(new Request(url("/")));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    const page = await response.text();
    expect(page).toContain("<td>00:04.0</td><td>blk</td><td>modern</td>");
    expect(page).toContain("<td>drops.badChecksum</td><td>1</td>");
    expect(page).toContain("Up 12.5 s");
    const json = await (await fetch(new Request(url("/status.json")))).json();
    expect(json).toEqual(status);
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
