import { NetError } from "./errors";

/** An IPv4 address as an unsigned 32-bit number (10.0.2.15 = 0x0a00020f). 0 means unset. */
export type Ipv4Address = number;

/** What app-facing calls accept: a number or dotted-quad text. */
export type AddressLike = Ipv4Address | string;

export const UNSPECIFIED_ADDRESS = 0;
export const LIMITED_BROADCAST = 0xffffffff;
export const IPV4_ADDRESS_LENGTH = 4;
export const MAC_LENGTH = 6;
export const BROADCAST_MAC: Uint8Array = new Uint8Array(MAC_LENGTH).fill(0xff);

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad text; null when it is not exactly four decimal octets. */
export function parseIpv4(text: string): Ipv4Address | null {
  const match = DOTTED_QUAD.exec(text);
  if (match === null) return null;
  let address = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255) return null;
    address = address * 256 + octet;
  }
  return address;
}

export function formatIpv4(address: Ipv4Address): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

export function toAddress(value: AddressLike): Ipv4Address {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value <= LIMITED_BROADCAST) return value;
  } else {
    const parsed = parseIpv4(value);
    if (parsed !== null) return parsed;
  }
  throw new NetError("badAddress", `not an IPv4 address: ${String(value)}`);
}

/** 24 -> 255.255.255.0; null outside 0..32. */
export function prefixToNetmask(prefixLength: number): Ipv4Address | null {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) return null;
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export function isMulticast(address: Ipv4Address): boolean {
  return address >>> 28 === 0xe;
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join(":");
}
