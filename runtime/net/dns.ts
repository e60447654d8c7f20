import { parseIpv4, type Ipv4Address } from "./address";
import { write16 } from "./bytes";
import type { NetCounters } from "./counters";
import {
  DNS_PORT,
  RCODE_NO_ERROR,
  RCODE_NXDOMAIN,
  TYPE_A,
  TYPE_CNAME,
  encodeDnsQuery,
  normalizeName,
  parseDnsResponse,
  readDnsId,
  type DnsAnswer,
} from "./dns-message";
import { NetError } from "./errors";
import { randomUint16, type RandomSource, type Scheduler, type TimerHandle } from "./scheduler";
import type { Udp } from "./udp";

export interface DnsOptions {
  attemptTimeoutMs: number;
  /** Queries sent per lookup, rotating through the servers. */
  attempts: number;
  maxCacheEntries: number;
}

export const DEFAULT_DNS_OPTIONS: DnsOptions = { attemptTimeoutMs: 2000, attempts: 3, maxCacheEntries: 128 };
const MS_PER_SECOND = 1000;
/** A query's id sits at the start of the message. */
const ID_OFFSET = 0;

export interface DnsResolverDeps {
  readonly udp: Udp;
  readonly scheduler: Scheduler;
  readonly random: RandomSource;
  readonly counters: NetCounters;
  readonly servers: () => readonly Ipv4Address[];
}

interface CacheEntry {
  readonly addresses: Ipv4Address[];
  readonly expiresAt: number;
}

interface Answer {
  readonly addresses: Ipv4Address[];
  readonly ttlSeconds: number;
}

/** Stub resolver for A records: UDP queries with retry, answers cached for their TTL. */
export class DnsResolver {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly deps: DnsResolverDeps,
    private readonly options: DnsOptions = DEFAULT_DNS_OPTIONS,
  ) {}

  /** The IPv4 addresses of `name`; rejects with a NetError (nxdomain, timeout, malformed, ...). */
  async resolve(name: string): Promise<Ipv4Address[]> {
    const literal = parseIpv4(name);
    if (literal !== null) return [literal];
    const key = normalizeName(name);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      if (cached.expiresAt > this.deps.scheduler.now()) return cached.addresses.slice();
      this.cache.delete(key);
    }
    const answer = await this.query(key);
    if (answer.ttlSeconds > 0) this.remember(key, answer);
    return answer.addresses.slice();
  }

  private remember(key: string, answer: Answer): void {
    if (this.cache.size >= this.options.maxCacheEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, { addresses: answer.addresses, expiresAt: this.deps.scheduler.now() + answer.ttlSeconds * MS_PER_SECOND });
  }

  private query(name: string): Promise<Answer> {
    const query = encodeDnsQuery(0, name);
    const servers = this.deps.servers();
    if (servers.length === 0) return Promise.reject(new NetError("noServer", "no DNS server configured"));
    const { scheduler, random, counters } = this.deps;
    const socket = this.deps.udp.bind(0);
    return new Promise<Answer>((resolve, reject) => {
      let attempt = 0;
      let server = servers[0];
      let id = 0;
      let timer: TimerHandle = undefined;
      let failure = new NetError("timeout", `no DNS answer for ${name}`);
      const finish = (): void => {
        scheduler.clearTimer(timer);
        socket.close();
      };
      const sendNext = (): void => {
        scheduler.clearTimer(timer);
        if (attempt >= this.options.attempts) {
          finish();
          reject(failure);
          return;
        }
        server = servers[attempt % servers.length];
        attempt++;
        id = randomUint16(random);
        write16(query, ID_OFFSET, id);
        socket.send(server, DNS_PORT, query);
        timer = scheduler.setTimer(this.options.attemptTimeoutMs, sendNext);
      };
      socket.onMessage((message) => {
        if (message.address !== server || message.port !== DNS_PORT || readDnsId(message.data) !== id) return;
        const response = parseDnsResponse(message.data);
        if (response === null || response.question !== name) {
          counters.drop("dns.malformed");
          finish();
          reject(new NetError("malformed", `malformed DNS response for ${name}`));
        } else if (response.rcode === RCODE_NXDOMAIN) {
          finish();
          reject(new NetError("nxdomain", `${name} does not exist`));
        } else if (response.rcode !== RCODE_NO_ERROR) {
          failure = new NetError("serverFailure", `DNS server answered rcode ${response.rcode} for ${name}`);
          sendNext();
        } else {
          finish();
          const answer = followAnswers(name, response.answers);
          if (answer === null) reject(new NetError("noData", `${name} has no A record`));
          else resolve(answer);
        }
      });
      sendNext();
    });
  }
}

/** The A records of `name`, following CNAMEs; the TTL is the least along the chain. */
function followAnswers(name: string, answers: DnsAnswer[]): Answer | null {
  const owners = new Set([name]);
  let ttlSeconds = Number.POSITIVE_INFINITY;
  // CNAMEs may come in any order; repeat until the chain stops growing (bounded by the answer count).
  for (let grew = true; grew; ) {
    grew = false;
    for (const answer of answers) {
      if (answer.type === TYPE_CNAME && owners.has(answer.name) && !owners.has(answer.target)) {
        owners.add(answer.target);
        ttlSeconds = Math.min(ttlSeconds, answer.ttl);
        grew = true;
      }
    }
  }
  const addresses: Ipv4Address[] = [];
  for (const answer of answers) {
    if (answer.type === TYPE_A && owners.has(answer.name)) {
      addresses.push(answer.address);
      ttlSeconds = Math.min(ttlSeconds, answer.ttl);
    }
  }
  return addresses.length === 0 ? null : { addresses, ttlSeconds };
}
