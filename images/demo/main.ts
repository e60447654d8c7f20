// The demo app `npm start` boots, on the app API: an HTTP server with a status page (live charts
// in a browser, /status.json for scripts) and a key-value store kept on the virtio-blk disk.
// `ip=A/P gw=G dns=D` on the command line configures the network (DHCP otherwise); `bench-exit`
// ends the machine once it is ready (boot benchmarks).
import { AppError, KvError, bootTimes, commandLine, exit, machineStatus, openDisk, openKv, serve, type KvStore } from "../../runtime/app/index";
import { createDemoApp } from "./app";

const KV_DISK_SERIAL = "vireo-kv";
const ms = (value: number) => value.toFixed(1);

console.log(`Vireo demo: TypeScript started ${ms(bootTimes.typescriptStartedMs)} ms and main ran ${ms(performance.now())} ms after kernel entry`);

/** The store on the disk named vireo-kv, else on the first disk; undefined (and why) when there is none or it does not open. */
async function openStore(): Promise<KvStore | undefined> {
  for (const serial of [KV_DISK_SERIAL, undefined]) {
    let name: string;
    try {
      name = openDisk(serial).name;
    } catch (error) {
      if (error instanceof AppError) continue;
      throw error;
    }
    try {
      const store = await openKv(serial);
      console.log(`demo: key-value store on ${name} (${store.stats.keys} keys)`);
      return store;
    } catch (error) {
      if (!(error instanceof KvError)) throw error;
      console.log(`demo: the key-value disk does not open (${error.code}: ${error.message})`);
      console.log("demo: the disk is not usable, the store is off");
      return undefined;
    }
  }
  console.log("demo: no disk, the store is off");
  return undefined;
}

void openStore().then((store) => {
  const server = serve({
    fetch: createDemoApp({ store, status: machineStatus }),
    onListen: (info) => {
      console.log(`demo ready: listening on http://${info.hostname}:${info.port}`);
      if (commandLine.has("bench-exit")) exit(0);
    },
  });
  server.finished.catch((error: unknown) => {
    if (!(error instanceof AppError && error.code === "no-network-device")) throw error;
    console.log("demo: no virtio-net device; nothing to serve");
    exit(1);
  });
});
