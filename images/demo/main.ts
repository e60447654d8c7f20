// The demo app `npm start` boots: an HTTP server with a status page and a key-value store kept
// on the virtio-blk disk. The command line may configure the network (`ip=A/P gw=G dns=D`, or
// DHCP by default) and `bench-exit` ends the machine once it is ready (for boot benchmarks).
import { deviceTypeName } from "../../drivers/virtio/device-types";
import { start, type System } from "../../kernel/start";
import { serve } from "../../runtime/http/server";
import { KvError } from "../../runtime/kv/errors";
import { KvStore, type KvDisk } from "../../runtime/kv/store";
import { VirtioNet } from "../../drivers/virtio/net/net";
import { NetStack, formatIpv4, parseNetCommandLine } from "../../runtime/net/index";
import { RecoveringLink } from "../../runtime/net/recovering-link";
import { startDevices, type Devices } from "../../runtime/devices";
import { eventLoopScheduler, systemRandom } from "../../runtime/services";
import { createDemoApp } from "./app";
import type { StatusSnapshot } from "./status";

const HTTP_PORT = 80;
const KV_DISK_SERIAL = "vireo-kv";
const NS_PER_S = 1e9;
const NS_PER_MS = 1e6;

function snapshot(system: System, devices: Devices, stack: NetStack, link: RecoveringLink, store: KvStore | undefined): StatusSnapshot {
  const nic = link.link instanceof VirtioNet ? link.link.counters : {};
  return {
    uptimeSeconds: system.platform.monotonicNs() / NS_PER_S,
    memory: vireoNative.memoryUsage(),
    devices: devices.virtio.map((probed) => {
      const t = probed.device?.transport;
      return {
        name: probed.name,
        type: t ? deviceTypeName(t.deviceType) : "?",
        transport: t?.kind ?? "?",
        notify: t?.notifyKind ?? "?",
        features: (probed.device?.features ?? 0n).toString(16),
        state: probed.state,
      };
    }),
    network: { ...stack.counters, nic: { ...nic, recoveries: link.recoveries } },
    block: Object.fromEntries(
      devices.disks.map((disk) => [
        disk.name,
        { ...disk.info, features: disk.info.features.join(" "), recoveries: disk.recoveries, offline: disk.offline?.code ?? "no" },
      ]),
    ),
    store: store === undefined ? { disk: "none" } : { ...store.stats },
  };
}

/** The store on `disk`, or undefined (and why, on the console) when it does not open. */
async function openStore(disk: KvDisk): Promise<KvStore | undefined> {
  try {
    return await KvStore.open(disk);
  } catch (error) {
    if (!(error instanceof KvError)) throw error;
    console.log(`demo: the key-value disk does not open (${error.code}: ${error.message})`);
    return undefined;
  }
}

start(async (system) => {
  const { platform, commandLine } = system;
  const ms = (ns: number) => (ns / NS_PER_MS).toFixed(1);
  console.log(`Vireo demo: TypeScript started ${ms(system.typescriptStartNs)} ms and main ran ${ms(platform.monotonicNs())} ms after kernel entry`);
  const devices = startDevices(system);
  const disk = devices.disks.find((d) => d.info.serial === KV_DISK_SERIAL) ?? devices.disks[0];
  const store = disk !== undefined ? await openStore(disk) : undefined;
  console.log(store ? `demo: key-value store on ${disk?.name} (${store.stats.keys} keys)` : `demo: ${disk ? "the disk is not usable" : "no disk"}, the store is off`);
  const nic = devices.nics[0];
  if (nic === undefined) {
    console.log("demo: no virtio-net device; nothing to serve");
    return 1;
  }
  const scheduler = eventLoopScheduler(platform);
  // A NIC whose ring breaks (or that asks for a reset) is reset and the stack goes on over it.
  const link = new RecoveringLink(nic, { scheduler });
  const random = systemRandom(devices);
  const stack = new NetStack({ link, scheduler, random });
  const configuration = parseNetCommandLine(commandLine.text);
  if (configuration === null || configuration.mode === "dhcp") await stack.configureDhcp();
  else stack.configureStatic(configuration.config);
  serve(stack, { port: HTTP_PORT, fetch: createDemoApp({ store, status: () => snapshot(system, devices, stack, link, store) }) });
  console.log(`demo ready: listening on http://${formatIpv4(stack.config.address)}:${HTTP_PORT}`);
  if (commandLine.has("bench-exit")) return 0;
  return undefined;
});
