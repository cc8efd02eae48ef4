"""Slow subscribers, by namespace policy (client.write_queue_bytes):

- slow_consumer = "skip": deliveries to a subscriber whose queue is full stop;
  once it has read its backlog it gets unsubscribe 2500 "insufficient state",
  subscribes again with recovery and ends up with every publication exactly
  once, in order, without losing its connection;
- slow_consumer = "disconnect" (the default): it is closed with 3008 "slow".

A reader that does not read is a client with max_queue=1: Python websockets
stops reading its socket, the kernel buffers fill, then the server's queue.
Its receive buffer is fixed at 64 KiB, so the kernel cannot autotune it up to
tcp_rmem's maximum (32 MiB on some machines) and swallow the whole burst.
"""
import asyncio
import json
import socket
import time
import unittest

from herald_client import Client, api, claims, hs256
from server_case import API_KEY, SECRET, ServerCase

PAD = "x" * 60_000
BURST = 300  # ~18 MB: far more than the socket buffers hold (see above)


async def slow_client(url: str) -> Client:
    c = await Client.open(url, max_queue=1)
    c.ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    return c


class SlowConsumerTest(ServerCase):
    CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"
write_queue_bytes = "64KiB"
[api]
key = "{API_KEY}"
max_body_bytes = "1MiB"
[channel]
allow_subscribe_for_client = true
[[namespace]]
name = "skip"
history_size = 10000
history_ttl = "1h"
slow_consumer = "skip"
allow_subscribe_for_client = true
[[namespace]]
name = "cut"
allow_subscribe_for_client = true
"""

    def publish_burst(self, channel: str) -> list[int]:
        offsets = []
        for i in range(BURST):
            status, body = api(self.server, "publish", {"channel": channel, "data": {"i": i, "pad": PAD}}, API_KEY)
            self.assertEqual(status, 200, body)
            offsets.append(body["result"].get("offset", 0))
        return offsets

    def test_skip_policy_resubscribes_and_recovers_every_publication_once(self):
        async def case(_):
            slow = await slow_client(self.server.ws_url)
            self._opened.append(slow)
            self.assertIn("connect", await slow.connect(hs256(claims("slow"), SECRET)))
            r = await slow.command({"subscribe": {"channel": "skip:feed", "recoverable": True}})
            epoch = r["subscribe"]["epoch"]
            await asyncio.to_thread(self.publish_burst, "skip:feed")
            # Now read everything: live publications until the unsubscribe push.
            seen, unsubscribed = [], None
            deadline = time.monotonic() + 60
            while unsubscribed is None and time.monotonic() < deadline:
                await slow._read_once(10)
                while slow.pushes:
                    p = slow.pushes.pop(0)["push"]
                    if "pub" in p:
                        seen.append(p["pub"]["offset"])
                    elif "unsubscribe" in p:
                        unsubscribed = p["unsubscribe"]
            self.assertIsNotNone(unsubscribed, "no unsubscribe push")
            self.assertEqual(unsubscribed.get("code"), 2500, unsubscribed)
            self.assertLess(len(seen), BURST, "nothing was skipped: the test did not make the client slow")
            r = await slow.command({"subscribe": {"channel": "skip:feed", "recoverable": True, "recover": True,
                                                   "offset": seen[-1] if seen else 0, "epoch": epoch}}, timeout=30)
            self.assertTrue(r["subscribe"].get("recovered"), r["subscribe"].get("recovered"))
            seen += [p["offset"] for p in r["subscribe"].get("publications", [])]
            self.assertEqual(seen, list(range(seen[0], seen[0] + BURST)), "lost, doubled or out of order")
        self.run_case(case, timeout=120)

    def test_disconnect_policy_closes_a_slow_subscriber_with_3008(self):
        async def case(_):
            slow = await slow_client(self.server.ws_url)
            self._opened.append(slow)
            self.assertIn("connect", await slow.connect(hs256(claims("slow2"), SECRET)))
            self.assertIn("subscribe", await slow.command({"subscribe": {"channel": "cut:feed"}}))
            await asyncio.to_thread(self.publish_burst, "cut:feed")
            self.assertEqual(await slow.closed(timeout=60), 3008)
        self.run_case(case, timeout=120)


if __name__ == "__main__":
    unittest.main()
