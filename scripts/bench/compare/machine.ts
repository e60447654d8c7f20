// The virtual machine both sides of `bench -- compare` boot: QEMU -M pc with the same memory, a
// virtio-blk disk on the bench's raw file and one virtio-net NIC whose backend is the network
// being measured (user networking with a port forward, or a tap device). The device options are
// the same for both guests, so any offload one negotiates was offered to the other too.
import { webFileBytes } from "../../../images/httpbench/web-files";
import type { Side } from "./rows";
import { BENCH_SERIAL } from "./linux-guest";

export const MEMORY = "256M";
export const SMALL_BYTES = 13;
export const LARGE_BYTES = 1024 * 1024;
export const SEED = 0x5eed;
export const SMALL = webFileBytes(SMALL_BYTES, SEED);
export const LARGE = webFileBytes(LARGE_BYTES, SEED + 1);
/** The NIC's QEMU device, the same on every network and for both guests. */
export const NET_DEVICE = "virtio-net-pci,netdev=net0";

/** One network the HTTP workloads run over. */
export interface CompareNetwork {
  /** "user" or "tap": the table's rows over this network are suffixed with it (none for user). */
  readonly name: string;
  /** QEMU's `-netdev`, with id net0. */
  readonly netdev: string;
  /** A command QEMU runs under (the tap device's network namespace), if any. */
  readonly wrapper?: readonly string[];
  /** The guest's address and prefix length, e.g. 10.0.2.15/24. */
  readonly guestAddress: string;
  /** The default gateway, if the host is not on the guest's own subnet. */
  readonly gateway?: string;
  /** Runs the HTTP workloads against the guest, once it is booted on this network. */
  readonly measureHttp: () => Promise<Side>;
  /** Vireo's CPU time per small request (µs), where the host can reach its `/busy` counter. */
  readonly vireoCpuPerRequest?: () => Promise<number>;
}

/** httpbench's command line: its address, and the files it serves (the same bytes as SMALL and LARGE). */
export function httpbenchAppend(address: string, gateway?: string): string {
  return `ip=${address}${gateway ? ` gw=${gateway}` : ""} small=${SMALL_BYTES} large=${LARGE_BYTES} seed=${SEED}`;
}

export function machineArgs(disk: string, network: CompareNetwork, extraDisks: readonly string[] = []): string[] {
  return [
    "-M", "pc",
    "-drive", `file=${disk},format=raw,cache=unsafe,if=none,id=bench`,
    "-device", `virtio-blk-pci,drive=bench,serial=${BENCH_SERIAL}`,
    ...extraDisks,
    "-netdev", network.netdev,
    "-device", NET_DEVICE,
  ];
}

/** What one boot of a guest measured. */
export interface GuestRun {
  /** Its figures by row name (see rows.ts); "ready" only from the user-networking boots. */
  readonly figures: Side;
  /** The offloads its NIC negotiated (see offloads.ts). */
  readonly offloads: readonly string[];
  /** Vireo only, where measured: its CPU time per small HTTP request at concurrency 1 (µs). */
  readonly cpuPerRequestUs?: number;
}

