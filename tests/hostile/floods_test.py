"""Floods against `herald serve`: control frames, empty fragments, pings
while never reading, a subscriber that never reads. Each runs while a
bystander is probed (hostile_case.py) and under a server-memory bound.
"""
import asyncio
import json
import threading
import time
import unittest

from herald_client import api, claims, hs256
from hostile_case import HostileCase, RawWebSocket
from server_case import API_KEY, SECRET

CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"
allow_anonymous = true
write_queue_bytes = "1MiB"
control_frames_per_second = 100

[api]
key = "{API_KEY}"

[channel]
allow_subscribe_for_client = true
allow_subscribe_for_anonymous = true
"""

MiB = 1 << 20


def connect_frame(token: str | None = None) -> bytes:
    body = {"id": 1, "connect": {"token": token} if token else {}}
    return RawWebSocket.frame(0x1, json.dumps(body).encode())


class FloodTest(HostileCase):
    CONFIG = CONFIG

    def flood(self, frame: bytes, before: list[bytes], read_while_flooding: bool, rcvbuf: int | None = None,
              seconds: float = 10.0) -> tuple[int, int]:
        """Sends `before`, then `frame` as fast as the socket takes it for at
        most `seconds`, reading (and discarding) what the server sends when
        `read_while_flooding`. Returns (close code, frames sent)."""
        ws = RawWebSocket(self.server.port, rcvbuf=rcvbuf)
        status, head = ws.handshake()
        self.assertEqual(status, 101, head)
        for b in before:
            ws.send(b)
        burst = frame * 64
        stop = threading.Event()
        code = [0]

        def reader():
            code[0] = ws.close_code(timeout=seconds + 5)
            stop.set()

        t = threading.Thread(target=reader) if read_while_flooding else None
        if t:
            t.start()
        sent = 0
        deadline = time.monotonic() + seconds
        while not stop.is_set() and time.monotonic() < deadline:
            if not ws.send(burst):
                break
            sent += 64
        if t:
            t.join()
        else:
            code[0] = ws.close_code(timeout=5)
        ws.close()
        return code[0], sent

    def expect_flood_closed(self, frame: bytes, before: list[bytes], code: int, what: str, **flood_options):
        """Floods with `frame` while the bystander is probed; the server
        must close the connection with `code`."""
        async def attack():
            got, sent = await asyncio.to_thread(self.flood, frame, before, **flood_options)
            self.assertEqual(got, code, f"after {sent} {what}")
        self.under_attack(attack, rss_growth_limit=16 * MiB)

    def test_pong_flood_after_connect_is_closed_with_1008(self):
        before = self.refusals().get("close_1008_frame_flood", 0)
        self.expect_flood_closed(RawWebSocket.frame(0xA), [connect_frame()], 1008, "pongs", read_while_flooding=True)
        self.assertGreater(self.refusals().get("close_1008_frame_flood", 0), before)

    def test_ping_flood_before_connect_is_closed_with_1008(self):
        self.expect_flood_closed(RawWebSocket.frame(0x9, b"p" * 125), [], 1008, "pings", read_while_flooding=True)

    def test_ping_flood_while_never_reading_is_closed_and_memory_bounded(self):
        # 125-byte pings, and the client never reads its pongs (a small
        # receive buffer, so the kernel cannot absorb them either). It reads
        # only at the end: the close frame is behind the pongs of the first
        # second at most.
        self.expect_flood_closed(RawWebSocket.frame(0x9, b"p" * 125), [connect_frame()], 1008, "pings",
                                 read_while_flooding=False, rcvbuf=4096, seconds=3)

    def test_empty_fragment_flood_is_closed_with_1008(self):
        first = RawWebSocket.frame(0x1, b"", fin=False)
        self.expect_flood_closed(RawWebSocket.frame(0x0, b"", fin=False), [connect_frame(), first], 1008,
                                 "empty fragments", read_while_flooding=True)

    def test_fragments_past_the_message_limit_are_closed_with_1009(self):
        # 1-byte fragments of one endless message: the reader buffers at most
        # max_message_bytes (64 KiB) of it.
        first = RawWebSocket.frame(0x1, b"[", fin=False)
        self.expect_flood_closed(RawWebSocket.frame(0x0, b" ", fin=False), [connect_frame(), first], 1009,
                                 "fragments", read_while_flooding=True)

    def test_paced_pings_within_the_rate_are_answered(self):
        # The limit is a rate, not a count: a client pinging 20 times a
        # second for 3 seconds gets every pong and stays connected.
        ws = RawWebSocket(self.server.port)
        status, _ = ws.handshake()
        self.assertEqual(status, 101)
        ws.send(connect_frame())
        pongs = 0
        for i in range(60):
            ws.send(RawWebSocket.frame(0x9, str(i).encode()))
            time.sleep(0.05)
        deadline = time.monotonic() + 5
        while pongs < 60 and time.monotonic() < deadline:
            f = ws.read_frame(timeout=max(0.01, deadline - time.monotonic()))
            self.assertIsNotNone(f, f"connection ended after {pongs} pongs")
            if f[0] == 0xA:
                pongs += 1
            self.assertNotEqual(f[0], 0x8, f"closed: {f[1]!r}")
        self.assertEqual(pongs, 60)
        ws.close()

    def test_subscriber_that_never_reads_is_dropped_within_its_queue_bound(self):
        # 20 MiB published to a subscriber with a 4 KiB receive buffer that
        # never reads: the server holds at most write_queue_bytes (1 MiB) of
        # it, then closes the subscriber with 3008 "slow".
        async def attack():
            ws = RawWebSocket(self.server.port, rcvbuf=4096)
            status, _ = await asyncio.to_thread(ws.handshake)
            self.assertEqual(status, 101)
            ws.send(connect_frame(hs256(claims("sink"), SECRET)))
            ws.send(RawWebSocket.frame(0x1, json.dumps({"id": 2, "subscribe": {"channel": "sink"}}).encode()))
            await asyncio.sleep(0.3)
            chunk = "x" * 60000
            for i in range(350):
                status, body = await asyncio.to_thread(api, self.server, "publish",
                                                       {"channel": "sink", "data": {"i": i, "x": chunk}}, API_KEY)
                self.assertEqual(status, 200, body)
            code = await asyncio.to_thread(ws.close_code, 10)
            # The close frame may not fit behind the unread bytes: then the
            # server just drops the TCP connection (0 here).
            self.assertIn(code, (3008, 0))
            ws.close()
        self.under_attack(attack, rss_growth_limit=24 * MiB, timeout=120)


if __name__ == "__main__":
    unittest.main()
