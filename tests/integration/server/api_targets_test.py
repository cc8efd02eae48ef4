"""The server API's actions on connections reach the right ones: a user's
every connection, or one client id; anonymous connections by client id."""
import asyncio
import unittest

from herald_client import api, claims, hs256
from server_case import API_KEY, SECRET, ServerCase


class ApiTargetsTest(ServerCase):
    CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"
allow_anonymous = true
[api]
key = "{API_KEY}"
[channel]
allow_subscribe_for_client = true
allow_subscribe_for_anonymous = true
"""

    def test_disconnect_reaches_an_anonymous_connection_by_client_id_only(self):
        async def case(_):
            a, b = await self.open(), await self.open()
            client_a = (await a.connect())["connect"]["client"]
            await b.connect()
            status, body = await asyncio.to_thread(
                api, self.server, "disconnect", {"user": "", "client": client_a, "disconnect": {"code": 4501, "reason": "bye"}},
                API_KEY)
            self.assertEqual((status, body), (200, {"result": {}}))
            self.assertEqual(await a.closed(), 4501)
            self.assertNotIn("error", await b.command({"ping": {}}))
        self.run_case(case)

    def test_disconnect_of_a_user_closes_all_its_connections_and_no_other(self):
        async def case(_):
            x1, x2, y = await self.open(), await self.open(), await self.open()
            for c, user in [(x1, "x"), (x2, "x"), (y, "y")]:
                self.assertIn("connect", await c.connect(hs256(claims(user), SECRET)))
            status, _ = await asyncio.to_thread(api, self.server, "disconnect", {"user": "x"}, API_KEY)
            self.assertEqual(status, 200)
            self.assertEqual(await x1.closed(), 3503)
            self.assertEqual(await x2.closed(), 3503)
            self.assertNotIn("error", await y.command({"ping": {}}))
        self.run_case(case)

    def test_unsubscribe_of_an_anonymous_client_sends_the_push(self):
        async def case(_):
            a = await self.open()
            client_a = (await a.connect())["connect"]["client"]
            self.assertIn("subscribe", await a.command({"subscribe": {"channel": "room"}}))
            status, _ = await asyncio.to_thread(
                api, self.server, "unsubscribe", {"user": "", "client": client_a, "channel": "room"}, API_KEY)
            self.assertEqual(status, 200)
            push = await a.push(lambda p: "unsubscribe" in p.get("push", {}))
            self.assertEqual(push["push"]["channel"], "room")
            self.assertEqual(push["push"]["unsubscribe"]["code"], 2000)
        self.run_case(case)


if __name__ == "__main__":
    unittest.main()
