"""The admin UI's door (issue 19, src/server/admin_gate.hpp): closed unless
[admin] enabled; the password buys a short-lived admin token, which runs the
server API's methods at /admin/api/<method>; wrong passwords are refused,
logged with the address and rate-limited (HTTP 429 with Retry-After); no
client token and no token signed with another key passes; `config` shows
the effective configuration with every secret hidden. A real `herald serve`
over real HTTP.
"""
import json
import time
import unittest
import urllib.error
import urllib.request

from herald_client import claims, hs256
from herald_serve import HeraldServer

PASSWORD = "correct horse battery"
CLIENT_SECRET = "client-secret-0123456789abcdef-0123456789"
ADMIN_SECRET = "admin-secret-0123456789abcdef0123456789"
API_KEY = "api-key-for-the-admin-test"

BASE = f"""
[client]
token_hmac_secret = "{CLIENT_SECRET}"
[api]
key = "{API_KEY}"
[channel]
allow_subscribe_for_client = true
history_size = 100
history_ttl = "1h"
"""
ENABLED = BASE + f"""
[admin]
enabled = true
password = "{PASSWORD}"
secret = "{ADMIN_SECRET}"
token_ttl = "2m"
"""


def post(server, path, body=None, headers=None, method="POST", raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(server.http_url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def sign_in(server, password=PASSWORD):
    return post(server, "/admin/auth", {"password": password})


def token_of(server) -> str:
    status, _, body = sign_in(server)
    assert status == 200, body
    return json.loads(body)["token"]


def admin_call(server, token, method, body=None):
    status, _, text = post(server, f"/admin/api/{method}", body or {}, {"Authorization": f"token {token}"})
    return status, json.loads(text)


class ClosedByDefaultTest(unittest.TestCase):
    def test_every_admin_path_is_404_with_the_fix(self):
        with HeraldServer(BASE) as server:
            for path, method in (("/admin", "GET"), ("/admin.html", "GET"), ("/admin/auth", "POST"),
                                 ("/admin/api/info", "POST")):
                status, _, body = post(server, path, {"password": PASSWORD}, method=method)
                self.assertEqual(status, 404, path)
                self.assertIn("[admin] enabled = true", body, path)


class ConfigChecksTest(unittest.TestCase):
    def check(self, admin_toml):
        import os
        import subprocess
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write(BASE + admin_toml)
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
            return subprocess.run([os.environ["HERALD_BIN"], "serve", "--config", f.name, "--check-config"],
                                  capture_output=True, text=True, timeout=30, env=env)
        finally:
            os.unlink(f.name)

    def test_enabled_needs_a_password(self):
        r = self.check("[admin]\nenabled = true\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("admin.password", r.stderr)
        self.assertIn("genconfig", r.stderr)

    def test_short_password_refused(self):
        r = self.check('[admin]\nenabled = true\npassword = "abc"\n')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("shorter than 8", r.stderr)

    def test_admin_secret_must_differ_from_the_client_secret(self):
        r = self.check(f'[admin]\nenabled = true\npassword = "{PASSWORD}"\nsecret = "{CLIENT_SECRET}"\n')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("token_hmac_secret", r.stderr)

    def test_secrets_hidden_in_check_config(self):
        r = self.check(f'[admin]\nenabled = true\npassword = "{PASSWORD}"\nsecret = "{ADMIN_SECRET}"\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(PASSWORD, r.stdout)
        self.assertNotIn(ADMIN_SECRET, r.stdout)
        self.assertIn('password = "<set>"', r.stdout)


class AdminGateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = HeraldServer(ENABLED, log_level="info").start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server._tmp.cleanup()

    def test_password_buys_a_token_that_runs_api_methods(self):
        status, headers, body = sign_in(self.server)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("Cache-Control"), "no-store")
        reply = json.loads(body)
        self.assertAlmostEqual(reply["expires_at"], time.time() + 120, delta=10)
        token = reply["token"]
        status, info = admin_call(self.server, token, "info")
        self.assertEqual(status, 200)
        self.assertEqual(len(info["result"]["nodes"]), 1)
        # Publish and read back through the admin API: the same methods as /api.
        status, r = admin_call(self.server, token, "publish", {"channel": "news", "data": {"n": 1}})
        self.assertEqual(status, 200, r)
        status, r = admin_call(self.server, token, "history", {"channel": "news", "limit": 10})
        self.assertEqual([p["data"] for p in r["result"]["publications"]], [{"n": 1}])
        # `Bearer` works too; unknown methods are 404 as on /api.
        status, _, text = post(self.server, "/admin/api/info", {}, {"Authorization": f"Bearer {token}"})
        self.assertEqual(status, 200, text)
        status, r = admin_call(self.server, token, "no_such_method")
        self.assertEqual(status, 404)
        self.assertEqual(r["error"]["code"], 104)

    def test_config_hides_every_secret(self):
        token = token_of(self.server)
        status, r = admin_call(self.server, token, "config")
        self.assertEqual(status, 200)
        toml = r["result"]["toml"]
        self.assertIn("[admin]\nenabled = true", toml)
        for secret in (PASSWORD, ADMIN_SECRET, CLIENT_SECRET, API_KEY):
            self.assertNotIn(secret, toml)
        self.assertEqual(toml.count('"<set>"'), 4, toml)
        # The same method through the API key, for scripts.
        status, _, text = post(self.server, "/api/config", {}, {"X-API-Key": API_KEY})
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(text)["result"]["toml"], toml)

    def test_tokens_that_must_not_pass(self):
        now = int(time.time())
        forged = {
            "no token": None,
            "garbage": "token not-a-jwt",
            "a client token": "token " + hs256(claims("admin"), CLIENT_SECRET),
            "right key, no audience": "token " + hs256(claims("admin"), ADMIN_SECRET),
            "right key and audience, expired": "token " + hs256(
                {"sub": "admin", "aud": "herald-admin", "exp": now - 5}, ADMIN_SECRET),
            "another key": "token " + hs256({"sub": "admin", "aud": "herald-admin", "exp": now + 60},
                                            "some-other-key-0123456789abcdef0123456789"),
            "the API key": "apikey " + API_KEY,
        }
        for name, header in forged.items():
            status, _, text = post(self.server, "/admin/api/info", {}, {"Authorization": header} if header else {})
            self.assertEqual(status, 401, name)
            self.assertEqual(json.loads(text)["error"]["code"], 101, name)
            self.assertIn("sign in", json.loads(text)["error"]["message"], name)
        # A token with the right key and audience is what the server mints.
        good = hs256({"sub": "admin", "aud": "herald-admin", "exp": now + 60}, ADMIN_SECRET)
        status, _, _ = post(self.server, "/admin/api/info", {}, {"Authorization": "token " + good})
        self.assertEqual(status, 200)

    def test_bad_requests(self):
        status, _, body = post(self.server, "/admin/auth", method="GET")
        self.assertEqual(status, 405)
        self.assertIn("POST", body)
        status, _, body = post(self.server, "/admin/auth", raw=b"password=x")
        self.assertEqual(status, 400)
        self.assertIn('{\\"password\\"', body)
        status, _, body = post(self.server, "/admin/auth", raw=b"x" * 5000)
        self.assertEqual(status, 413)
        token = token_of(self.server)
        status, _, body = post(self.server, "/admin/api/info", method="GET", headers={"Authorization": f"token {token}"})
        self.assertEqual(status, 405)
        status, _, body = post(self.server, "/admin/api/publish", raw=b"{", headers={"Authorization": f"token {token}"})
        self.assertEqual(status, 400)


class RateLimitTest(unittest.TestCase):
    def test_wrong_passwords_are_logged_and_limited(self):
        with HeraldServer(ENABLED, log_level="info") as server:
            for i in range(5):
                status, _, body = sign_in(server, f"wrong-{i}")
                self.assertEqual(status, 401)
                self.assertEqual(json.loads(body), {"error": "wrong password"})
            # The sixth attempt is not even checked: the right password too.
            status, headers, body = sign_in(server)
            self.assertEqual(status, 429, body)
            retry = int(headers["Retry-After"])
            self.assertTrue(1 <= retry <= 60, retry)
            self.assertIn(f"try again in {retry} s", json.loads(body)["error"])
            log = server.log()
            self.assertEqual(log.count("admin sign-in from 127.0.0.1 refused: wrong password"), 5, log)
            self.assertIn("wrong password (5 from there in the last 60 s; its next attempts are refused", log)
            status, _, metrics = post(server, "/metrics", method="GET")
            self.assertIn('herald_refusals_total{reason="admin_wrong_password"} 5', metrics)
            self.assertIn('herald_refusals_total{reason="admin_sign_in_limited"} 1', metrics)


if __name__ == "__main__":
    unittest.main()
