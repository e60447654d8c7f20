/**
 * The machine as the high-level app API sees it: devices brought up once, on first use, and
 * the network configured once (DHCP, or `ip=` on the kernel command line) for everything that
 * needs it (serve, fetch). The network device is wrapped in a RecoveringLink: a device whose ring
 * breaks (or that asks for a reset) is reset and the stack goes on over it.
 */
import type { NetLink } from "../../drivers/net-link";
import type { BlockDevice } from "../block/device";
import { KvStore, type KvOpenOptions } from "../kv/store";
import { parseNetCommandLine } from "../net/command-line";
import type { RandomSource, Scheduler } from "../net/scheduler";
import { RecoveringLink } from "../net/recovering-link";
import { NetStack } from "../net/stack";
import { AppError } from "./errors";

/** What bring-up yields that the app API uses (runtime/devices.ts's Devices fits). */
export interface AppDevices {
  readonly nics: readonly NetLink[];
  readonly disks: readonly BlockDevice[];
}

export interface AppMachineParts<D extends AppDevices> {
  /** Brings the devices up; called once. */
  startDevices(): D;
  /** The kernel command line (`ip=A/P gw=G dns=D` or `ip=dhcp`). */
  readonly commandLine: string;
  readonly scheduler: Scheduler;
  /** The network stack's random source, given the devices (an entropy device may feed it). */
  randomFor(devices: D): RandomSource;
}

/** The network once it is up: the stack and the link under it. */
export interface AppNetwork {
  readonly stack: NetStack;
  readonly link: RecoveringLink;
}

export class AppMachine<D extends AppDevices = AppDevices> {
  private started: D | undefined;
  private stack: Promise<NetStack> | undefined;
  private up: AppNetwork | undefined;

  constructor(private readonly parts: AppMachineParts<D>) {}

  devices(): D {
    this.started ??= this.parts.startDevices();
    return this.started;
  }

  /** The first network device, configured; rejects with "no-network-device" or the stack's error. */
  network(): Promise<NetStack> {
    this.stack ??= this.bringUpNetwork();
    return this.stack;
  }

  /** The network if it has come up (undefined before, or when it could not). */
  get networkIfUp(): AppNetwork | undefined {
    return this.up;
  }

  /** The disk with `serial`, or the first disk when none is named. */
  openDisk(serial?: string): BlockDevice {
    const disks = this.devices().disks;
    const disk = serial === undefined ? disks[0] : disks.find((d) => d.info.serial === serial);
    if (disk !== undefined) return disk;
    const named = serial === undefined ? "disk" : `disk with serial "${serial}"`;
    const found = disks.map((d) => `"${d.info.serial}"`).join(", ") || "none";
    throw new AppError("no-disk", `no ${named} (disks found: ${found}; vireo run --disk FILE,serial=NAME)`);
  }

  /** The key-value store on a disk (see openDisk). */
  openKv(serial?: string, options?: KvOpenOptions): Promise<KvStore> {
    return KvStore.open(this.openDisk(serial), options);
  }

  private async bringUpNetwork(): Promise<NetStack> {
    const devices = this.devices();
    const link = devices.nics[0];
    if (link === undefined) throw new AppError("no-network-device", "no network device (vireo run --net user)");
    const configuration = parseNetCommandLine(this.parts.commandLine);
    const recovering = new RecoveringLink(link, { scheduler: this.parts.scheduler });
    const stack = new NetStack({ link: recovering, scheduler: this.parts.scheduler, random: this.parts.randomFor(devices) });
    if (configuration === null || configuration.mode === "dhcp") await stack.configureDhcp();
    else stack.configureStatic(configuration.config);
    this.up = { stack, link: recovering };
    return stack;
  }
}
