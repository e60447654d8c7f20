// The demo app `npm start` boots, on the app API: an HTTP server with a status page (live charts
// in a browser, /status.json for scripts), a key-value store kept on the virtio-blk disk, and the
// host folder shared over virtio-9p with mount tag "www" at /files/ when there is one.
// `ip=A/P gw=G dns=D` on the command line configures the network (DHCP otherwise); `bench-exit`
// ends the machine once it is ready (boot benchmarks).
import { AppError, FsError, KvError, bootTimes, commandLine, exit, machineStatus, openDisk, openKv, openShare, serve, shareFileSource, staticFiles, type KvStore } from "../../runtime/app/index";
import { FILES_PREFIX, createDemoApp } from "./app";

const KV_DISK_SERIAL = "vireo-kv";
const FILES_SHARE_TAG = "www";
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

/** The "www" host folder served at /files/, or undefined (and why, unless there is no such share). */
async function openFiles(): Promise<((request: Request) => Promise<Response>) | undefined> {
  try {
    const share = await openShare(FILES_SHARE_TAG);
    console.log(`demo: serving the host folder shared as ${FILES_SHARE_TAG} at ${FILES_PREFIX}/`);
    return staticFiles(shareFileSource(share), { mountPath: FILES_PREFIX });
  } catch (error) {
    if (!(error instanceof FsError)) throw error;
    if (error.code !== "ENODEV") console.log(`demo: the ${FILES_SHARE_TAG} share does not open (${error.code}: ${error.message})`);
    return undefined;
  }
}

void Promise.all([openStore(), openFiles()]).then(([store, files]) => {
  const server = serve({
    fetch: createDemoApp({ store, status: machineStatus, files }),
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
