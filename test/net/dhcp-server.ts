import type { NetStack } from "../../runtime/net/stack";
import type { UdpMessage, UdpSocket } from "../../runtime/net/udp";
import { ip } from "./packets";

export interface SeenRequest {
  readonly type: number;
  readonly xid: number;
  readonly clientAddress: number;
  readonly requested: number | null;
  readonly serverId: number | null;
  readonly broadcastFlag: boolean;
  readonly at: number;
}

export type ServerMode = "answer" | "silent" | "nak";

const read32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u32 = (v: number): number[] => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** A DHCP server on another stack that answers per a script and records what it was asked. */
export class ScriptedDhcpServer {
  readonly seen: SeenRequest[] = [];
  mode: ServerMode = "answer";
  leaseSeconds = 3600;
  readonly offer = ip("10.0.2.15");
  private readonly socket: UdpSocket;

  constructor(
    private readonly stack: NetStack,
    private readonly now: () => number,
  ) {
    this.socket = stack.udp.bind(67);
    this.socket.onMessage((message) => this.handle(message));
  }

  /** Sends arbitrary bytes to the client port. */
  sendRaw(bytes: Uint8Array): void {
    this.socket.send(ip("255.255.255.255"), 68, bytes);
  }

  private handle(message: UdpMessage): void {
    const m = message.data;
    const options = new Map<number, Uint8Array>();
    for (let o = 240; o < m.length && m[o] !== 255; ) {
      if (m[o] === 0) {
        o++;
        continue;
      }
      options.set(m[o], m.subarray(o + 2, o + 2 + m[o + 1]));
      o += 2 + m[o + 1];
    }
    const type = options.get(53)?.[0] ?? 0;
    const option32 = (code: number): number | null => {
      const value = options.get(code);
      return value === undefined ? null : read32(value, 0);
    };
    const request: SeenRequest = {
      type,
      xid: read32(m, 4),
      clientAddress: read32(m, 12),
      requested: option32(50),
      serverId: option32(54),
      broadcastFlag: (m[10] & 0x80) !== 0,
      at: this.now(),
    };
    this.seen.push(request);
    if (this.mode === "silent") return;
    const replyType = type === 1 ? 2 : this.mode === "nak" ? 6 : 5;
    this.sendRaw(this.reply(request.xid, m.subarray(28, 34), replyType));
  }

  reply(xid: number, clientMac: Uint8Array, type: number): Uint8Array {
    const reply = new Uint8Array(240);
    reply.set([2, 1, 6, 0, ...u32(xid)]);
    if (type !== 6) reply.set(u32(this.offer), 16);
    reply.set(u32(this.stack.config.address), 20);
    reply.set(clientMac, 28);
    reply.set([0x63, 0x82, 0x53, 0x63], 236);
    const options = [53, 1, type, 54, 4, ...u32(this.stack.config.address)];
    if (type !== 6) {
      options.push(51, 4, ...u32(this.leaseSeconds), 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 2, 2, 6, 8, 10, 0, 2, 3, 10, 0, 2, 4);
    }
    return Uint8Array.from([...reply, ...options, 255]);
  }
}
