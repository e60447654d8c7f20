// What the guest's CPU spends per HTTP request, counted in instructions: httpbench boots under
// QEMU's `-icount shift=0` (one nanosecond of guest time per instruction), so "busy" time (elapsed
// minus halted) is the guest's instruction count whatever the host's load, and repeats from run to
// run. Small responses at concurrency 1 and 8 and the 1 MiB response, a new connection each time
// over user networking, as in `bench -- compare`; two rounds each, since a second round also
// meets the first one's connections in TIME_WAIT.
import { buildApps } from "../lib/build-apps";
import { launch } from "../lib/qemu";
import { vireoCpuPerRequest } from "./compare/http-workloads";
import { httpbenchAppend, LARGE, MEMORY, SMALL } from "./compare/machine";
import { waitForHttp } from "./http-load";

const PORT = 18486;
const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 120_000;
const SMALL_REQUESTS = 300;
const LARGE_REQUESTS = 6;
const ROUNDS = 2;
const US_PER_MS = 1e3;

export async function benchHttpCost(): Promise<void> {
  await buildApps(["httpbench"]);
  const guest = launch({
    app: "httpbench",
    append: httpbenchAppend("10.0.2.15/24", "10.0.2.2"),
    memory: MEMORY,
    qemuArgs: ["-icount", "shift=0", "-rtc", "clock=vm", "-netdev", `user,id=n0,hostfwd=tcp:${HOST}:${PORT}-:80`, "-device", "virtio-net-pci,netdev=n0"],
  });
  try {
    await waitForHttp(PORT, "/small", SMALL, READY_TIMEOUT_MS, HOST);
    for (const concurrency of [1, 8]) {
      for (let round = 1; round <= ROUNDS; round++) {
        const us = await vireoCpuPerRequest(HOST, PORT, "/small", SMALL, concurrency, SMALL_REQUESTS);
        console.log(`http-cost: small response, concurrency ${concurrency}, round ${round}: ${us.toFixed(0)} us (thousand instructions) per request`);
      }
    }
    for (let round = 1; round <= ROUNDS; round++) {
      const us = await vireoCpuPerRequest(HOST, PORT, "/large", LARGE, 1, LARGE_REQUESTS);
      console.log(`http-cost: 1 MiB response, round ${round}: ${(us / US_PER_MS).toFixed(1)} ms (million instructions) per response`);
    }
  } finally {
    await guest.stop();
  }
}
