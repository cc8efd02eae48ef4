"""Limits a hostile client meets in `herald serve`: private channels, capped
history and recovery, upgrade requests with a body, connections per
address, and where the logs go. Each case runs while a bystander is probed
(hostile_case.py) and under a server-memory bound.
"""
import asyncio
import os
import subprocess
import tempfile
import time
import unittest

from herald_client import api, claims, hs256
from hostile_case import HostileCase, RawWebSocket
from server_case import API_KEY, SECRET

MiB = 1 << 20
HISTORY = 1000  # publications kept in "log:" channels

CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"
max_connections_per_address = 40

[api]
key = "{API_KEY}"

[channel]
allow_subscribe_for_client = true

[[namespace]]
name = "open"
allow_subscribe_for_client = true
allow_private_subscribe_without_token = true

[[namespace]]
name = "log"
allow_subscribe_for_client = true
allow_history_for_client = true
history_size = {HISTORY}
history_ttl = "1h"
durable = false
"""


def sub_token(user: str, channel: str) -> str:
    return hs256(claims(user, channel=channel), SECRET)


class PrivateChannelTest(HostileCase):
    CONFIG = CONFIG

    def test_dollar_channel_needs_a_subscription_token(self):
        async def attack():
            c = await self.connected("mallory")
            for channel in ("$secret", "$log:secret"):
                r = await c.command({"subscribe": {"channel": channel}})
                self.assertErrorCode(r, 103)
            # Nothing published there reaches her.
            status, body = await asyncio.to_thread(api, self.server, "publish",
                                                   {"channel": "$secret", "data": {"s": 1}}, API_KEY)
            self.assertEqual(status, 200, body)
            with self.assertRaises(asyncio.TimeoutError):
                await c.push(lambda p: "pub" in p.get("push", {}), timeout=0.5)
            # With a token for it, the same client may subscribe.
            r = await c.command({"subscribe": {"channel": "$secret", "token": sub_token("mallory", "$secret")}})
            self.assertIn("subscribe", r, r)
            # A token for another channel does not open this one.
            r = await c.command({"subscribe": {"channel": "$log:secret", "token": sub_token("mallory", "$secret")}})
            self.assertErrorCode(r, 103)
        self.under_attack(attack, rss_growth_limit=16 * MiB)

    def test_namespace_may_relax_the_token_rule(self):
        async def attack():
            c = await self.connected("bob")
            r = await c.command({"subscribe": {"channel": "$open:room"}})
            self.assertIn("subscribe", r, r)
        self.under_attack(attack, rss_growth_limit=16 * MiB)


class HistoryCapTest(HostileCase):
    CONFIG = CONFIG

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for i in range(HISTORY):
            status, body = api(cls.server, "publish", {"channel": "log:big", "data": {"i": i}}, API_KEY)
            assert status == 200, body

    def test_history_without_limit_gets_300_and_paging_reads_all(self):
        async def attack():
            c = await self.connected("reader")
            for limit in (-1, 10**9, 301):
                r = await c.command({"history": {"channel": "log:big", "limit": limit}})
                self.assertIn("history", r, r)
                pubs = r["history"]["publications"]
                self.assertEqual(len(pubs), 300, f"limit {limit}")
                self.assertEqual(pubs[0]["data"]["i"], 0)
            # Paging with `since`, as the SDKs do, reads every publication once.
            epoch = r["history"]["epoch"]
            seen, offset = [], 0
            while True:
                r = await c.command({"history": {"channel": "log:big", "limit": -1,
                                                 "since": {"offset": offset, "epoch": epoch}}})
                pubs = r["history"].get("publications", [])
                if not pubs:
                    break
                seen += [p["data"]["i"] for p in pubs]
                offset = int(pubs[-1]["offset"])
            self.assertEqual(seen, list(range(HISTORY)))
        self.under_attack(attack, rss_growth_limit=24 * MiB)

    def test_twenty_greedy_readers_do_not_starve_others(self):
        async def attack():
            readers = [await self.connected(f"greedy{i}") for i in range(20)]

            async def greedy(c):
                for _ in range(5):
                    r = await c.command({"history": {"channel": "log:big", "limit": -1}}, timeout=10)
                    self.assertEqual(len(r["history"]["publications"]), 300)
            await asyncio.gather(*(greedy(c) for c in readers))
        self.under_attack(attack, rss_growth_limit=32 * MiB)

    def test_recovery_past_the_cap_is_not_recovered(self):
        async def attack():
            c = await self.connected("late")
            r = await c.command({"history": {"channel": "log:big", "limit": 0}})
            epoch, top = r["history"]["epoch"], int(r["history"].get("offset", 0))
            self.assertGreaterEqual(top, HISTORY)
            # 700 behind: more than the cap of 300.
            r = await c.command({"subscribe": {"channel": "log:big", "recoverable": True, "recover": True,
                                               "offset": top - 700, "epoch": epoch}})
            self.assertIn("subscribe", r, r)
            sub = r["subscribe"]
            self.assertFalse(sub.get("recovered", False), "a 700-publication gap cannot be recovered in 300")
            pubs = sub.get("publications", [])
            self.assertEqual(len(pubs), 300)
            self.assertEqual(int(pubs[-1]["offset"]), top, "the newest are given")
            # 200 behind: within the cap, recovered whole.
            d = await self.connected("later")
            r = await d.command({"subscribe": {"channel": "log:big", "recoverable": True, "recover": True,
                                               "offset": top - 200, "epoch": epoch}})
            self.assertTrue(r["subscribe"].get("recovered"), r)
            self.assertEqual(len(r["subscribe"]["publications"]), 200)
        self.under_attack(attack, rss_growth_limit=24 * MiB)


class UpgradeWithBodyTest(HostileCase):
    CONFIG = CONFIG

    def refused(self, headers: str, body: bytes) -> tuple[int, bytes]:
        ws = RawWebSocket(self.server.port, extra_headers=headers, body=body)
        status, response = ws.handshake()
        ws.close()
        return status, response

    def test_upgrade_with_content_length_is_400(self):
        before = self.refusals().get("http_400_bad_request", 0)

        async def attack():
            # The "body" is a complete, masked connect frame: smuggled past
            # anything that only looked at the HTTP request.
            frame = RawWebSocket.frame(0x1, b'{"id":1,"connect":{}}')
            status, response = await asyncio.to_thread(self.refused, f"Content-Length: {len(frame)}\r\n", frame)
            self.assertEqual(status, 400, response)
            self.assertIn(b"body", response)
        self.under_attack(attack, rss_growth_limit=16 * MiB)
        self.assertGreater(self.refusals().get("http_400_bad_request", 0), before)

    def test_upgrade_with_chunked_body_is_400(self):
        async def attack():
            status, response = await asyncio.to_thread(
                self.refused, "Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")
            self.assertEqual(status, 400, response)
        self.under_attack(attack, rss_growth_limit=16 * MiB)


class PerAddressLimitTest(HostileCase):
    CONFIG = CONFIG

    def test_connections_past_the_per_address_limit_get_503(self):
        before = self.refusals().get("http_503_per_address_limit", 0)

        def open_until_refused() -> tuple[list[RawWebSocket], int, bytes]:
            held = []
            for _ in range(45):
                ws = RawWebSocket(self.server.port)
                status, response = ws.handshake()
                if status != 101:
                    ws.close()
                    return held, status, response
                held.append(ws)
            return held, 101, b""

        async def attack():
            # 40 per address: the bystander holds one, and an HTTP request
            # that just ended may still hold another for a moment.
            held, status, response = await asyncio.to_thread(open_until_refused)
            try:
                self.assertEqual(status, 503, response)
                self.assertIn(b"too many connections from this address", response)
                self.assertGreaterEqual(len(held), 37)
                self.assertLessEqual(len(held), 39)
                # Closing one makes room again (once the server saw it go).
                held.pop().close()
                deadline = time.monotonic() + 5
                while True:
                    ws = RawWebSocket(self.server.port)
                    status, _ = await asyncio.to_thread(ws.handshake)
                    if status == 101:
                        held.append(ws)
                        break
                    ws.close()
                    self.assertLess(time.monotonic(), deadline, "no room after closing a connection")
                    await asyncio.sleep(0.05)
            finally:
                for ws in held:
                    ws.close()
        self.under_attack(attack, rss_growth_limit=16 * MiB)
        self.assertGreater(self.refusals().get("http_503_per_address_limit", 0), before)


class LogStreamTest(unittest.TestCase):
    def test_logs_go_to_stderr_and_stdout_has_only_the_listening_line(self):
        binary = os.environ["HERALD_BIN"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        tmp = tempfile.TemporaryDirectory(prefix="herald-test-")
        self.addCleanup(tmp.cleanup)
        proc = subprocess.Popen([binary, "serve", "--port", "0", "--data-dir", tmp.name, "--log-level", "info"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            line = proc.stdout.readline()
            self.assertTrue(line.startswith(b"listening on "), line)
            time.sleep(0.3)
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=15)
        self.assertEqual(out, b"", "nothing but the listening line on stdout")
        self.assertIn(b"herald serve on", err)
        self.assertIn(b"stopped", err)


if __name__ == "__main__":
    unittest.main()
