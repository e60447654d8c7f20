#!/usr/bin/env python3
"""A hostile peer for the demo image on a tap device (run inside the test's network namespace).

Stores values over plain HTTP, then attacks: malformed Ethernet/ARP/IPv4/ICMP/UDP/TCP frames, a
SYN flood from spoofed addresses, a handshake announcing MSS 0, connections that ask for a large
value and then hold their window at zero, and slow-loris request heads and bodies. While those
connections are still held it sends a clean request and reads every stored value back. Prints
one JSON object with what it saw; the test (hostile-peer.test.ts) judges it.

Raw TCP peers use source addresses outside the tap's subnet: the guest answers them through
its gateway (this namespace's kernel), which does not forward and so never resets them.
"""
import json
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
PROTO_ICMP, PROTO_TCP, PROTO_UDP = 1, 6, 17
TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10
HTTP_PORT = 80
MALFORMED_FRAMES = 400
SYN_FLOOD = 2000
ZERO_WINDOW_HOLDS = 4
SLOW_HEADS = 30
SLOW_BODIES = 30
SLOW_BYTE_INTERVAL_S = 0.5
SLOW_HOLD_S = 4.0
READ_TIMEOUT_S = 10.0
SYN_TRIES = 3
SYN_RETRY_S = 4.0
BIG_VALUE_BYTES = 256 * 1024
STORED_VALUES = 8


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac_bytes(text: str) -> bytes:
    return bytes(int(part, 16) for part in text.split(":"))


class Wire:
    """Raw frames on the tap device."""

    def __init__(self, iface: str, guest_mac: str):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((iface, 0))
        with open(f"/sys/class/net/{iface}/address") as f:
            self.mac = mac_bytes(f.read().strip())
        self.guest_mac = mac_bytes(guest_mac)

    def send(self, frame: bytes) -> None:
        self.sock.send(frame)

    def ether(self, payload: bytes, ethertype: int = ETH_P_IP, dst: bytes = b"") -> bytes:
        return (dst or self.guest_mac) + self.mac + struct.pack("!H", ethertype) + payload

    def drain(self) -> None:
        """Drops what arrived so far (the answers to a flood would otherwise fill the socket's buffer)."""
        while self.receive(0) is not None:
            pass

    def receive(self, timeout: float):
        ready, _, _ = select.select([self.sock], [], [], timeout)
        return self.sock.recv(65535) if ready else None


def ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int = 0, frag: int = 0, ttl: int = 64) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def tcp(src: str, dst: str, sport: int, dport: int, seq: int, ack: int, flags: int, window: int, payload: bytes = b"", options: bytes = b"") -> bytes:
    offset = (20 + len(options)) // 4
    header = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, offset << 4, flags, window, 0, 0) + options
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, PROTO_TCP, len(header) + len(payload))
    return header[:16] + struct.pack("!H", checksum(pseudo + header + payload)) + header[18:] + payload


def parse_tcp(frame: bytes, guest_ip: str):
    """(src port, dst ip, dst port, seq, ack, flags, window, payload) of a TCP segment from the guest, else None."""
    if len(frame) < 34 or frame[12:14] != struct.pack("!H", ETH_P_IP):
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    if ip[9] != PROTO_TCP or socket.inet_ntoa(ip[12:16]) != guest_ip:
        return None
    seg = ip[ihl:total]
    sport, dport, seq, ack, off, flags, window = struct.unpack("!HHIIBBH", seg[:16])
    return sport, socket.inet_ntoa(ip[16:20]), dport, seq, ack, flags, window, seg[(off >> 4) * 4 :]


class RawPeer:
    """One TCP connection driven by hand from a spoofed address."""

    def __init__(self, wire: Wire, guest_ip: str, src: str, sport: int):
        self.wire, self.guest_ip, self.src, self.sport = wire, guest_ip, src, sport
        self.seq = random.getrandbits(32)
        self.ack = 0

    def send(self, flags: int, window: int, payload: bytes = b"", options: bytes = b"") -> None:
        segment = tcp(self.src, self.guest_ip, self.sport, HTTP_PORT, self.seq, self.ack, flags, window, payload, options)
        self.wire.send(self.wire.ether(ipv4(self.src, self.guest_ip, PROTO_TCP, segment)))
        self.seq += len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)

    def next_segment(self, timeout: float):
        deadline = time.time() + timeout
        while time.time() < deadline:
            frame = self.wire.receive(deadline - time.time())
            if frame is None:
                return None
            parsed = parse_tcp(frame, self.guest_ip)
            if parsed and parsed[1] == self.src and parsed[2] == self.sport and parsed[0] == HTTP_PORT:
                return parsed
        return None

    def handshake(self, window: int, options: bytes) -> bool:
        """Connects, sending the SYN again as a client would when no answer comes (a flood may still be in the guest's queues)."""
        iss = self.seq
        for _ in range(SYN_TRIES):
            self.wire.drain()
            self.seq = iss
            self.send(TCP_SYN, window, options=options)
            reply = self.next_segment(SYN_RETRY_S)
            if reply is not None and reply[5] & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK:
                self.ack = reply[3] + 1
                return True
            self.refused = "no answer" if reply is None else f"flags {reply[5]:#x}"
        return False


