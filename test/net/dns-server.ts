import type { NetStack } from "../../runtime/net/stack";
import type { UdpMessage } from "../../runtime/net/udp";

/** Builds the response bytes for a query; null stays silent. */
export type DnsScript = (query: Uint8Array) => Uint8Array | null;

/** A DNS server on another stack: answers each query on port 53 per the current script. */
export class ScriptedDnsServer {
  readonly queries: { id: number; name: string; at: number }[] = [];
  script: DnsScript = () => null;

  constructor(
    stack: NetStack,
    private readonly now: () => number,
  ) {
    const socket = stack.udp.bind(53);
    socket.onMessage((message: UdpMessage) => {
      this.queries.push({ id: (message.data[0] << 8) | message.data[1], name: questionName(message.data), at: this.now() });
      const response = this.script(message.data);
      if (response !== null) socket.send(message.address, message.port, response);
    });
  }
}

function questionName(query: Uint8Array): string {
  const labels: string[] = [];
  for (let o = 12; query[o] !== 0; o += 1 + query[o]) labels.push(String.fromCharCode(...query.subarray(o + 1, o + 1 + query[o])));
  return labels.join(".");
}

const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export function encodeName(name: string): number[] {
  return [...name.split(".").flatMap((label) => [label.length, ...Array.from(label, (c) => c.charCodeAt(0))]), 0];
}

/** A pointer to `offset` in the message. */
export function pointer(offset: number): number[] {
  return [0xc0 | (offset >>> 8), offset & 0xff];
}

export function record(owner: number[], type: number, ttl: number, data: number[]): number[] {
  return [...owner, ...u16(type), 0, 1, ...u32(ttl), ...u16(data.length), ...data];
}

/** A response echoing the query's header and question, with the given flags, answers and body. */
export function response(query: Uint8Array, options: { rcode?: number; answers?: number[][]; flags?: number } = {}): Uint8Array {
  let end = 12;
  while (query[end] !== 0) end += 1 + query[end];
  end += 5;
  const answers = options.answers ?? [];
  const flags = options.flags ?? 0x8180 | (options.rcode ?? 0);
  return Uint8Array.from([...query.subarray(0, 2), ...u16(flags), 0, 1, ...u16(answers.length), 0, 0, 0, 0, ...query.subarray(12, end), ...answers.flat()]);
}

export const QUESTION_NAME_OFFSET = 12;
export const A = 1;
export const CNAME = 5;
export { u32 as addressBytes };
