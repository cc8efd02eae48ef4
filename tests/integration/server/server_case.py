"""A unittest base for tests against one running `herald serve`, with a
well-behaved bystander client: connected and subscribed before a case
misbehaves, and checked after it (it still gets publications and answers),
so each case also proves that the server kept serving everyone else.
"""
import asyncio
import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from herald_client import Client, api, claims, hs256  # noqa: E402
from herald_serve import HeraldServer  # noqa: E402

SECRET = "integration-secret"
API_KEY = "integration-api-key"


class ServerCase(unittest.TestCase):
    CONFIG = ""
    server: HeraldServer

    @classmethod
    def setUpClass(cls):
        cls.server = HeraldServer(cls.CONFIG).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server._tmp.cleanup()

    # -- the bystander ---------------------------------------------------------
    def bystander_token(self) -> str:
        return hs256(claims("bystander"), SECRET)

    async def open_bystander(self) -> Client:
        b = await Client.open(self.server.ws_url)
        r = await b.connect(self.bystander_token())
        self.assertIn("connect", r, r)
        r = await b.command({"subscribe": {"channel": "news"}})
        self.assertIn("subscribe", r, r)
        return b

    async def check_bystander(self, b: Client):
        n = uuid.uuid4().hex
        status, body = await asyncio.to_thread(api, self.server, "publish", {"channel": "news", "data": {"n": n}}, API_KEY)
        self.assertEqual(status, 200, body)
        self.assertIn("result", body, body)
        push = await b.push(lambda p: p.get("push", {}).get("pub", {}).get("data", {}).get("n") == n)
        self.assertEqual(push["push"]["channel"], "news")
        r = await b.command({"ping": {}})
        self.assertNotIn("error", r, r)

    def run_case(self, case, timeout: float = 30.0):
        """Runs `case(bystander)` between opening and checking the bystander."""
        async def main():
            self._opened = []
            b = await self.open_bystander()
            try:
                await asyncio.wait_for(case(b), timeout)
                await self.check_bystander(b)
            finally:
                for c in [b, *self._opened]:
                    await c.close()
        asyncio.run(main())

    # -- helpers ---------------------------------------------------------------
    async def open(self, **kwargs) -> Client:
        """A client closed at the end of the case (an abandoned socket would
        hold up the server's graceful shutdown)."""
        c = await Client.open(self.server.ws_url, **kwargs)
        self._opened.append(c)
        return c

    async def connected(self, user: str = "alice") -> Client:
        c = await self.open()
        r = await c.connect(hs256(claims(user), SECRET))
        self.assertIn("connect", r, r)
        return c

    def assertErrorCode(self, reply: dict, code: int):
        self.assertIn("error", reply, f"expected error {code}, got {json.dumps(reply)}")
        self.assertEqual(reply["error"]["code"], code, json.dumps(reply))
