"""Bad input in the Protobuf variant of the client protocol gets the same
answers as in JSON (issue 13): a raw client that asked for
`centrifuge-protobuf` sends exactly the bytes of each case, after a valid
connect, while a bystander is probed and under a server-memory bound, and
must be closed with the documented code. The handshake's subprotocol echo
and the query-parameter selection are checked first.

Protobuf is written by hand (tests/support/pb_wire.py), so each case is the
exact byte string it names.
"""
import asyncio
import struct
import unittest

from hostile_case import HostileCase, RawWebSocket
from pb_wire import command, delimited, field_bytes, field_varint, varint
from server_case import API_KEY, SECRET

MiB = 1 << 20

CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"
allow_anonymous = true
commands_per_second = 100000
command_burst = 100000
max_message_bytes = "64KiB"

[api]
key = "{API_KEY}"

[channel]
allow_subscribe_for_client = true
"""

PROTOBUF = "Sec-WebSocket-Protocol: centrifuge-protobuf\r\n"


CONNECT = delimited(command(1, 4))
PING = delimited(command(2, 11))


def binary(payload: bytes) -> bytes:
    return RawWebSocket.frame(0x2, payload)


# (name, frame sent after a connect, expected close code)
FRAME_CASES = [
    ("truncated varint length", binary(b"\x80"), 3501),
    ("varint length of eleven bytes", binary(b"\xff" * 10 + b"\x01"), 3501),
    ("length past the frame", binary(varint(40) + command(2, 11)), 3501),
    ("length far past any limit", binary(varint(1 << 40) + b"x"), 3501),
    ("unknown method (field 30)", binary(delimited(command(2, 30))), 3501),
    ("two methods in one command", binary(delimited(field_varint(1, 2) + field_bytes(11, b"") + field_bytes(12, b""))), 3501),
    ("id with the wrong wire type", binary(delimited(field_bytes(1, b"\x02") + field_bytes(11, b""))), 3501),
    ("request with the wrong wire type", binary(delimited(field_varint(1, 2) + field_varint(11, 1))), 3501),
    ("a command field cut short", binary(delimited(field_varint(1, 2) + varint(5 << 3 | 2) + varint(9) + b"ab")), 3501),
    ("channel that is not UTF-8", binary(delimited(command(2, 5, field_bytes(1, b"\xc3\x28")))), 3501),
    ("id 0 on a ping", binary(delimited(command(0, 11))), 3501),
    ("empty binary frame", binary(b""), 3501),
    ("text frame on a Protobuf connection", RawWebSocket.frame(0x1, b'{"id":2,"ping":{}}'), 3501),
    ("10,000 commands in one frame", binary(PING * 10_000), 3501),
]


class ProtobufTest(HostileCase):
    CONFIG = CONFIG

    def open(self, headers: str = PROTOBUF, path: str = "/connection/websocket") -> tuple[RawWebSocket, bytes]:
        ws = RawWebSocket(self.server.port, path=path, extra_headers=headers)
        status, head = ws.handshake()
        self.assertEqual(status, 101, head)
        return ws, head

    def reply(self, ws: RawWebSocket) -> tuple[int, bytes]:
        f = ws.read_frame()
        self.assertIsNotNone(f, "no reply")
        return f

    def test_subprotocol_is_echoed_only_when_asked_for(self):
        ws, head = self.open()
        self.assertIn(b"sec-websocket-protocol: centrifuge-protobuf", head.lower())
        ws.send(binary(CONNECT))
        opcode, payload = self.reply(ws)
        self.assertEqual(opcode, 0x2, "a Protobuf session answers in binary frames")
        # Reply{id: 1, connect: ...}, length-prefixed.
        self.assertEqual(payload[1:3], b"\x08\x01", payload)
        ws.close()

        ws, head = self.open(headers="")
        self.assertNotIn(b"sec-websocket-protocol", head.lower())
        ws.send(RawWebSocket.frame(0x1, b'{"id":1,"connect":{}}'))
        opcode, payload = self.reply(ws)
        self.assertEqual(opcode, 0x1)
        self.assertTrue(payload.startswith(b'{"id":1,"connect":'), payload)
        ws.close()

    def test_query_parameter_selects_protobuf_without_a_subprotocol(self):
        for query in ("format=protobuf", "cf_protocol=protobuf"):
            with self.subTest(query):
                ws, head = self.open(headers="", path="/connection/websocket?" + query)
                self.assertNotIn(b"sec-websocket-protocol", head.lower())
                ws.send(binary(CONNECT + PING))
                opcode, payload = self.reply(ws)
                self.assertEqual(opcode, 0x2)
                # Both replies in one frame: connect (id 1), then ping (id 2).
                first = payload[0]
                self.assertEqual(payload[1:3], b"\x08\x01")
                self.assertEqual(payload[1 + first + 1:1 + first + 3], b"\x08\x02", payload)
                ws.close()

    def test_commands_before_connect_are_refused(self):
        def exchange():
            ws, _ = self.open()
            ws.send(binary(PING))
            got = ws.close_code()
            ws.close()
            return got

        async def attack():
            self.assertEqual(await asyncio.to_thread(exchange), 3501)
        self.under_attack(attack, rss_growth_limit=16 * MiB)

    def test_frame_refusals(self):
        for name, frame, code in FRAME_CASES:
            with self.subTest(name):
                def exchange():
                    ws, _ = self.open()
                    ws.send(binary(CONNECT))
                    opcode, payload = self.reply(ws)
                    self.assertEqual(payload[1:3], b"\x08\x01", "connected first")
                    ws.send(frame)
                    got = ws.close_code()
                    ws.close()
                    return got

                async def attack():
                    self.assertEqual(await asyncio.to_thread(exchange), code)
                self.under_attack(attack, rss_growth_limit=16 * MiB)

    def test_a_pong_frame_is_the_empty_command(self):
        # The one byte 0x00 (an empty Command) is a pong: harmless, no reply,
        # the session goes on.
        ws, _ = self.open()
        ws.send(binary(CONNECT))
        self.reply(ws)
        ws.send(binary(b"\x00"))
        ws.send(binary(PING))
        opcode, payload = self.reply(ws)
        self.assertEqual(payload[1:3], b"\x08\x02", payload)
        ws.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
