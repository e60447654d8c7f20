// The virtio-9p driver against the simulated device and its 9P server model, run by an event loop
// on the simulated clock (polled: the test turns the loop until promises settle).
import { createVirtio9pDriver } from "../../drivers/virtio/9p/driver";
import type { NinePLimits } from "../../drivers/virtio/9p/limits";
import type { VirtioNineP } from "../../drivers/virtio/9p/ninep";
import { probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { createEventLoop } from "../../kernel/event-loop";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { NinePModel, type NinePModelOptions } from "../sim/virtio/9p-model";
import type { RingOffer } from "../sim/virtio/device-model";
import { addVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";
import { InterruptRouter } from "../../kernel/irq/router";

export interface ShareRigOptions {
  /** One entry per device, each its own model options (default one share tagged "host"). */
  readonly models?: readonly NinePModelOptions[];
  readonly limits?: Partial<NinePLimits>;
  readonly layout?: VirtioPciLayout;
  readonly ring?: RingOffer;
  /** Take the devices' interrupts through the interrupt router (default: polled). */
  readonly interrupts?: boolean;
  /** The driver's own `interrupts` option, when it differs from `interrupts` (a router there, the driver polling anyway). */
  readonly driverInterrupts?: boolean;
}

const MAX_TURNS = 100_000;

export function shareRig(options: ShareRigOptions = {}) {
  const machine = new SimMachine();
  const models = (options.models ?? [{ tag: "host" }]).map((m) => new NinePModel(machine.memory, machine.violations, m, options.ring));
  models.forEach((model, i) => addVirtioPci(machine, model, { device: 4 + i, layout: options.layout ?? "modern" }));
  const uncaught: unknown[] = [];
  const loop = createEventLoop(() => machine.monotonicNs(), (error) => uncaught.push(error));
  const registry = new VirtioDriverRegistry();
  registry.register(createVirtio9pDriver({ loop, interrupts: options.driverInterrupts ?? options.interrupts === true, limits: options.limits }));
  const config = new PortPciConfig(machine.ports);
  const router = options.interrupts === true ? new InterruptRouter(machine, config, machine) : undefined;
  const probe = probeVirtioPci(machine, config, enumeratePci(config), registry, { interrupts: router });
  const shares = probe.devices.filter((d) => d.state === "ready").map((d) => d.instance as VirtioNineP);
  /** Turns the loop as the kernel does (interrupt handlers, then the loop) until every promise settled. */
  const settle = async <T>(promises: readonly Promise<T>[]): Promise<PromiseSettledResult<T>[]> => {
    let done = false;
    const all = Promise.allSettled(promises).then((results) => {
      done = true;
      return results;
    });
    for (let turns = 0; !done; turns++) {
      if (turns > MAX_TURNS) throw new Error("9p requests never settled");
      router?.dispatcher.dispatch();
      loop.tick();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return all;
  };
  const run = async <T>(promise: Promise<T>): Promise<T> => {
    const [result] = await settle([promise]);
    if (result.status === "rejected") throw result.reason;
    return result.value;
  };
  return {
    machine,
    models,
    model: models[0],
    probe,
    loop,
    uncaught,
    shares,
    ninep: shares[0],
    client: shares[0]?.client,
    /** Runs the loop until `promise` settles. */
    run,
    settle,
    /** Runs the loop until no request is in flight (the clunks the file API does not wait for). */
    quiesce: async (): Promise<void> => {
      for (let turns = 0; shares.some((s) => s.client.requestsInFlight > 0); turns++) {
        if (turns > 1000) throw new Error("requests never finished");
        await run(Promise.resolve());
      }
    },
  };
}

/** What `promise` rejects with (fails if it resolves). */
export async function rejection(runner: (p: Promise<unknown>) => Promise<unknown>, promise: Promise<unknown>): Promise<Error> {
  try {
    await runner(promise);
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export type Rig = ReturnType<typeof shareRig>;

/** A share rig whose client has connected to the root. */
export async function connected(options: Parameters<typeof shareRig>[0] = {}) {
  const rig = shareRig(options);
  await rig.run(rig.client.connect("root", "", 0));
  return rig;
}

/** Starts `request` (of type `on`), which the server withholds; returns its promise, tag and T-message. */
export async function withheld<T>(rig: Rig, on: number, request: () => Promise<T>): Promise<{ promise: Promise<T>; tag: number; message: Uint8Array }> {
  rig.model.server.faults.push({ on, kind: "silent" });
  const before = new Set(rig.model.held.keys());
  const promise = request();
  promise.catch(() => undefined);
  for (let turns = 0; rig.model.held.size === before.size && turns < 100; turns++) await rig.run(Promise.resolve());
  const tag = [...rig.model.held.keys()].find((t) => !before.has(t));
  if (tag === undefined) throw new Error("the request was not withheld");
  return { promise, tag, message: rig.model.held.get(tag)!.read() };
}
