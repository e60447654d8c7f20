import { read16 } from "./bytes";
import type { DropReason, NetCounters } from "./counters";
import {
  FLAG_MORE_FRAGMENTS,
  FRAGMENT_OFFSET_MASK,
  FRAGMENT_UNIT,
  IDENTIFICATION_OFFSET,
  IPV4_HEADER_LENGTH,
  IPV4_MAX_DATAGRAM,
  PROTOCOL_OFFSET,
  readDestination,
  readSource,
  writeIpv4Header,
} from "./ipv4-header";
import type { Scheduler, TimerHandle } from "./scheduler";

export interface ReassemblyOptions {
  /** Datagrams in progress; one more evicts the oldest, so incomplete sets cannot block reassembly. */
  maxDatagrams: number;
  /** Fragments of one datagram; more discard it (bounds the work and bookkeeping per datagram). */
  maxFragments: number;
  timeoutMs: number;
}

export const DEFAULT_REASSEMBLY_OPTIONS: ReassemblyOptions = { maxDatagrams: 8, maxFragments: 64, timeoutMs: 30_000 };

const MAX_PAYLOAD = IPV4_MAX_DATAGRAM - IPV4_HEADER_LENGTH;
const UNKNOWN_LENGTH = -1;

interface Fragment {
  readonly start: number;
  readonly data: Uint8Array;
}

interface PartialDatagram {
  readonly fragments: Fragment[];
  received: number;
  totalLength: number;
  readonly timer: TimerHandle;
}

type ReassemblyDrop = Extract<DropReason, `reassembly.${string}`>;

/** Collects IPv4 fragments into datagrams, within bounded memory and time. */
export class Reassembly {
  private readonly partials = new Map<string, PartialDatagram>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly counters: NetCounters,
    private readonly options: ReassemblyOptions = DEFAULT_REASSEMBLY_OPTIONS,
  ) {}

  get inProgress(): number {
    return this.partials.size;
  }

  /**
   * Takes one fragment (a header at `headerOffset`, its payload at `payloadOffset`). Returns the
   * whole datagram, with an option-less header, when this fragment completes it.
   */
  add(bytes: Uint8Array, headerOffset: number, payloadOffset: number, payloadLength: number, fragmentWord: number): Uint8Array | null {
    const start = (fragmentWord & FRAGMENT_OFFSET_MASK) * FRAGMENT_UNIT;
    const end = start + payloadLength;
    const last = (fragmentWord & FLAG_MORE_FRAGMENTS) === 0;
    const key = this.keyOf(bytes, headerOffset);
    if (end > MAX_PAYLOAD) return this.discard(key, "reassembly.tooLarge");
    if ((!last && payloadLength % FRAGMENT_UNIT !== 0) || payloadLength === 0) return this.discard(key, "reassembly.badFragment");

    let partial = this.partials.get(key);
    if (partial === undefined) {
      if (this.partials.size >= this.options.maxDatagrams) {
        // Maps iterate in insertion order: the first is the oldest.
        const [oldestKey] = this.partials.keys();
        this.discard(oldestKey, "reassembly.evicted");
      }
      const timer = this.scheduler.setTimer(this.options.timeoutMs, () => this.discard(key, "reassembly.timeout"));
      partial = { fragments: [], received: 0, totalLength: UNKNOWN_LENGTH, timer };
      this.partials.set(key, partial);
    }
    if (partial.fragments.length >= this.options.maxFragments) return this.discard(key, "reassembly.tooManyFragments");
    if (partial.fragments.some((f) => start < f.start + f.data.length && f.start < end)) return this.discard(key, "reassembly.overlap");
    const knownLength = partial.totalLength;
    if (last ? knownLength !== UNKNOWN_LENGTH || end < this.highestEnd(partial) : knownLength !== UNKNOWN_LENGTH && end > knownLength) {
      return this.discard(key, "reassembly.badFragment");
    }
    if (last) partial.totalLength = end;
    partial.fragments.push({ start, data: bytes.slice(payloadOffset, payloadOffset + payloadLength) });
    partial.received += payloadLength;
    if (partial.received !== partial.totalLength) return null;

    this.remove(key, partial);
    const datagram = new Uint8Array(IPV4_HEADER_LENGTH + partial.totalLength);
    for (const fragment of partial.fragments) datagram.set(fragment.data, IPV4_HEADER_LENGTH + fragment.start);
    writeIpv4Header(datagram, 0, {
      totalLength: datagram.length,
      identification: read16(bytes, headerOffset + IDENTIFICATION_OFFSET),
      fragment: 0,
      protocol: bytes[headerOffset + PROTOCOL_OFFSET],
      source: readSource(bytes, headerOffset),
      destination: readDestination(bytes, headerOffset),
    });
    return datagram;
  }

  private highestEnd(partial: PartialDatagram): number {
    return partial.fragments.reduce((highest, f) => Math.max(highest, f.start + f.data.length), 0);
  }

  /** Drops the fragment and, if any, the datagram it belongs to. */
  private discard(key: string, reason: ReassemblyDrop): null {
    this.counters.drop(reason);
    const partial = this.partials.get(key);
    if (partial !== undefined) this.remove(key, partial);
    return null;
  }

  private remove(key: string, partial: PartialDatagram): void {
    this.partials.delete(key);
    this.scheduler.clearTimer(partial.timer);
  }

  private keyOf(bytes: Uint8Array, headerOffset: number): string {
    const identification = read16(bytes, headerOffset + IDENTIFICATION_OFFSET);
    const protocol = bytes[headerOffset + PROTOCOL_OFFSET];
    return `${readSource(bytes, headerOffset)}/${readDestination(bytes, headerOffset)}/${protocol}/${identification}`;
  }
}
