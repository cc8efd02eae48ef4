"""One channel, both wire formats (issue 13): 1 publisher, 500 JSON and 500
Protobuf subscribers of the real `herald serve`; every subscriber gets every
publication once, in order, with its data as published.

The publisher speaks Protobuf and publishes JSON text as bytes, so JSON
subscribers get it as JSON values and Protobuf subscribers as the same bytes.
Protobuf is read and written by hand (tests/support/pb_wire.py). The server's
herald_websocket_sessions gauge must count each format's connections.
"""
import asyncio
import json
import unittest

import websockets

from herald_client import http
from pb_wire import command, delimited, field_bytes, fields, messages
from server_case import API_KEY, SECRET, ServerCase

SUBSCRIBERS_PER_FORMAT = 500
PUBLICATIONS = 40
CHANNEL = "mix:feed"

CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"
allow_anonymous = true
commands_per_second = 100000
command_burst = 100000

[api]
key = "{API_KEY}"

[channel]
allow_subscribe_for_client = true

[[namespace]]
name = "mix"
history_size = 100
history_ttl = "5m"
allow_subscribe_for_anonymous = true
allow_publish_for_anonymous = true
"""


def publish_command(cid: int, channel: str, data: bytes) -> bytes:
    return delimited(command(cid, 7, field_bytes(1, channel.encode()) + field_bytes(2, data)))


class Subscriber:
    """Connected and subscribed; collects (offset, data bytes) of publications."""

    def __init__(self, ws, protobuf: bool):
        self.ws, self.protobuf = ws, protobuf
        self.received: list[tuple[int, bytes]] = []
        self.replies: dict[int, bool] = {}  # id -> ok

    async def hello(self):
        if self.protobuf:
            await self.ws.send(delimited(command(1, 4)) + delimited(command(2, 5, field_bytes(1, CHANNEL.encode()))))
        else:
            await self.ws.send('{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"%s"}}' % CHANNEL)
        while 2 not in self.replies:
            await self.read()
        assert self.replies[1] and self.replies[2], f"hello refused: {self.replies}"

    async def read(self):
        frame = await asyncio.wait_for(self.ws.recv(), 10)
        if self.protobuf:
            assert isinstance(frame, bytes), "a Protobuf session gets binary frames"
            for m in messages(frame):
                if not m:  # server ping: the empty Reply
                    await self.ws.send(b"\x00")
                    continue
                f = fields(m)
                if f.get(1, [0])[0]:
                    self.replies[f[1][0]] = 2 not in f
                elif 4 in f:
                    push = fields(f[4][0])
                    if 4 in push:
                        pub = fields(push[4][0])
                        self.received.append((pub.get(6, [0])[0], pub[4][0]))
            return
        assert isinstance(frame, str), "a JSON session gets text frames"
        for line in frame.split("\n"):
            obj = json.loads(line)
            if obj == {}:
                await self.ws.send("{}")
            elif obj.get("id"):
                self.replies[obj["id"]] = "error" not in obj
            elif "pub" in obj.get("push", {}):
                pub = obj["push"]["pub"]
                self.received.append((pub.get("offset", 0), json.dumps(pub["data"], separators=(",", ":")).encode()))

    async def collect(self, count: int):
        while len(self.received) < count:
            await self.read()


class MixedFormatsTest(ServerCase):
    CONFIG = CONFIG

    def gauge(self, fmt: str) -> int:
        status, body, _ = http("GET", f"{self.server.http_url}/metrics")
        self.assertEqual(status, 200)
        prefix = f'herald_websocket_sessions{{format="{fmt}"}} '
        for line in body.decode().splitlines():
            if line.startswith(prefix):
                return int(line[len(prefix):])
        self.fail(f"no {prefix.strip()} in /metrics")

    def test_every_subscriber_of_either_format_gets_every_publication_once_in_order(self):
        async def case(_bystander):
            url = self.server.ws_url
            subs: list[Subscriber] = []
            for i in range(2 * SUBSCRIBERS_PER_FORMAT):
                protobuf = i % 2 == 1
                ws = await websockets.connect(url, max_size=None, ping_interval=None,
                                              subprotocols=["centrifuge-protobuf"] if protobuf else None)
                subs.append(Subscriber(ws, protobuf))
            try:
                # Handshakes in batches: the server's loop is shared with the bystander.
                for start in range(0, len(subs), 100):
                    await asyncio.gather(*(s.hello() for s in subs[start:start + 100]))
                self.assertEqual(self.gauge("protobuf"), SUBSCRIBERS_PER_FORMAT)
                self.assertGreaterEqual(self.gauge("json"), SUBSCRIBERS_PER_FORMAT)

                pub = Subscriber(await websockets.connect(url, max_size=None, ping_interval=None,
                                                          subprotocols=["centrifuge-protobuf"]), True)
                await pub.ws.send(delimited(command(1, 4)))
                while 1 not in pub.replies:
                    await pub.read()
                sent = [json.dumps({"n": n, "text": f"message {n}"}, separators=(",", ":")).encode()
                        for n in range(PUBLICATIONS)]
                for n, data in enumerate(sent):
                    cid = 10 + n
                    await pub.ws.send(publish_command(cid, CHANNEL, data))
                    while cid not in pub.replies:
                        await pub.read()
                    self.assertTrue(pub.replies[cid], f"publish {n} refused")
                await pub.ws.close()

                await asyncio.gather(*(s.collect(PUBLICATIONS) for s in subs))
                expected = [(n + 1, data) for n, data in enumerate(sent)]
                for i, s in enumerate(subs):
                    self.assertEqual(s.received, expected,
                                     f"subscriber {i} ({'protobuf' if s.protobuf else 'json'})")
            finally:
                await asyncio.gather(*(s.ws.close() for s in subs), return_exceptions=True)

        self.run_case(case, timeout=120)


if __name__ == "__main__":
    unittest.main(verbosity=2)
