import { parseIpv4, prefixToNetmask, type Ipv4Address } from "./address";
import type { InterfaceConfig } from "./config";
import { NetError } from "./errors";

/** Network setup named on the kernel command line. */
export type NetBootConfig = { readonly mode: "dhcp" } | { readonly mode: "static"; readonly config: InterfaceConfig };

const IP_KEY = "ip";
const GATEWAY_KEY = "gw";
const DNS_KEY = "dns";
const DHCP_VALUE = "dhcp";

/**
 * Reads `ip=10.0.2.15/24 gw=10.0.2.2 dns=10.0.2.3[,more]` or `ip=dhcp` from a command line; other
 * words are left to their owners. Null when there is no `ip=`; throws "badConfig" on bad values.
 */
export function parseNetCommandLine(commandLine: string): NetBootConfig | null {
  const values = new Map<string, string>();
  for (const word of commandLine.split(/\s+/)) {
    const separator = word.indexOf("=");
    if (separator > 0) values.set(word.slice(0, separator), word.slice(separator + 1));
  }
  const ip = values.get(IP_KEY);
  if (ip === undefined) return null;
  if (ip === DHCP_VALUE) return { mode: DHCP_VALUE };

  const [addressText, prefixText, extra] = ip.split("/");
  const address = parseIpv4(addressText);
  const netmask = prefixText === undefined || extra !== undefined || !/^\d+$/.test(prefixText) ? null : prefixToNetmask(Number(prefixText));
  if (address === null || netmask === null) throw new NetError("badConfig", `ip= needs address/prefix, got "${ip}"`);
  const gatewayText = values.get(GATEWAY_KEY);
  const gateway = gatewayText === undefined ? 0 : requireAddress(GATEWAY_KEY, gatewayText);
  const dnsText = values.get(DNS_KEY);
  const dnsServers = dnsText === undefined ? [] : dnsText.split(",").map((text) => requireAddress(DNS_KEY, text));
  return { mode: "static", config: { address, netmask, gateway, dnsServers } };
}

function requireAddress(key: string, text: string): Ipv4Address {
  const address = parseIpv4(text);
  if (address === null) throw new NetError("badConfig", `${key}= needs an IPv4 address, got "${text}"`);
  return address;
}
