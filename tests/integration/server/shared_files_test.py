"""[files]: files shared in a channel, kept on disk for the channel's history
TTL and downloaded over HTTP by whoever may read the channel (POST /files,
GET /files/<id>; docs/protocol.md, "Shared files").

Against a real `herald serve`: the round trip and its checksum, who may
upload and download (the channel rules a WebSocket session applies), every
refusal's status and readable body, ids that try to leave the directory,
files surviving a SIGKILL and restart, expiry with a 2 s TTL freeing quota,
and the quota itself.
"""
import hashlib
import json
import os
import socket
import time
import unittest
import urllib.parse

from herald_client import claims, hs256, http
from herald_serve import HeraldServer

SECRET = "files-secret"
KiB = 1024

CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"

[files]
enabled = true
max_file_size = "64KiB"
quota = "160KiB"

# Members may read and, once they could subscribe, share.
[[namespace]]
name = "room"
history_size = 100
history_ttl = "1h"
allow_subscribe_for_client = true
allow_publish_for_subscriber = true

# team:<x>#<a>,<b>: only the users listed.
[[namespace]]
name = "team"
history_size = 100
history_ttl = "1h"
allow_user_limited_channels = true
allow_publish_for_subscriber = true

# Readable by everyone, writable by nobody from a client.
[[namespace]]
name = "news"
history_size = 100
history_ttl = "1h"
allow_subscribe_for_client = true

# Files kept 2 seconds.
[[namespace]]
name = "brief"
history_size = 10
history_ttl = "2s"
allow_subscribe_for_client = true
allow_publish_for_client = true

