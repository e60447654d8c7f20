import { describe, expect, it } from "vitest";
import type { BlockDevice } from "../../runtime/block/device";
import { AppError } from "../../runtime/app/errors";
import { AppMachine, type AppDevices } from "../../runtime/app/machine";
import { serveOn, type ListenInfo } from "../../runtime/app/server";
import { createFetch } from "../../runtime/http/fetch";
import { Response } from "../../runtime/http/response";
import { NetError } from "../../runtime/net/errors";
import { NetStack } from "../../runtime/net/stack";
import { AbortController } from "../../kernel/web/abort";
import { staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { seededRandom } from "../net/seeded-random";
import { mac } from "../net/sim-link";
import { LossyLink } from "../tcp/lossy-link";

/** A machine whose one NIC is wired to a peer host at 10.0.2.2 (a client of the app). */
function wiredMachine(commandLine: string, disks: readonly BlockDevice[] = []) {
  const scheduler = new ManualScheduler();
  const nic = new LossyLink(mac(0x15), scheduler);
  const peerLink = new LossyLink(mac(0x02), scheduler);
  LossyLink.connect(nic, peerLink);
  const peer = new NetStack({ link: peerLink, scheduler, random: seededRandom(2) });
  peer.configureStatic(staticConfig("10.0.2.2"));
  let startedDevices = 0;
  const machine = new AppMachine<AppDevices>({
    startDevices: () => {
      startedDevices++;
      return { nics: [nic], disks };
    },
    commandLine,
    scheduler,
    randomFor: () => seededRandom(1),
  });
  const settle = async <T>(promise: Promise<T>): Promise<T> => {
    let outcome: { value: T } | { error: unknown } | undefined;
    promise.then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error }),
    );
    for (let spent = 0; outcome === undefined && spent < 60_000; spent++) await scheduler.advance(1);
    if (outcome === undefined) throw new Error("did not settle");
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  };
  return { machine, fetch: createFetch(peer), settle, startedDevices: () => startedDevices };
}

const nicOf = (machine: AppMachine<AppDevices>) => machine.devices().nics[0];

const hello = (request: { url: string }) => new Response(`hello ${new URL(request.url).pathname}`);

describe("serve() on the app machine", () => {
  it("brings the network up from ip= and answers requests; devices start once", async () => {
    const { machine, fetch, settle, startedDevices } = wiredMachine("quiet ip=10.0.2.15/24 gw=10.0.2.2");
    const listening: ListenInfo[] = [];
    const server = serveOn(() => machine.network(), { port: 8000, fetch: hello, onListen: (info) => listening.push(info) });
    expect(await settle(server.ready)).toEqual({ hostname: "10.0.2.15", port: 8000 });
    expect(listening).toEqual([{ hostname: "10.0.2.15", port: 8000 }]);
    const response = await settle(fetch("http://10.0.2.15:8000/there"));
    expect(await settle(response.text())).toBe("hello /there");
    expect(await machine.network()).toBe(await machine.network());
    // The stack runs over a RecoveringLink around the NIC; machineStatus reads both from here.
    expect(machine.networkIfUp?.stack).toBe(await machine.network());
    expect(machine.networkIfUp?.link.link).toBe(nicOf(machine));
    expect(machine.networkIfUp?.link.recoveries).toBe(0);
    expect(startedDevices()).toBe(1);
  });

  it("takes a bare handler on port 80; shutdown() ends `finished` and new connections are refused", async () => {
    const { machine, fetch, settle } = wiredMachine("ip=10.0.2.15/24");
    const server = serveOn(() => machine.network(), { fetch: hello, onListen: () => undefined });
    expect(server.port).toBe(80);
    await settle(server.ready);
    expect((await settle(fetch("http://10.0.2.15/"))).status).toBe(200);
    let finished = false;
    void server.finished.then(() => (finished = true));
    await settle(server.shutdown());
    expect(finished).toBe(true);
    await expect(settle(fetch("http://10.0.2.15/"))).rejects.toBeInstanceOf(NetError);
  });

  it("shuts down when its signal aborts, even before the network is up", async () => {
    const { machine, fetch, settle } = wiredMachine("ip=10.0.2.15/24");
    const controller = new AbortController();
    const server = serveOn(() => machine.network(), { fetch: hello, signal: controller.signal, onListen: () => undefined });
    controller.abort();
    await settle(server.finished);
    await expect(settle(fetch("http://10.0.2.15/"))).rejects.toBeInstanceOf(NetError);
  });

  it("rejects `finished` when the machine has no network device", async () => {
    const machine = new AppMachine({
      startDevices: () => ({ nics: [], disks: [] }),
      commandLine: "",
      scheduler: new ManualScheduler(),
      randomFor: () => seededRandom(1),
    });
    const server = serveOn(() => machine.network(), hello);
    await expect(server.finished).rejects.toThrow(expect.objectContaining({ code: "no-network-device" }));
    await expect(server.ready).rejects.toBeInstanceOf(AppError);
  });

  it("rejects a bad ip= with the network stack's error", async () => {
    const { machine } = wiredMachine("ip=10.0.2.15");
    await expect(machine.network()).rejects.toThrow(expect.objectContaining({ code: "badConfig" }));
  });
});

describe("openDisk on the app machine", () => {
  const disk = (serial: string) => ({ info: { serial } }) as unknown as BlockDevice;

  it("finds a disk by serial, or the first one", () => {
    const disks = [disk("data"), disk("logs")];
    const { machine } = wiredMachine("", disks);
    expect(machine.openDisk()).toBe(disks[0]);
    expect(machine.openDisk("logs")).toBe(disks[1]);
  });

  it("says which disks there are when the one asked for is missing", () => {
    const { machine } = wiredMachine("", [disk("data")]);
    expect(() => machine.openDisk("kv")).toThrow(new AppError("no-disk", 'no disk with serial "kv" (disks found: "data"; vireo run --disk FILE,serial=NAME)'));
    const bare = wiredMachine("").machine;
    expect(() => bare.openDisk()).toThrow(/no disk \(disks found: none/);
  });
});
