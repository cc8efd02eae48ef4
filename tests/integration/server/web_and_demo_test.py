"""What herald serve does for the web apps: the files of server.web_root
(clean URLs, content types, caching, ETag, HEAD, 404 page, no way out of the
root) and the [demo] section (nickname tokens, the price and stats feeds).
"""
import asyncio
import os
import socket
import tempfile
import time
import unittest

from herald_client import Client, api, http
from server_case import API_KEY, SECRET, ServerCase

WEB = tempfile.TemporaryDirectory(prefix="herald-web-")
FILES = {
    "index.html": b"<!doctype html><title>chat</title>",
    "dashboard.html": b"<!doctype html><title>dashboard</title>",
    "404.html": b"<!doctype html><title>not here</title>",
    "assets/app-1234.js": b"console.log('hi')",
    "assets/style.css": b"body{}",
}
for name, data in FILES.items():
    os.makedirs(os.path.dirname(os.path.join(WEB.name, name)), exist_ok=True)
    with open(os.path.join(WEB.name, name), "wb") as f:
        f.write(data)
with open(os.path.join(os.path.dirname(WEB.name), "secret.txt"), "w") as f:
    f.write("outside the root")


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """A request sent byte for byte, as no HTTP library would normalize it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


class WebAndDemoTest(ServerCase):
    CONFIG = f"""
[server]
web_root = "{WEB.name}"
[client]
token_hmac_secret = "{SECRET}"
[api]
key = "{API_KEY}"
[demo]
tokens = true
feed = true
[channel]
allow_subscribe_for_client = true
[[namespace]]
name = "chat"
presence = true
allow_subscribe_for_client = true
allow_presence_for_subscriber = true
[[namespace]]
name = "demo"
history_size = 100
history_ttl = "60s"
durable = false
allow_subscribe_for_client = true
"""

    def url(self, path: str) -> str:
        return self.server.http_url + path

    def test_files_clean_urls_types_and_caching(self):
        status, body, headers = http("GET", self.url("/"))
        self.assertEqual((status, body), (200, FILES["index.html"]))
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        self.assertEqual(headers["Cache-Control"], "no-cache")
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        status, body, _ = http("GET", self.url("/dashboard"))
        self.assertEqual((status, body), (200, FILES["dashboard.html"]))
        status, body, headers = http("GET", self.url("/assets/app-1234.js"))
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/javascript; charset=utf-8")
        self.assertIn("immutable", headers["Cache-Control"])
        status, _, again = http("GET", self.url("/assets/app-1234.js"), headers={"If-None-Match": headers["ETag"]})
        self.assertEqual(status, 304)
        status, body, headers = http("HEAD", self.url("/assets/style.css"))
        self.assertEqual((status, body, headers["Content-Length"]), (200, b"", str(len(FILES["assets/style.css"]))))

    def test_missing_files_get_the_404_page_and_other_methods_405(self):
        status, body, _ = http("GET", self.url("/nope.js"))
        self.assertEqual((status, body), (404, FILES["404.html"]))
        status, _, headers = http("POST", self.url("/index.html"), body=b"x")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "GET, HEAD")

    def test_no_path_leaves_the_root(self):
        for target in ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/a/./b", "//etc/passwd",
                       "/%00index.html", "/assets%5c..%5c..%5csecret.txt", "/%zz"]:
            status, body = raw_get(self.server.port, target)
            self.assertEqual(status, 400, target)
            self.assertNotIn(b"outside the root", body)

    def test_demo_token_names_the_user_in_presence(self):
        status, body, _ = http("POST", self.url("/demo/token"), body=b'{"name":"  Ann <b>  "}')
        self.assertEqual(status, 200, body)
        import json
        minted = json.loads(body)
        self.assertEqual(minted["name"], "Ann <b>")
        self.assertTrue(minted["user"].startswith("u-"))

        async def case(_):
            c = await self.open()
            r = await c.connect(minted["token"])
            self.assertIn("connect", r, r)
            self.assertIn("subscribe", await c.command({"subscribe": {"channel": "chat:lobby"}}))
            p = await c.command({"presence": {"channel": "chat:lobby"}})
            entry = next(iter(p["presence"]["presence"].values()))
            self.assertEqual(entry["user"], minted["user"])
            self.assertEqual(entry["conn_info"], {"name": "Ann <b>"})
        self.run_case(case)
        for bad in [b'{"name":""}', b'{"name":"' + b"x" * 33 + b'"}', b'{"nom":"x"}', b"not json", b'{"name":"a\\u0001"}']:
            status, _, _ = http("POST", self.url("/demo/token"), body=bad)
            self.assertEqual(status, 400, bad)

    def test_demo_feed_publishes_prices_and_stats(self):
        time.sleep(1.2)
        status, body = api(self.server, "history", {"channel": "demo:prices", "limit": 5, "reverse": True}, API_KEY)
        self.assertEqual(status, 200, body)
        pubs = body["result"]["publications"]
        self.assertGreaterEqual(len(pubs), 5)
        self.assertEqual(set(pubs[0]["data"]["prices"]), {"HRLD", "WSKT", "CPPX"})
        status, body = api(self.server, "history", {"channel": "demo:stats", "limit": 1, "reverse": True}, API_KEY)
        stats = body["result"]["publications"][0]["data"]
        for key in ["connections", "clients", "messages_in_per_second", "messages_out_per_second"]:
            self.assertIn(key, stats)


if __name__ == "__main__":
    unittest.main()
