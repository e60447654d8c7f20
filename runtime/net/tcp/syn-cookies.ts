import { write16, write32 } from "../bytes";
import type { RandomSource } from "../scheduler";
import type { Endpoints } from "./connection-host";
import { SIPHASH_KEY_BYTES, SipHash24 } from "./siphash";

/**
 * SYN cookies (RFC 4987 3.6): while the half-open table or a backlog is full, a listener answers
 * a SYN with a SYN-ACK whose ISS encodes what it needs to know later, and keeps no state. The
 * peer's ACK returns the cookie as ack - 1, and the connection is built from it.
 *
 * Cookie layout (32 bits): the upper 30 bits are the top of a keyed MAC over the 4-tuple, the
 * peer's ISN, a time step and the MSS index; the lower 2 bits are the MSS index itself. The index
 * is part of the MAC input, so it cannot be changed without failing the check, and the check
 * needs only one MAC per time step tried. The time step is not in the cookie: a cookie is tried
 * against the current and the previous step, so it lives 64 to 128 seconds.
 *
 * The MAC is SipHash-2-4 with a secret drawn once from the stack's random source. SipHash is a
 * PRF designed for short messages (Linux keys its SYN cookies with it too): the 24-byte input
 * takes three compressions of two rounds and four finalization rounds of 32-bit operations, with
 * no allocation. SHA-256 would cost a full 64-round block for the same input, and ChaCha20 twenty
 * rounds over a 64-byte state, which matters when every SYN of a flood is answered this way.
 *
 * What a cookie cannot carry, the connection goes without: window scaling, and any other SYN
 * option (there are no timestamps to hide them in).
 */

/** One time step of the cookie clock. */
export const COOKIE_STEP_MS = 64_000;
/**
 * MSS values a cookie can express (Linux's IPv4 table): the RFC 9293 default, a common tunnel
 * MSS, and the two most common Ethernet ones. A peer gets the largest not above what it offered.
 */
export const COOKIE_MSS_TABLE: readonly number[] = [536, 1300, 1440, 1460];
const MSS_INDEX_BITS = 2;
const MSS_INDEX_MASK = (1 << MSS_INDEX_BITS) - 1;
/** Steps back from the current one that a cookie may have been made in. */
export const STEPS_ACCEPTED = 2;

/** MAC input: local address, remote address, local port, remote port, peer ISN, step, MSS index. */
const LOCAL_ADDRESS_AT = 0;
const REMOTE_ADDRESS_AT = 4;
const LOCAL_PORT_AT = 8;
const REMOTE_PORT_AT = 10;
const PEER_ISN_AT = 12;
const STEP_AT = 16;
const MSS_INDEX_AT = 20;
const INPUT_BYTES = 24;

/** The cookie clock's step at `nowMs`. */
export function cookieStep(nowMs: number): number {
  return Math.floor(nowMs / COOKIE_STEP_MS);
}

/** Makes and checks SYN cookies with one secret. */
export class SynCookies {
  private mac: SipHash24 | null = null;
  private readonly input = new Uint8Array(INPUT_BYTES);

  /**
   * The secret is drawn at the first cookie, not here: a stack that never sees a flood draws
   * nothing, and one that does draws it once the random source has had time to gather entropy.
   */
  constructor(private readonly random: RandomSource) {}

  /** The ISS for a SYN from `tuple` with ISN `peerIsn` offering `mss`, at time step `step`. */
  make(tuple: Endpoints, peerIsn: number, mss: number, step: number): number {
    return this.cookie(tuple, peerIsn, step, mssIndexFor(mss));
  }

  /** The MSS a valid cookie encodes (made at `step` or the step before), or null. */
  check(tuple: Endpoints, peerIsn: number, cookie: number, step: number): number | null {
    const index = cookie & MSS_INDEX_MASK;
    for (let back = 0; back < STEPS_ACCEPTED; back++) {
      if (this.cookie(tuple, peerIsn, step - back, index) === cookie) return COOKIE_MSS_TABLE[index];
    }
    return null;
  }

  private cookie(tuple: Endpoints, peerIsn: number, step: number, index: number): number {
    const { input } = this;
    write32(input, LOCAL_ADDRESS_AT, tuple.localAddress);
    write32(input, REMOTE_ADDRESS_AT, tuple.remoteAddress);
    write16(input, LOCAL_PORT_AT, tuple.localPort);
    write16(input, REMOTE_PORT_AT, tuple.remotePort);
    write32(input, PEER_ISN_AT, peerIsn);
    write32(input, STEP_AT, step);
    write32(input, MSS_INDEX_AT, index);
    const mac = this.keyed();
    mac.hash(input);
    return ((mac.high & ~MSS_INDEX_MASK) | index) >>> 0;
  }

  private keyed(): SipHash24 {
    if (this.mac === null) {
      const secret = new Uint8Array(SIPHASH_KEY_BYTES);
      this.random(secret);
      this.mac = new SipHash24(secret);
    }
    return this.mac;
  }
}

/** Index of the largest table MSS not above `mss` (the smallest entry if none is). */
function mssIndexFor(mss: number): number {
  let index = COOKIE_MSS_TABLE.length - 1;
  while (index > 0 && COOKIE_MSS_TABLE[index] > mss) index--;
  return index;
}