# No history: nobody would read a file here later.
[[namespace]]
name = "nohist"
allow_subscribe_for_client = true
allow_publish_for_client = true
"""


def token(user: str, ttl: int = 3600) -> str:
    return hs256(claims(user, ttl), SECRET)


def upload(server, channel: str, name: str, data: bytes, user: str | None = "alice",
           mime: str = "application/octet-stream", auth: str | None = None):
    q = urllib.parse.urlencode({"channel": channel, "name": name})
    headers = {"Content-Type": mime}
    if auth is not None:
        headers["Authorization"] = auth
    elif user is not None:
        headers["Authorization"] = "Bearer " + token(user)
    return http("POST", f"{server.http_url}/files?{q}", data, headers)


def download(server, file_id: str, user: str | None = "alice", method: str = "GET", headers: dict | None = None,
             query_token: bool = False):
    h = dict(headers or {})
    url = f"{server.http_url}/files/{file_id}"
    if user is not None and query_token:
        url += "?token=" + urllib.parse.quote(token(user))
    elif user is not None:
        h["Authorization"] = "Bearer " + token(user)
    return http(method, url, None, h)


def raw(port: int, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """A request sent byte for byte, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(head.encode() + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def metric(server, line_start: str) -> float | None:
    """The value of the first /metrics line starting with `line_start`."""
    _, body, _ = http("GET", f"{server.http_url}/metrics")
    for line in body.decode().splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def files_dir(server) -> str:
    return os.path.join(server.data_dir, "files")


class SharedFilesTest(unittest.TestCase):
    server: HeraldServer

    @classmethod
    def setUpClass(cls):
        # The quota of 160 KiB is for the cases that fill it, on their own server.
        cls.server = HeraldServer(CONFIG.replace('quota = "160KiB"', 'quota = "1MiB"')).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server._tmp.cleanup()

    def shared(self, channel="room:lobby", name="notes.bin", data=None, user="alice", mime="application/octet-stream"):
        data = os.urandom(20 * KiB) if data is None else data
        status, body, _ = upload(self.server, channel, name, data, user, mime)
        self.assertEqual(status, 201, body)
        return json.loads(body), data

    # -- the round trip ----------------------------------------------------------
    def test_a_member_who_comes_later_downloads_the_same_bytes(self):
        info, data = self.shared(name="r\u00e9sum\u00e9 \"final\".pdf", mime="application/pdf")
        self.assertEqual(info["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(info["size"], len(data))
        self.assertEqual(info["name"], "r\u00e9sum\u00e9 \"final\".pdf")
        self.assertEqual(info["mime"], "application/pdf")
        self.assertEqual(info["channel"], "room:lobby")
        self.assertRegex(info["id"], r"^[0-9a-f]{32}$")
        self.assertAlmostEqual(info["expires_at"], time.time() + 3600, delta=30)

        status, body, headers = download(self.server, info["id"], user="bob")  # never online with alice
        self.assertEqual(status, 200, body)
        self.assertEqual(hashlib.sha256(body).hexdigest(), info["sha256"])
        self.assertEqual(headers["Content-Type"], "application/pdf")
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(headers["ETag"], '"' + info["sha256"] + '"')
        self.assertEqual(headers["Content-Disposition"],
                         "attachment; filename=\"r__sum__ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf")

        status, body, _ = download(self.server, info["id"], user="bob", query_token=True)  # <a href>, <img src>
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), info["sha256"])

        status, body, headers = download(self.server, info["id"], user="bob", method="HEAD")
        self.assertEqual((status, body, headers["Content-Length"]), (200, b"", str(len(data))))
        status, body, _ = download(self.server, info["id"], user="bob", headers={"If-None-Match": '"' + info["sha256"] + '"'})
        self.assertEqual((status, body), (304, b""))

    def test_an_empty_file_and_the_largest_allowed_one(self):
        for data in (b"", os.urandom(64 * KiB)):
            info, _ = self.shared(data=data)
            status, body, _ = download(self.server, info["id"], user="bob")
            self.assertEqual((status, hashlib.sha256(body).hexdigest()), (200, hashlib.sha256(data).hexdigest()))

    # -- who may ----------------------------------------------------------------
    def test_who_may_not_read_the_channel_cannot_download(self):
        info, data = self.shared(channel="team:plans#alice,bob", user="alice")
        status, body, _ = download(self.server, info["id"], user="bob")
        self.assertEqual((status, hashlib.sha256(body).hexdigest()), (200, info["sha256"]))
        status, body, _ = download(self.server, info["id"], user="carol")
        self.assertEqual(status, 403)
        self.assertEqual(body.decode(), "403 Forbidden: you may not read channel team:plans#alice,bob, where this file was shared\n")
        status, _, _ = download(self.server, info["id"], user="carol", query_token=True)
        self.assertEqual(status, 403)

    def test_who_may_not_publish_cannot_upload(self):
        status, body, _ = upload(self.server, "team:plans#alice,bob", "x.txt", b"x", user="carol")
        self.assertEqual(status, 403)
        self.assertEqual(body.decode(), "403 Forbidden: you may not publish into channel team:plans#alice,bob\n")
        before = sorted(os.listdir(files_dir(self.server)))
        status, body, _ = upload(self.server, "news:today", "x.txt", b"x", user="alice")
        self.assertEqual(status, 403, body)
        self.assertEqual(sorted(os.listdir(files_dir(self.server))), before)  # nothing stored

    def test_a_missing_bad_or_expired_token_is_401(self):
        info, _ = self.shared()
        for auth, why in ((None, b"send the connection token"), ("Bearer not.a.token", b"the token is not valid"),
                          ("Bearer " + token("alice", ttl=-60), b"the token has expired"),
                          ("Bearer " + hs256(claims("alice"), "another-secret"), b"the token is not valid"),
                          ("Basic YWxpY2U6eA==", b"send the connection token")):
            with self.subTest(auth=auth):
                h = {"Authorization": auth} if auth else {}
                status, body, headers = http("GET", f"{self.server.http_url}/files/{info['id']}", None, h)
                self.assertEqual(status, 401, body)
                self.assertIn(why, body)
                self.assertIn("Bearer", headers["WWW-Authenticate"])
                status, body, _ = upload(self.server, "room:lobby", "a.txt", b"a", user=None, auth=auth)
                self.assertEqual(status, 401, body)
                self.assertIn(why, body)

    # -- ids and bad requests ------------------------------------------------------
    def test_an_unknown_id_is_404(self):
        status, body, _ = download(self.server, "0" * 32, user="alice")
        self.assertEqual(status, 404)
        self.assertIn(b"no such file", body)

    def test_ids_that_are_not_ids_are_refused_before_any_path(self):
        # A file beside data_dir/files that a traversal would reach.
        with open(os.path.join(self.server.data_dir, "secret.txt"), "w") as f:
            f.write("outside")
        auth = "Authorization: Bearer " + token("alice") + "\r\n"
        for target in ("/files/../secret.txt", "/files/..%2Fsecret.txt", "/files/%2e%2e%2fsecret.txt",
                       "/files/0123456789ABCDEF0123456789ABCDEF", "/files/0123456789abcdef0123456789abcdef/x",
                       "/files/0123456789abcdef0123456789abcdef.meta", "/files/", "/files//etc/passwd",
                       "/files/../../../../../../../../etc/passwd"):
            with self.subTest(target=target):
                status, body = raw(self.server.port, f"GET {target} HTTP/1.1\r\nHost: h\r\n{auth}Connection: close\r\n\r\n")
                self.assertEqual(status, 400, body)
                self.assertNotIn(b"outside", body)
                self.assertNotIn(b"root:", body)

    def test_malformed_uploads_get_a_clear_400(self):
        cases = (("", b"query parameter \"channel\" is missing"),
                 ("channel=room:lobby", b"query parameter \"name\" is missing"),
                 ("channel=room:lobby&name=a%zz", b"not percent-encoded properly"),
                 ("channel=room:lobby&name=..%2F..%2Fherald.toml", b"holds a slash"),
                 ("channel=nowhere:x&name=a", b"unknown channel"),
                 ("channel=nohist:x&name=a", b"keeps no history"))
        for query, why in cases:
            with self.subTest(query=query):
                status, body, _ = http("POST", f"{self.server.http_url}/files?{query}", b"data",
                                       {"Authorization": "Bearer " + token("alice")})
                self.assertEqual(status, 400, body)
                self.assertIn(why, body)
        status, body, headers = http("GET", f"{self.server.http_url}/files", None, {})
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "POST")
        status, _, headers = http("PUT", f"{self.server.http_url}/files/{'0' * 32}", b"x", {})
        self.assertEqual(status, 405)
        status, body = raw(self.server.port, "POST /files?channel=room:lobby&name=a HTTP/1.1\r\nHost: h\r\n"
                           "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\na\r\n0\r\n\r\n")
        self.assertEqual(status, 411, body)

    def test_a_file_over_max_file_size_is_413_before_its_body_is_read(self):
        auth = "Authorization: Bearer " + token("alice") + "\r\n"
        status, body = raw(self.server.port, "POST /files?channel=room:lobby&name=big.bin HTTP/1.1\r\nHost: h\r\n"
                           f"{auth}Content-Length: {64 * KiB + 1}\r\n\r\n")
        self.assertEqual(status, 413)
        self.assertEqual(body.decode(), "413 Payload Too Large: request body over 65536 bytes; "
                                        "files are limited to 64KiB ([files] max_file_size)\n")


