import { IPV4_ADDRESS_LENGTH, MAC_LENGTH, type Ipv4Address } from "./address";
import { bytesEqual, read32, write16, write32 } from "./bytes";

/** BOOTP/DHCP message layout and options (RFC 2131, RFC 2132). */

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
const HARDWARE_TYPE_ETHERNET = 1;
export const MAGIC_COOKIE = 0x63825363;
export const FLAG_BROADCAST = 0x8000;

export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPACK = 5;
export const DHCPNAK = 6;

export const OPTION_PAD = 0;
export const OPTION_SUBNET_MASK = 1;
export const OPTION_ROUTER = 3;
export const OPTION_DNS_SERVERS = 6;
export const OPTION_REQUESTED_ADDRESS = 50;
export const OPTION_LEASE_TIME = 51;
export const OPTION_MESSAGE_TYPE = 53;
export const OPTION_SERVER_ID = 54;
export const OPTION_PARAMETER_REQUEST_LIST = 55;
export const OPTION_RENEWAL_TIME = 58;
export const OPTION_REBINDING_TIME = 59;
export const OPTION_CLIENT_ID = 61;
export const OPTION_END = 255;

const OP_OFFSET = 0;
const HTYPE_OFFSET = 1;
const HLEN_OFFSET = 2;
const XID_OFFSET = 4;
const FLAGS_OFFSET = 10;
const CIADDR_OFFSET = 12;
const YIADDR_OFFSET = 16;
const CHADDR_OFFSET = 28;
const COOKIE_OFFSET = 236;
const OPTIONS_OFFSET = 240;
/** RFC 1542: relays may drop shorter BOOTP messages. */
const MIN_MESSAGE_LENGTH = 300;

const ADDRESS_OPTIONS = new Set([OPTION_SUBNET_MASK, OPTION_SERVER_ID, OPTION_REQUESTED_ADDRESS]);
const ADDRESS_LIST_OPTIONS = new Set([OPTION_ROUTER, OPTION_DNS_SERVERS]);
const SECONDS_OPTIONS = new Set([OPTION_LEASE_TIME, OPTION_RENEWAL_TIME, OPTION_REBINDING_TIME]);

export interface DhcpReply {
  readonly xid: number;
  readonly clientMac: Uint8Array;
  readonly yourAddress: Ipv4Address;
  readonly messageType: number;
  readonly subnetMask: Ipv4Address | null;
  readonly routers: Ipv4Address[];
  readonly dnsServers: Ipv4Address[];
  readonly serverId: Ipv4Address | null;
  readonly leaseSeconds: number | null;
  readonly renewalSeconds: number | null;
  readonly rebindingSeconds: number | null;
}

/** A BOOTREPLY with a valid option area, or null. Every option length is checked before use. */
export function parseDhcpReply(bytes: Uint8Array): DhcpReply | null {
  if (bytes.length < OPTIONS_OFFSET) return null;
  if (bytes[OP_OFFSET] !== BOOTREPLY || bytes[HTYPE_OFFSET] !== HARDWARE_TYPE_ETHERNET || bytes[HLEN_OFFSET] !== MAC_LENGTH) return null;
  if (read32(bytes, COOKIE_OFFSET) !== MAGIC_COOKIE) return null;
  const numbers = new Map<number, number>();
  const lists = new Map<number, Ipv4Address[]>();
  let messageType: number | null = null;
  let offset = OPTIONS_OFFSET;
  while (offset < bytes.length) {
    const code = bytes[offset];
    if (code === OPTION_END) break;
    if (code === OPTION_PAD) {
      offset++;
      continue;
    }
    if (offset + 1 >= bytes.length) return null;
    const length = bytes[offset + 1];
    const value = offset + 2;
    if (value + length > bytes.length) return null;
    if (code === OPTION_MESSAGE_TYPE) {
      if (length !== 1) return null;
      messageType = bytes[value];
    } else if (ADDRESS_OPTIONS.has(code) || SECONDS_OPTIONS.has(code)) {
      if (length !== IPV4_ADDRESS_LENGTH) return null;
      numbers.set(code, read32(bytes, value));
    } else if (ADDRESS_LIST_OPTIONS.has(code)) {
      if (length === 0 || length % IPV4_ADDRESS_LENGTH !== 0) return null;
      const addresses: Ipv4Address[] = [];
      for (let i = 0; i < length; i += IPV4_ADDRESS_LENGTH) addresses.push(read32(bytes, value + i));
      lists.set(code, addresses);
    }
    offset = value + length;
  }
  if (messageType === null) return null;
  return {
    xid: read32(bytes, XID_OFFSET),
    clientMac: bytes.slice(CHADDR_OFFSET, CHADDR_OFFSET + MAC_LENGTH),
    yourAddress: read32(bytes, YIADDR_OFFSET),
    messageType,
    subnetMask: numbers.get(OPTION_SUBNET_MASK) ?? null,
    routers: lists.get(OPTION_ROUTER) ?? [],
    dnsServers: lists.get(OPTION_DNS_SERVERS) ?? [],
    serverId: numbers.get(OPTION_SERVER_ID) ?? null,
    leaseSeconds: numbers.get(OPTION_LEASE_TIME) ?? null,
    renewalSeconds: numbers.get(OPTION_RENEWAL_TIME) ?? null,
    rebindingSeconds: numbers.get(OPTION_REBINDING_TIME) ?? null,
  };
}