def http(host: str, method: str, path: str, body: bytes = b"") -> tuple:
    """One request on its own connection: (status, body)."""
    with socket.create_connection((host, HTTP_PORT), timeout=READ_TIMEOUT_S) as conn:
        conn.sendall(f"{method} {path} HTTP/1.1\r\nHost: guest\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), rest


def answer(host: str, method: str, path: str) -> tuple:
    """Like http(), but a request the guest does not answer is (0, why) in the report, not a crash."""
    try:
        return http(host, method, path)
    except OSError as error:
        return 0, str(error).encode()


def malformed_frames(wire: Wire, guest_ip: str, rng: random.Random) -> int:
    src = "10.77.0.1"
    def junk(n: int) -> bytes:
        return bytes(rng.getrandbits(8) for _ in range(n))
    makers = [
        lambda: wire.ether(junk(rng.randrange(0, 4)), rng.choice([ETH_P_IP, ETH_P_ARP])),  # runt (headers only)
        lambda: wire.ether(junk(rng.randrange(0, 60)), ethertype=rng.choice([0x88B5, 0x86DD, 0x0000, 0xFFFF])),
        lambda: wire.ether(junk(rng.randrange(0, 28)), ETH_P_ARP, b"\xff" * 6),  # truncated or garbage ARP
        lambda: wire.ether(struct.pack("!HHBBH", 1, ETH_P_IP, rng.choice([0, 1, 255]), rng.choice([0, 3, 255]), 1) + junk(20), ETH_P_ARP, b"\xff" * 6),
        lambda: wire.ether(bytes([rng.choice([0x40, 0x44, 0x60, 0x4F, 0x41])]) + junk(rng.randrange(0, 40))),  # bad version / IHL
        lambda: wire.ether(ipv4(src, guest_ip, PROTO_UDP, junk(8))[:2] + struct.pack("!H", 60000) + junk(24)),  # total length past the frame
        lambda: wire.ether(ipv4(src, guest_ip, rng.choice([PROTO_TCP, PROTO_UDP, PROTO_ICMP]), junk(rng.randrange(0, 8)))),  # truncated transport
        lambda: wire.ether(ipv4(src, guest_ip, PROTO_UDP, struct.pack("!HHHH", 68, 68, rng.choice([0, 7, 9000]), 0) + junk(30))),  # UDP length lies
        lambda: wire.ether(ipv4(src, guest_ip, PROTO_UDP, struct.pack("!HHHH", 67, 68, 308, 0) + junk(300))),  # garbage DHCP
        lambda: wire.ether(ipv4(src, guest_ip, PROTO_ICMP, bytes([8, 0]) + junk(rng.randrange(0, 6)))),  # truncated echo
        lambda: wire.ether(ipv4(src, guest_ip, PROTO_TCP, struct.pack("!HHIIBBHHH", 1234, HTTP_PORT, 1, 0, rng.choice([0x00, 0x40, 0xF0]), TCP_SYN, 1024, 0, 0) + junk(8))),  # bad data offset
        lambda: wire.ether(ipv4(src, guest_ip, PROTO_TCP, tcp(src, guest_ip, 1235, HTTP_PORT, 1, 0, TCP_SYN, 1024, options=rng.choice([b"\x02\x00\x00\x00", b"\x08\x01\x00\x00", b"\x03\x02\x00\x00", b"\x02\x04\x00"+b"\x00"])))),  # option lengths 0, 1, too short
        lambda: wire.ether(ipv4(src, guest_ip, PROTO_UDP, junk(rng.randrange(8, 1400)), ident=rng.getrandbits(16), frag=0x2000 | rng.randrange(0, 8000))),  # fragments never completed
        lambda: wire.ether(ipv4(src, guest_ip, PROTO_UDP, junk(1400), ident=7, frag=0x2000 | rng.randrange(0, 200))),  # overlapping fragments of one datagram
        lambda: wire.ether(ipv4(src, guest_ip, PROTO_UDP, junk(64), ident=8, frag=0x1FFF)),  # last fragment past 65535
    ]
    for _ in range(MALFORMED_FRAMES):
        wire.send(rng.choice(makers)())
    return MALFORMED_FRAMES


def syn_flood(wire: Wire, guest_ip: str, rng: random.Random) -> int:
    for _ in range(SYN_FLOOD):
        src = f"198.18.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
        segment = tcp(src, guest_ip, rng.randrange(1024, 65535), HTTP_PORT, rng.getrandbits(32), 0, TCP_SYN, 65535, options=b"\x02\x04\x05\xb4")
        wire.send(wire.ether(ipv4(src, guest_ip, PROTO_TCP, segment)))
    return SYN_FLOOD


def mss_zero(wire: Wire, guest_ip: str) -> dict:
    """Announces MSS 0, asks for the status page and takes it all: the guest must send, in small segments."""
    peer = RawPeer(wire, guest_ip, "198.18.255.1", 40000)
    if not peer.handshake(65535, b"\x02\x04\x00\x00"):
        return {"handshake": False, "answer": peer.refused}
    peer.send(TCP_ACK | TCP_PSH, 65535, b"GET /status.json HTTP/1.1\r\nHost: guest\r\nConnection: close\r\n\r\n")
    received, largest, fin = b"", 0, False
    while not fin:
        segment = peer.next_segment(READ_TIMEOUT_S)
        if segment is None:
            break
        payload, flags, seq = segment[7], segment[5], segment[3]
        if flags & TCP_RST:
            break
        if payload and seq == peer.ack:
            received += payload
            largest = max(largest, len(payload))
            peer.ack += len(payload)
        if flags & TCP_FIN and seq + len(payload) == peer.ack:
            peer.ack += 1
            fin = True
        peer.send(TCP_ACK, 65535)
    peer.send(TCP_RST | TCP_ACK, 0)
    return {"handshake": True, "bytes": len(received), "largestSegment": largest, "statusLine": received.split(b"\r\n")[0].decode(errors="replace"), "fin": fin}


def zero_window_holds(wire: Wire, guest_ip: str) -> list:
    """Connections that ask for the large value and then advertise window 0 and never answer."""
    peers = []
    for index in range(ZERO_WINDOW_HOLDS):
        peer = RawPeer(wire, guest_ip, f"198.18.254.{index + 1}", 41000 + index)
        if peer.handshake(65535, b"\x02\x04\x05\xb4"):
            peer.send(TCP_ACK | TCP_PSH, 0, b"GET /kv/big HTTP/1.1\r\nHost: guest\r\n\r\n")
            peers.append(peer)
    return peers


def slow_loris(host: str) -> list:
    conns = []
    for index in range(SLOW_HEADS + SLOW_BODIES):
        conn = socket.create_connection((host, HTTP_PORT), timeout=READ_TIMEOUT_S)
        if index < SLOW_HEADS:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: guest\r\nX-Slow: ")
        else:
            conn.sendall(b"PUT /kv/slow HTTP/1.1\r\nHost: guest\r\nContent-Length: 1000000\r\n\r\n")
        conns.append(conn)
    return conns


def drip(conns: list, seconds: float) -> int:
    """One byte per connection per interval; returns how many the guest had closed by the end."""
    closed = set()
    end = time.time() + seconds
    while time.time() < end:
        for index, conn in enumerate(conns):
            if index in closed:
                continue
            try:
                conn.sendall(b"a")
            except OSError:
                closed.add(index)
        time.sleep(SLOW_BYTE_INTERVAL_S)
    return len(closed)


def main() -> None:
    guest_ip, iface, guest_mac, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    rng = random.Random(seed)
    random.seed(seed)
    report = {"seed": seed}
    values = {f"peer-{i}": os.urandom(rng.randrange(1, 5000)) for i in range(STORED_VALUES)}
    values["big"] = os.urandom(BIG_VALUE_BYTES)
    report["stored"] = {key: http(guest_ip, "PUT", f"/kv/{key}", value)[0] for key, value in values.items()}

    wire = Wire(iface, guest_mac)
    report["malformedFrames"] = malformed_frames(wire, guest_ip, rng)
    report["mssZero"] = mss_zero(wire, guest_ip)
    report["synFlood"] = syn_flood(wire, guest_ip, rng)
    holds = zero_window_holds(wire, guest_ip)
    report["zeroWindowHolds"] = len(holds)
    slow = slow_loris(guest_ip)
    report["slowLorisClosedEarly"] = drip(slow, SLOW_HOLD_S)

    # Everything above is still held: the guest must answer a clean client now.
    status, page = answer(guest_ip, "GET", "/")
    report["cleanStatus"] = status
    report["cleanPageHasTitle"] = b"<h1>Vireo</h1>" in page
    report["intact"] = {key: answer(guest_ip, "GET", f"/kv/{key}") == (200, value) for key, value in values.items()}
    for conn in slow:
        conn.close()
    for peer in holds:
        peer.send(TCP_RST | TCP_ACK, 0)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
