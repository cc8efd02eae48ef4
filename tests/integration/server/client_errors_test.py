"""Bad input on the client protocol (/connection/websocket) against the real
server: each case checks the exact code of docs/protocol.md and
include/herald/proto/codes.hpp, and that a bystander client keeps being
served. Run by ctest with HERALD_BIN set (see CMakeLists.txt).
"""
import asyncio
import json
import time
import unittest

from herald_client import Client, alg_none, claims, hs256
from server_case import API_KEY, SECRET, ServerCase

CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"
commands_per_second = 20
command_burst = 20
max_message_bytes = "4KiB"
max_subscriptions_per_connection = 3

[api]
key = "{API_KEY}"
max_body_bytes = 1024

[channel]
allow_subscribe_for_client = true

[[namespace]]
name = "secret"

[[namespace]]
name = "open"
allow_subscribe_for_client = true
allow_publish_for_client = true
"""


class ClientFrameErrorsTest(ServerCase):
    CONFIG = CONFIG

    def test_malformed_json_closes_with_3501(self):
        async def case(b):
            c = await self.connected()
            await c.send_raw('{"id":1,"ping":{}')
            self.assertEqual(await c.closed(), 3501)
        self.run_case(case)

    def test_malformed_json_before_connect_closes_with_3501(self):
        async def case(b):
            c = await self.open()
            await c.send_raw("not json at all")
            self.assertEqual(await c.closed(), 3501)
        self.run_case(case)

    def test_unknown_command_closes_with_3501(self):
        async def case(b):
            c = await self.connected()
            await c.send_raw('{"id":2,"frobnicate":{}}')
            self.assertEqual(await c.closed(), 3501)
        self.run_case(case)

    def test_command_before_connect_closes_with_3501(self):
        async def case(b):
            c = await self.open()
            await c.send_raw(json.dumps({"id": 1, "subscribe": {"channel": "news"}}))
            self.assertEqual(await c.closed(), 3501)
        self.run_case(case)

    def test_message_over_max_message_bytes_closes_with_1009(self):
        async def case(b):
            c = await self.connected()
            big = json.dumps({"id": 2, "publish": {"channel": "open:x", "data": {"pad": "x" * 5000}}})
            await c.send_raw(big)
            self.assertEqual(await c.closed(), 1009)
        self.run_case(case)

    def test_commands_over_burst_get_111_then_close_3013(self):
        async def case(b):
            c = await self.connected()
            # 60 commands in one message: the burst is 20, the cut-off 20 past it.
            frame = "\n".join(json.dumps({"id": i, "ping": {}}) for i in range(100, 160))
            await c.send_raw(frame)
            code = await c.closed()
            errors = [r["error"]["code"] for r in c.replies.values() if "error" in r]
            self.assertIn(111, errors, c.replies)
            self.assertEqual(set(errors), {111}, c.replies)
            self.assertEqual(code, 3013)
        self.run_case(case)

    def test_no_connect_within_ten_seconds_closes_with_3502(self):
        async def case(b):
            c = await self.open()
            start = time.monotonic()
            code = await c.closed(timeout=15)
            self.assertEqual(code, 3502)
            self.assertGreaterEqual(time.monotonic() - start, 9.0)
        self.run_case(case, timeout=20)


class ClientCommandErrorsTest(ServerCase):
    CONFIG = CONFIG

    def test_publish_without_permission_is_error_103(self):
        async def case(b):
            c = await self.connected()
            r = await c.command({"publish": {"channel": "news", "data": {"x": 1}}})
            self.assertErrorCode(r, 103)
            r = await c.command({"publish": {"channel": "open:x", "data": {"x": 1}}})  # control: allowed
            self.assertNotIn("error", r, r)
        self.run_case(case)

    def test_subscribe_to_forbidden_channel_is_error_103(self):
        async def case(b):
            c = await self.connected()
            self.assertErrorCode(await c.command({"subscribe": {"channel": "secret:room"}}), 103)
            # The connection stays usable.
            self.assertIn("subscribe", await c.command({"subscribe": {"channel": "open:room"}}))
        self.run_case(case)

    def test_subscribe_to_unknown_namespace_is_error_102(self):
        async def case(b):
            c = await self.connected()
            self.assertErrorCode(await c.command({"subscribe": {"channel": "nowhere:room"}}), 102)
        self.run_case(case)

    def test_subscribe_to_channel_with_control_character_is_error_107(self):
        async def case(b):
            c = await self.connected()
            self.assertErrorCode(await c.command({"subscribe": {"channel": "bad\u0001name"}}), 107)
            self.assertIn("subscribe", await c.command({"subscribe": {"channel": "good-name"}}))
        self.run_case(case)

    def test_subscribe_twice_is_error_105(self):
        async def case(b):
            c = await self.connected()
            self.assertIn("subscribe", await c.command({"subscribe": {"channel": "news"}}))
            self.assertErrorCode(await c.command({"subscribe": {"channel": "news"}}), 105)
        self.run_case(case)

    def test_subscribe_with_an_unknown_delta_type_closes_with_3501(self):
        async def case(b):
            c = await self.connected()
            await c.send_raw('{"id":9,"subscribe":{"channel":"news","delta":"bsdiff"}}')
            self.assertEqual(await c.closed(), 3501)
        self.run_case(case)

    def test_subscribe_flags_of_a_later_version_are_ignored(self):
        async def case(b):
            c = await self.connected()
            reply = await c.command({"subscribe": {"channel": "news", "flag": 1 | 4 | 1024}})
            self.assertIn("subscribe", reply)
        self.run_case(case)

    def test_subscription_over_limit_is_error_106(self):
        async def case(b):
            c = await self.connected()
            for ch in ("a", "b", "c"):
                self.assertIn("subscribe", await c.command({"subscribe": {"channel": ch}}))
            self.assertErrorCode(await c.command({"subscribe": {"channel": "d"}}), 106)
        self.run_case(case)


class ClientTokenErrorsTest(ServerCase):
    CONFIG = CONFIG

    def test_token_signed_with_wrong_secret_closes_with_3500(self):
        async def case(b):
            c = await self.open()
            await c.send_raw(json.dumps({"id": 1, "connect": {"token": hs256(claims("mallory"), "not-the-secret")}}))
            self.assertEqual(await c.closed(), 3500)
        self.run_case(case)

    def test_expired_token_is_error_109_on_connect(self):
        async def case(b):
            c = await self.open()
            r = await c.connect(hs256(claims("alice", ttl=-120), SECRET))
            self.assertErrorCode(r, 109)
        self.run_case(case)

    def test_alg_none_token_closes_with_3500(self):
        async def case(b):
            c = await self.open()
            await c.send_raw(json.dumps({"id": 1, "connect": {"token": alg_none(claims("mallory"))}}))
            self.assertEqual(await c.closed(), 3500)
        self.run_case(case)

    def test_subscription_token_for_another_channel_is_error_103(self):
        async def case(b):
            c = await self.connected("alice")
            other = hs256(claims("alice", channel="secret:b"), SECRET)
            self.assertErrorCode(await c.command({"subscribe": {"channel": "secret:a", "token": other}}), 103)
            right = hs256(claims("alice", channel="secret:a"), SECRET)  # control: the right one works
            self.assertIn("subscribe", await c.command({"subscribe": {"channel": "secret:a", "token": right}}))
        self.run_case(case)

    def test_subscription_token_of_another_user_is_error_103(self):
        async def case(b):
            c = await self.connected("alice")
            bobs = hs256(claims("bob", channel="secret:a"), SECRET)
            self.assertErrorCode(await c.command({"subscribe": {"channel": "secret:a", "token": bobs}}), 103)
        self.run_case(case)


if __name__ == "__main__":
    unittest.main(verbosity=2)