class SharedFilesOwnServerTest(unittest.TestCase):
    """Cases that fill the quota or restart the server get a server each."""

    def test_files_survive_a_kill_and_a_restart_and_leftovers_are_cleaned(self):
        with HeraldServer(CONFIG) as server:
            data = os.urandom(30 * KiB)
            status, body, _ = upload(server, "room:lobby", "keep.bin", data)
            self.assertEqual(status, 201, body)
            info = json.loads(body)
            # What a crash in the middle of another upload leaves behind.
            leftovers = ["f" * 32 + ".data.tmp", "e" * 32 + ".data", "d" * 32 + ".meta.tmp"]
            for name in leftovers:
                with open(os.path.join(files_dir(server), name), "wb") as f:
                    f.write(b"partial")
            server.restart()  # SIGKILL, then start on the same data dir
            status, body, _ = download(server, info["id"], user="bob")
            self.assertEqual(status, 200)
            self.assertEqual(hashlib.sha256(body).hexdigest(), info["sha256"])
            self.assertEqual(body, data)
            left = sorted(os.listdir(files_dir(server)))
            self.assertEqual(left, [info["id"] + ".data", info["id"] + ".meta"])

    def test_a_damaged_stored_file_is_never_served(self):
        with HeraldServer(CONFIG) as server:
            status, body, _ = upload(server, "room:lobby", "keep.bin", os.urandom(1000))
            info = json.loads(body)
            with open(os.path.join(files_dir(server), info["id"] + ".data"), "r+b") as f:
                f.write(b"XXXX")  # same size, other bytes
            status, body, _ = download(server, info["id"])
            self.assertEqual(status, 500)
            self.assertIn(b"damaged", body)
            status, _, _ = download(server, info["id"])
            self.assertEqual(status, 404)

    def test_over_quota_is_507_with_what_to_change_and_expiry_frees_it(self):
        with HeraldServer(CONFIG, log_level="info") as server:
            brief = []
            for _ in range(2):  # 120 KiB that expire in 2 s
                status, body, _ = upload(server, "brief:x", "short.bin", os.urandom(60 * KiB))
                self.assertEqual(status, 201, body)
                brief.append(json.loads(body))
            status, body, _ = upload(server, "room:lobby", "late.bin", os.urandom(60 * KiB))
            self.assertEqual(status, 507)
            self.assertEqual(body.decode(),
                             "507 Insufficient Storage: the server keeps at most 160KiB of shared files ([files] quota) "
                             f"and holds {120 * KiB} bytes; this file ({60 * KiB} bytes) does not fit. Older files are "
                             "removed as they expire; an operator can raise [files] quota\n")
            status, body, _ = download(server, brief[0]["id"])
            self.assertEqual(status, 200)
            self.assertEqual(metric(server, "herald_shared_files"), 2)
            self.assertEqual(metric(server, "herald_shared_files_bytes"), 120 * KiB)
            self.assertEqual(metric(server, "herald_shared_files_quota_bytes"), 160 * KiB)
            self.assertEqual(metric(server, 'herald_refusals_total{reason="files_over_quota"}'), 1)
            self.assertIn("refused a file request: the server keeps at most 160KiB", server.log())
            # The 2 s TTL passes; the sweep (every second) removes both.
            deadline = time.monotonic() + 10
            while os.listdir(files_dir(server)) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(os.listdir(files_dir(server)), [])
            for info in brief:
                status, body, _ = download(server, info["id"])
                self.assertEqual(status, 404, body)
            self.assertEqual(metric(server, "herald_shared_files_bytes"), 0)
            status, body, _ = upload(server, "room:lobby", "late.bin", os.urandom(60 * KiB))
            self.assertEqual(status, 201, body)  # their bytes left the quota with them
            self.assertEqual(metric(server, "herald_shared_files_bytes"), 60 * KiB)

    def test_an_expired_file_is_404_even_between_sweeps_and_after_a_restart(self):
        with HeraldServer(CONFIG) as server:
            status, body, _ = upload(server, "brief:x", "short.bin", b"soon gone")
            info = json.loads(body)
            server.kill()
            time.sleep(2.2)
            server.start()
            status, body, _ = download(server, info["id"])
            self.assertEqual(status, 404, body)
            self.assertEqual(os.listdir(files_dir(server)), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
