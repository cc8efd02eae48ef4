"""The server's edges against the real binary: RS256-only token checking
(key confusion), the WebSocket Origin policy, /health, /metrics refusal
counters, and graceful shutdown (close 3001 to every client on SIGTERM).
"""
import asyncio
import json
import os
import signal
import tempfile
import unittest

import websockets

from herald_client import Client, api, claims, hs256, http, make_rsa_keys, rs256
from herald_serve import HeraldServer
from server_case import API_KEY, SECRET, ServerCase

BASE = f"""
[client]
token_hmac_secret = "{SECRET}"

[api]
key = "{API_KEY}"

[channel]
allow_subscribe_for_client = true

[[namespace]]
name = "secret"
"""


class Rs256OnlyTest(ServerCase):
    """Only an RS256 public key is configured: an HS256 token "signed" with
    that public key as the HMAC secret (the classic key confusion) is refused."""

    @classmethod
    def setUpClass(cls):
        cls.keys = tempfile.TemporaryDirectory(prefix="herald-rsa-")
        cls.private, cls.public = make_rsa_keys(cls.keys.name)
        cls.CONFIG = f"""
[client]
token_rsa_public_key_file = "{cls.public}"

[api]
key = "{API_KEY}"

[channel]
allow_subscribe_for_client = true
"""
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.keys.cleanup()

    def bystander_token(self) -> str:
        return rs256(claims("bystander"), self.private)

    def test_hs256_token_signed_with_rsa_public_key_closes_with_3500(self):
        async def case(b):
            with open(self.public, "rb") as f:
                pem = f.read()
            for secret in (pem, pem.strip()):
                c = await self.open()
                await c.send_raw(json.dumps({"id": 1, "connect": {"token": hs256(claims("mallory"), secret)}}))
                self.assertEqual(await c.closed(), 3500)
        self.run_case(case)

    def test_hs256_token_with_any_secret_closes_with_3500(self):
        async def case(b):
            c = await self.open()
            await c.send_raw(json.dumps({"id": 1, "connect": {"token": hs256(claims("mallory"), SECRET)}}))
            self.assertEqual(await c.closed(), 3500)
        self.run_case(case)

    def test_rs256_token_connects(self):
        async def case(b):
            c = await self.open()
            r = await c.connect(rs256(claims("alice"), self.private))
            self.assertIn("connect", r, r)
        self.run_case(case)


class OriginTest(ServerCase):
    CONFIG = BASE

    def test_browser_handshake_from_another_host_is_403(self):
        async def case(b):
            with self.assertRaises(websockets.InvalidStatusCode) as e:
                await Client.open(self.server.ws_url, origin="http://evil.example")
            self.assertEqual(e.exception.status_code, 403)
        self.run_case(case)

    def test_browser_handshake_from_same_host_is_accepted(self):
        async def case(b):
            c = await self.open(origin=f"http://127.0.0.1:{self.server.port}")
            r = await c.connect(hs256(claims("alice"), SECRET))
            self.assertIn("connect", r, r)
        self.run_case(case)

    def test_handshake_without_origin_is_accepted(self):
        async def case(b):
            c = await self.open()
            self.assertIn("connect", await c.connect(hs256(claims("alice"), SECRET)))
        self.run_case(case)


class AllowedOriginsTest(ServerCase):
    CONFIG = BASE.replace("[client]", '[server]\nallowed_origins = ["https://app.example", "https://other.example"]\n\n[client]')

    def test_listed_origins_are_accepted(self):
        async def case(b):
            for origin in ("https://app.example", "https://other.example"):
                c = await self.open(origin=origin)
                self.assertIn("connect", await c.connect(hs256(claims("alice"), SECRET)))
        self.run_case(case)

    def test_unlisted_origin_is_403(self):
        async def case(b):
            for origin in ("https://evil.example", "https://app.example.evil", "http://app.example"):
                with self.assertRaises(websockets.InvalidStatusCode) as e:
                    await Client.open(self.server.ws_url, origin=origin)
                self.assertEqual(e.exception.status_code, 403, origin)
        self.run_case(case)

    def test_same_host_is_403_when_a_list_is_given(self):
        async def case(b):
            with self.assertRaises(websockets.InvalidStatusCode) as e:
                await Client.open(self.server.ws_url, origin=f"http://127.0.0.1:{self.server.port}")
            self.assertEqual(e.exception.status_code, 403)
        self.run_case(case)


class HealthAndMetricsTest(ServerCase):
    CONFIG = BASE

    def test_health_is_200(self):
        async def case(b):
            status, _, _ = await asyncio.to_thread(http, "GET", f"{self.server.http_url}/health")
            self.assertEqual(status, 200)
        self.run_case(case)

    def test_metrics_count_refusals_by_reason(self):
        async def case(b):
            c = await self.connected()
            self.assertEqual((await c.command({"subscribe": {"channel": "secret:x"}}))["error"]["code"], 103)
            self.assertEqual((await c.command({"subscribe": {"channel": "nowhere:x"}}))["error"]["code"], 102)
            self.assertEqual((await c.command({"subscribe": {"channel": "a\u0001"}}))["error"]["code"], 107)
            bad = await self.open()
            await bad.send_raw(json.dumps({"id": 1, "connect": {"token": hs256(claims("m"), "wrong")}}))
            self.assertEqual(await bad.closed(), 3500)
            status, _ = await asyncio.to_thread(api, self.server, "info", {}, "wrong-key")
            self.assertEqual(status, 401)

            status, body, _ = await asyncio.to_thread(http, "GET", f"{self.server.http_url}/metrics")
            self.assertEqual(status, 200)
            text = body.decode()
            self.assertIn("# TYPE herald_refusals_total counter", text)
            counts = {}
            for line in text.splitlines():
                if line.startswith("herald_refusals_total{"):
                    reason = line.split('reason="', 1)[1].split('"', 1)[0]
                    counts[reason] = int(line.rsplit(" ", 1)[1])
            for reason in ("permission_denied", "unknown_channel", "bad_channel_name", "invalid_token",
                           "api_unauthorized"):
                self.assertGreaterEqual(counts.get(reason, 0), 1, f"{reason} missing from:\n{text}")
        self.run_case(case)


class GracefulShutdownTest(unittest.TestCase):
    def test_sigterm_closes_every_client_with_3001(self):
        server = HeraldServer(BASE).start()
        try:
            async def main():
                clients = []
                for user in ("a", "b", "c"):
                    c = await Client.open(server.ws_url)
                    self.assertIn("connect", await c.connect(hs256(claims(user), SECRET)))
                    self.assertIn("subscribe", await c.command({"subscribe": {"channel": "news"}}))
                    clients.append(c)
                server.proc.send_signal(signal.SIGTERM)
                codes = await asyncio.gather(*(c.closed(timeout=10) for c in clients))
                self.assertEqual(codes, [3001, 3001, 3001])
                exit_code = await asyncio.to_thread(server.proc.wait, 10)
                self.assertEqual(exit_code, 0, server.log())
            asyncio.run(main())
        finally:
            server.stop()
            server._tmp.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
