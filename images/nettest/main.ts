// Network test image: the virtio-net driver under a NetStack, driven by the kernel command line.
//   ip=dhcp | ip=A/P gw=G dns=D   how to configure the interface (see runtime/net parseNetCommandLine)
//   ping=ADDR                      ping once and print the result
//   resolve=NAME                   resolve once; prints the addresses or the NetError code
//   fetch=URL                      one HTTP GET out through the gateway; prints status, length, SHA-256
//   dns-timeout-ms=N               per-attempt DNS timeout (two attempts)
//   echo=PORT                      UDP echo server; "!setmac" applies setmac=, "!exit" ends the machine
//   setmac=02:00:00:aa:bb:cc       the MAC "!setmac" switches to
//   mode=reflect                   no stack: reflect every frame at layer 2 (frame-rate benchmark)
import { startDevices } from "../../runtime/devices";
import { NetError, NetStack, formatIpv4, formatMac, parseNetCommandLine } from "../../runtime/net/index";
import { eventLoopScheduler, systemRandom } from "../../runtime/services";
import { start, type System } from "../../kernel/start";
import { LinkTap } from "./link-tap";
import { fetchAndReport } from "./fetch-url";
import { reflectFrames } from "./reflect";

const EXIT_FAILURE = 1;
const DNS_ATTEMPTS = 2;
const DEFAULT_DNS_TIMEOUT_MS = 1000;
const CONTROL_PREFIX = 0x21; // "!"

function parseMac(text: string): number[] {
  const bytes = text.split(":").map((part) => parseInt(part, 16));
  if (bytes.length !== 6 || bytes.some((b) => !(b >= 0 && b <= 255))) throw new Error(`bad MAC "${text}"`);
  return bytes;
}

function describe(error: unknown): string {
  return error instanceof NetError ? `${error.code} (${error.message})` : String(error);
}

start(async (system: System) => {
  const { platform, commandLine } = system;
  const devices = startDevices(system);
  const net = devices.nics[0];
  if (net === undefined) {
    console.log("nettest: no virtio-net device");
    return EXIT_FAILURE;
  }
  console.log(`nettest: ${net.name} mac=${formatMac(net.mac)} mtu=${net.mtu} link=${net.linkUp ? "up" : "down"} offload=${net.checksumOffload}`);
  if (commandLine.get("mode") === "reflect") {
    reflectFrames(net);
    console.log("nettest: reflecting");
    return undefined;
  }

  const scheduler = eventLoopScheduler(platform);
  const random = systemRandom(devices);
  const dnsTimeout = Number(commandLine.get("dns-timeout-ms") ?? DEFAULT_DNS_TIMEOUT_MS);
  const link = new LinkTap(net, (up) => console.log(`nettest: link ${up ? "up" : "down"}`));
  const stack = new NetStack({ link, scheduler, random, dns: { attemptTimeoutMs: dnsTimeout, attempts: DNS_ATTEMPTS } });

  const boot = parseNetCommandLine(commandLine.text);
  if (boot === null || boot.mode === "dhcp") await stack.configureDhcp();
  else stack.configureStatic(boot.config);
  const config = stack.config;
  console.log(`nettest: address ${formatIpv4(config.address)} gateway ${formatIpv4(config.gateway)} dns ${config.dnsServers.map(formatIpv4).join(",")}`);

  const pingTarget = commandLine.get("ping");
  if (pingTarget !== undefined) {
    try {
      console.log(`nettest: ping ${pingTarget} ok ${(await stack.ping(pingTarget)).toFixed(2)} ms`);
    } catch (error) {
      console.log(`nettest: ping ${pingTarget} error ${describe(error)}`);
    }
  }

  const name = commandLine.get("resolve");
  if (name !== undefined) {
    const started = scheduler.now();
    try {
      const addresses = await stack.resolve(name);
      console.log(`nettest: resolve ${name} ok ${addresses.map(formatIpv4).join(",")}`);
    } catch (error) {
      const elapsed = (scheduler.now() - started).toFixed(0);
      console.log(`nettest: resolve ${name} error ${error instanceof NetError ? error.code : "untyped"} after ${elapsed} ms: ${describe(error)}`);
    }
  }

  const url = commandLine.get("fetch");
  if (url !== undefined) await fetchAndReport(stack, url, describe);

  const echoPort = commandLine.get("echo");
  if (echoPort === undefined) return 0;
  const newMac = commandLine.get("setmac");
  const socket = stack.udp.bind(Number(echoPort));
  socket.onMessage((message) => {
    const data = message.data;
    if (data.length > 0 && data[0] === CONTROL_PREFIX) {
      const command = String.fromCharCode(...data);
      if (command === "!setmac" && newMac !== undefined) {
        net.setMac(parseMac(newMac));
        console.log(`nettest: mac set ${formatMac(net.mac)}`);
      }
      socket.send(message.address, message.port, data);
      if (command === "!exit") {
        net.flush();
        console.log(`nettest: counters ${JSON.stringify(net.counters, (key, value) => (key === "lastDeviceError" ? undefined : value))}`);
        console.log(`nettest: interrupts ${net.interruptMode} ${JSON.stringify(net.interruptStats)}`);
        platform.exit(0);
      }
      return;
    }
    socket.send(message.address, message.port, data);
  });
  console.log(`nettest: echo on ${echoPort}`);
  return undefined;
});