export interface DhcpRequestFields {
  readonly messageType: number;
  readonly xid: number;
  readonly clientMac: Uint8Array;
  /** ciaddr: set only while renewing or rebinding a lease we hold. */
  readonly clientAddress: Ipv4Address;
  readonly broadcast: boolean;
  readonly requestedAddress?: Ipv4Address;
  readonly serverId?: Ipv4Address;
}

const PARAMETERS_REQUESTED = [OPTION_SUBNET_MASK, OPTION_ROUTER, OPTION_DNS_SERVERS, OPTION_LEASE_TIME, OPTION_RENEWAL_TIME, OPTION_REBINDING_TIME];

export function encodeDhcpRequest(fields: DhcpRequestFields): Uint8Array {
  const options: number[] = [OPTION_MESSAGE_TYPE, 1, fields.messageType];
  options.push(OPTION_CLIENT_ID, 1 + MAC_LENGTH, HARDWARE_TYPE_ETHERNET, ...fields.clientMac.subarray(0, MAC_LENGTH));
  if (fields.requestedAddress !== undefined) options.push(OPTION_REQUESTED_ADDRESS, IPV4_ADDRESS_LENGTH, ...addressBytes(fields.requestedAddress));
  if (fields.serverId !== undefined) options.push(OPTION_SERVER_ID, IPV4_ADDRESS_LENGTH, ...addressBytes(fields.serverId));
  options.push(OPTION_PARAMETER_REQUEST_LIST, PARAMETERS_REQUESTED.length, ...PARAMETERS_REQUESTED, OPTION_END);

  const message = new Uint8Array(Math.max(MIN_MESSAGE_LENGTH, OPTIONS_OFFSET + options.length));
  message[OP_OFFSET] = BOOTREQUEST;
  message[HTYPE_OFFSET] = HARDWARE_TYPE_ETHERNET;
  message[HLEN_OFFSET] = MAC_LENGTH;
  write32(message, XID_OFFSET, fields.xid);
  write16(message, FLAGS_OFFSET, fields.broadcast ? FLAG_BROADCAST : 0);
  write32(message, CIADDR_OFFSET, fields.clientAddress);
  message.set(fields.clientMac.subarray(0, MAC_LENGTH), CHADDR_OFFSET);
  write32(message, COOKIE_OFFSET, MAGIC_COOKIE);
  message.set(options, OPTIONS_OFFSET);
  return message;
}

export function isForClient(reply: DhcpReply, xid: number, mac: Uint8Array): boolean {
  return reply.xid === xid && bytesEqual(reply.clientMac, 0, mac, 0, MAC_LENGTH);
}

function addressBytes(address: Ipv4Address): number[] {
  return [address >>> 24, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff];
}
