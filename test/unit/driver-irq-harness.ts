// One simulated machine with a disk and/or a NIC probed through the interrupt router, and an event
// loop turned the way the kernel turns it (dispatch the recorded vectors, then tick).
import { VirtioBlk, type VirtioBlkOptions } from "../../drivers/virtio/blk/blk";
import { createVirtioBlkDriver } from "../../drivers/virtio/blk/driver";
import { createVirtioNetDriver } from "../../drivers/virtio/net/driver";
import { VirtioNet, type VirtioNetOptions } from "../../drivers/virtio/net/net";
import { probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { createEventLoop } from "../../kernel/event-loop";
import { InterruptRouter } from "../../kernel/irq/router";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import type { BlockDevice } from "../../runtime/block/device";
import { adoptBlockDevices } from "../../runtime/block/registry";
import { SimMachine } from "../sim/machine";
import { BlkModel, type BlkOptions } from "../sim/virtio/blk-model";
import { NetModel, type NetOptions } from "../sim/virtio/net-model";
import { addVirtioPci, type SimVirtioPci, type VirtioPciOptions } from "../sim/virtio/pci-device";

const DISK_SLOT = 4;
const NIC_SLOT = 5;
const MAX_TURNS = 10_000;

type Placement = Partial<Omit<VirtioPciOptions, "device">>;

export interface IrqMachineOptions {
  readonly disk?: { readonly model: BlkOptions; readonly pci?: Placement; readonly driver?: VirtioBlkOptions };
  readonly nic?: { readonly model?: NetOptions; readonly pci?: Placement; readonly driver?: VirtioNetOptions };
}

export function irqMachine(options: IrqMachineOptions) {
  const machine = new SimMachine();
  const config = new PortPciConfig(machine.ports);
  const router = new InterruptRouter(machine, config, machine);
  const uncaught: unknown[] = [];
  const loop = createEventLoop(() => machine.monotonicNs(), (error) => uncaught.push(error));
  const registry = new VirtioDriverRegistry();
  let blkModel: BlkModel | undefined;
  let netModel: NetModel | undefined;
  let blkPci: SimVirtioPci | undefined;
  let netPci: SimVirtioPci | undefined;
  if (options.disk !== undefined) {
    blkModel = new BlkModel(machine.memory, machine.violations, options.disk.model);
    blkPci = addVirtioPci(machine, blkModel, { device: DISK_SLOT, layout: "modern", ...options.disk.pci });
    registry.register(createVirtioBlkDriver(options.disk.driver));
  }
  if (options.nic !== undefined) {
    netModel = new NetModel(machine.memory, machine.violations, options.nic.model);
    netPci = addVirtioPci(machine, netModel, { device: NIC_SLOT, layout: "modern", ...options.nic.pci });
    registry.register(createVirtioNetDriver({ loop, ...options.nic.driver }));
  }
  const probe = probeVirtioPci(machine, config, enumeratePci(config), registry, { interrupts: router });
  for (const probed of probe.devices) if (probed.state !== "ready") throw new Error(`${probed.name}: ${probed.error?.message ?? probed.state}`);
  const [disk] = adoptBlockDevices(probe.devices, loop);
  const blk = probe.devices.map((d) => d.instance).find((i): i is VirtioBlk => i instanceof VirtioBlk);
  const net = probe.devices.map((d) => d.instance).find((i): i is VirtioNet => i instanceof VirtioNet);

  /** One kernel loop turn: interrupt handlers first, then the loop; returns tick()'s answer. */
  const turn = (): number => {
    router.dispatcher.dispatch();
    return loop.tick();
  };

  /** Turns the loop until `promise` settles (promise jobs run between turns, as in the kernel). */
  const run = async <T>(promise: Promise<T>): Promise<T> => {
    let done = false;
    const settled = promise.finally(() => {
      done = true;
    });
    settled.catch(() => undefined);
    for (let turns = 0; !done; turns++) {
      if (turns > MAX_TURNS) throw new Error("never settled");
      turn();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return settled;
  };

  return {
    machine,
    probed: probe.devices,
    router,
    loop,
    uncaught,
    turn,
    run,
    disk: disk as BlockDevice,
    blk: blk as VirtioBlk,
    blkModel: blkModel as BlkModel,
    blkPci: blkPci as SimVirtioPci,
    net: net as VirtioNet,
    netModel: netModel as NetModel,
    netPci: netPci as SimVirtioPci,
  };
}
