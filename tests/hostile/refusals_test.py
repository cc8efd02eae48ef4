"""The refusals docs/codes.md and docs/protocol.md document, each sent by a
hostile raw client to the real `herald serve` while a bystander is probed
and under a server-memory bound: the exact status or close code, and the
reason counted in /metrics where the engine counts it.
"""
import asyncio
import json
import socket
import struct
import time
import unittest

from hostile_case import HostileCase, RawWebSocket
from server_case import API_KEY, SECRET

MiB = 1 << 20

CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"
allow_anonymous = true
commands_per_second = 20
command_burst = 20
max_message_bytes = "4KiB"
handshake_timeout = "2s"

[api]
key = "{API_KEY}"

[channel]
allow_subscribe_for_client = true
"""

UPGRADE = ("Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")


def http_exchange(port: int, request: bytes) -> tuple[int, bytes]:
    """Sends `request` and reads the response until the server closes."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(5)
    try:
        s.sendall(request)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, data


def connect_frame() -> bytes:
    return RawWebSocket.frame(0x1, b'{"id":1,"connect":{}}')


# (name, request bytes, expected status, reason counted in /metrics)
HANDSHAKE_CASES = [
    ("head over 8 KiB", f"GET /connection/websocket HTTP/1.1\r\n{UPGRADE}X-Pad: {'a' * 9000}\r\n\r\n",
     431, "http_431_head_too_large"),
    ("version 8", f"GET /connection/websocket HTTP/1.1\r\n{UPGRADE.replace('13', '8')}\r\n",
     426, "http_426_upgrade_required"),
    ("foreign Origin", f"GET /connection/websocket HTTP/1.1\r\n{UPGRADE}Origin: http://evil.example\r\n\r\n",
     403, "http_403_forbidden_origin"),
    ("POST", f"POST /connection/websocket HTTP/1.1\r\n{UPGRADE}\r\n", 405, "http_405_method_not_allowed"),
    ("HTTP/2 request line", f"GET /connection/websocket HTTP/2.0\r\n{UPGRADE}\r\n", 505, "http_505_version"),
    ("no such path", f"GET /nowhere HTTP/1.1\r\n{UPGRADE}\r\n", 404, "http_404_not_found"),
    ("header without a colon", f"GET /connection/websocket HTTP/1.1\r\n{UPGRADE}broken header\r\n\r\n",
     400, "http_400_bad_request"),
]

# (name, frames sent after the handshake, expected close code)
FRAME_CASES = [
    ("unmasked frame", struct.pack("!BB", 0x81, 2) + b"{}", 1002),
    ("reserved opcode 3", RawWebSocket.frame(0x3, b"x"), 1002),
    ("RSV2 set", bytes([0xA1]) + RawWebSocket.frame(0x1, b"{}")[1:], 1002),
    ("control frame over 125 bytes", RawWebSocket.frame(0x9, b"p" * 126), 1002),
    ("continuation with no message", RawWebSocket.frame(0x0, b"x"), 1002),
    ("text that is not UTF-8", RawWebSocket.frame(0x1, b"\xc3\x28"), 1007),
    ("message over 4 KiB (header only)", struct.pack("!BBQ", 0x81, 0xFF, 1 << 30) + b"\0\0\0\0", 1009),
    ("fragments over 4 KiB", RawWebSocket.frame(0x1, b"[" * 3000, fin=False) + RawWebSocket.frame(0x0, b" " * 3000), 1009),
    ("malformed JSON command", RawWebSocket.frame(0x1, b'{"id":1,"connect":'), 3501),
    ("unknown command", RawWebSocket.frame(0x1, b'{"id":1,"frobnicate":{}}'), 3501),
]


class RefusalsTest(HostileCase):
    CONFIG = CONFIG

    def test_handshake_refusals(self):
        for name, request, status, reason in HANDSHAKE_CASES:
            with self.subTest(name):
                before = self.refusals().get(reason, 0)

                async def attack():
                    got, response = await asyncio.to_thread(http_exchange, self.server.port, request.encode())
                    self.assertEqual(got, status, response[:300])
                    head, _, body = response.partition(b"\r\n\r\n")
                    self.assertGreater(len(body.strip()), 0, "a refusal carries a readable body")
                self.under_attack(attack, rss_growth_limit=16 * MiB)
                self.assertGreater(self.refusals().get(reason, 0), before, reason)

    def test_frame_refusals(self):
        for name, frames, code in FRAME_CASES:
            with self.subTest(name):
                def exchange():
                    ws = RawWebSocket(self.server.port)
                    st, head = ws.handshake()
                    self.assertEqual(st, 101, head)
                    ws.send(connect_frame())
                    ws.send(frames)
                    got = ws.close_code()
                    ws.close()
                    return got

                async def attack():
                    self.assertEqual(await asyncio.to_thread(exchange), code)
                self.under_attack(attack, rss_growth_limit=16 * MiB)

    def test_half_a_handshake_is_dropped_at_the_handshake_timeout(self):
        before = self.refusals().get("handshake_timeout", 0)

        def slowloris():
            s = socket.create_connection(("127.0.0.1", self.server.port))
            s.settimeout(10)
            s.sendall(b"GET /connection/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            started = time.monotonic()
            try:
                while s.recv(1024):
                    pass
            except ConnectionResetError:
                pass
            s.close()
            return time.monotonic() - started

        async def attack():
            held = await asyncio.gather(*(asyncio.to_thread(slowloris) for _ in range(20)))
            for seconds in held:
                self.assertLess(seconds, 5.0, "handshake_timeout is 2 s")
        self.under_attack(attack, rss_growth_limit=16 * MiB)
        self.assertGreaterEqual(self.refusals().get("handshake_timeout", 0), before + 20)

    def test_command_flood_gets_111_then_3013(self):
        def flood():
            ws = RawWebSocket(self.server.port)
            st, _ = ws.handshake()
            self.assertEqual(st, 101)
            ws.send(connect_frame())
            for i in range(200):
                if not ws.send(RawWebSocket.frame(0x1, json.dumps({"id": i + 2, "ping": {}}).encode())):
                    break
            errors, code = [], 0
            while True:
                f = ws.read_frame()
                if f is None:
                    break
                if f[0] == 0x8:
                    code = struct.unpack("!H", f[1][:2])[0]
                    break
                for line in f[1].decode().split("\n"):
                    if line.strip() and "error" in json.loads(line):
                        errors.append(json.loads(line)["error"]["code"])
            ws.close()
            return errors, code

        async def attack():
            errors, code = await asyncio.to_thread(flood)
            self.assertIn(111, errors)
            self.assertEqual(code, 3013)
        self.under_attack(attack, rss_growth_limit=16 * MiB)


if __name__ == "__main__":
    unittest.main()
