"""Bad requests to the server HTTP API (POST /api/<method>) against the real
server: status codes, JSON error bodies, and a bystander WebSocket client
that keeps being served throughout.
"""
import asyncio
import json
import unittest

from herald_client import api, http
from server_case import API_KEY, SECRET, ServerCase

CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"

[api]
key = "{API_KEY}"
max_body_bytes = 1024

[channel]
allow_subscribe_for_client = true
"""


class HttpApiErrorsTest(ServerCase):
    CONFIG = CONFIG

    def post(self, method: str, body: bytes, key: str | None = API_KEY, headers: dict | None = None):
        h = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            h["X-API-Key"] = key
        return http("POST", f"{self.server.http_url}/api/{method}", body, h)

    def assertJsonError(self, body: bytes, code: int | None = None) -> dict:
        try:
            doc = json.loads(body)
        except ValueError:
            self.fail(f"not a JSON body: {body!r}")
        self.assertIn("error", doc, doc)
        self.assertIn("message", doc["error"], doc)
        if code is not None:
            self.assertEqual(doc["error"]["code"], code, doc)
        return doc

    def test_wrong_api_key_is_401_with_json_error(self):
        async def case(b):
            status, body, _ = await asyncio.to_thread(self.post, "publish", b'{"channel":"news","data":{}}', "wrong-key")
            self.assertEqual(status, 401)
            self.assertJsonError(body, 101)
        self.run_case(case)

    def test_missing_api_key_is_401_with_json_error(self):
        async def case(b):
            status, body, _ = await asyncio.to_thread(self.post, "publish", b'{"channel":"news","data":{}}', None)
            self.assertEqual(status, 401)
            self.assertJsonError(body, 101)
        self.run_case(case)

    def test_get_is_405(self):
        async def case(b):
            status, body, _ = await asyncio.to_thread(http, "GET", f"{self.server.http_url}/api/info", None,
                                                      {"X-API-Key": API_KEY})
            self.assertEqual(status, 405)
            self.assertJsonError(body)
        self.run_case(case)

    def test_unknown_method_is_404(self):
        async def case(b):
            status, body, _ = await asyncio.to_thread(self.post, "frobnicate", b"{}")
            self.assertEqual(status, 404)
            self.assertJsonError(body, 104)
        self.run_case(case)

    def test_malformed_json_body_is_400(self):
        async def case(b):
            status, body, _ = await asyncio.to_thread(self.post, "publish", b'{"channel":"news","data":')
            self.assertEqual(status, 400)
            self.assertJsonError(body, 107)
        self.run_case(case)

    def test_body_that_is_not_an_object_is_400(self):
        async def case(b):
            status, body, _ = await asyncio.to_thread(self.post, "publish", b'["news"]')
            self.assertEqual(status, 400)
            self.assertJsonError(body, 107)
        self.run_case(case)

    def test_body_over_max_body_bytes_is_413(self):
        async def case(b):
            big = json.dumps({"channel": "news", "data": {"pad": "x" * 4096}}).encode()
            status, _, _ = await asyncio.to_thread(self.post, "publish", big)
            self.assertEqual(status, 413)
        self.run_case(case)

    def test_unknown_namespace_is_error_102_in_200_body(self):
        async def case(b):
            status, doc = await asyncio.to_thread(api, self.server, "publish",
                                                  {"channel": "nowhere:x", "data": {}}, API_KEY)
            self.assertEqual(status, 200)
            self.assertEqual(doc.get("error", {}).get("code"), 102, doc)
        self.run_case(case)

    def test_channel_with_control_character_is_error_107_in_200_body(self):
        async def case(b):
            status, doc = await asyncio.to_thread(api, self.server, "publish",
                                                  {"channel": "bad\u0001name", "data": {}}, API_KEY)
            self.assertEqual(status, 200)
            self.assertEqual(doc.get("error", {}).get("code"), 107, doc)
        self.run_case(case)

    def test_publish_without_data_is_error_107_in_200_body(self):
        async def case(b):
            status, doc = await asyncio.to_thread(api, self.server, "publish", {"channel": "news"}, API_KEY)
            self.assertEqual(status, 200)
            self.assertEqual(doc.get("error", {}).get("code"), 107, doc)
        self.run_case(case)


class HttpApiWithoutKeyTest(ServerCase):
    # No [api] key: the API refuses everything and says how to turn it on.
    CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"

[channel]
allow_subscribe_for_client = true
allow_publish_for_client = true
"""

    async def check_bystander(self, b):
        # No API to publish with: a second client publishes instead.
        c = await self.connected("publisher")
        r = await c.command({"publish": {"channel": "news", "data": {"from": "client"}}})
        self.assertNotIn("error", r, r)
        push = await b.push(lambda p: p.get("push", {}).get("pub", {}).get("data", {}).get("from") == "client")
        self.assertEqual(push["push"]["channel"], "news")
        self.assertNotIn("error", await b.command({"ping": {}}))

    def test_any_request_is_401_saying_how_to_enable_the_api(self):
        async def case(b):
            for key in (None, "", "guess"):
                status, body, _ = await asyncio.to_thread(
                    http, "POST", f"{self.server.http_url}/api/info", b"{}",
                    {} if key is None else {"X-API-Key": key})
                self.assertEqual(status, 401, key)
                doc = json.loads(body)
                self.assertEqual(doc["error"]["code"], 101, doc)
                self.assertIn("[api] key", doc["error"]["message"], doc)
        self.run_case(case)


if __name__ == "__main__":
    unittest.main(verbosity=2)
