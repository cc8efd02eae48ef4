"""The operator's command-line tools (issue 19): `herald genconfig` writes a
configuration `herald serve` accepts, with fresh secrets each time and a
file only its owner can read; `herald checktoken` says what a token grants
or exactly why the server would refuse it; `herald --version` names the
version and commit. Real processes, real files, tokens minted both by
`herald token` and independently (herald_client.hs256).
"""
import os
import re
import stat
import subprocess
import tempfile
import time
import unittest

from herald_client import claims, hs256

HERALD = os.environ["HERALD_BIN"]


def herald(*args, env=None, check=False):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_CLIENT_")}
    full_env.update(env or {})
    r = subprocess.run([HERALD, *args], capture_output=True, text=True, timeout=30, env=full_env)
    if check and r.returncode != 0:
        raise AssertionError(f"herald {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def secret_of(config: str, key: str) -> str:
    m = re.search(rf'^{key} = "([^"]*)"', config, re.M)
    assert m, f"no {key} line"
    return m.group(1)


class GenconfigTest(unittest.TestCase):
    def test_output_is_accepted_by_serve_and_secrets_are_fresh(self):
        a = herald("genconfig", check=True).stdout
        b = herald("genconfig", check=True).stdout
        for key, hex_digits in (("token_hmac_secret", 64), ("key", 48), ("password", 24), ("secret", 64)):
            sa, sb = secret_of(a, key), secret_of(b, key)
            self.assertEqual(len(sa), hex_digits, key)
            self.assertRegex(sa, r"^[0-9a-f]+$")
            self.assertNotEqual(sa, sb, f"{key} must be fresh on every run")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "herald.toml")
            with open(path, "w") as f:
                f.write(a)
            r = herald("serve", "--config", path, "--check-config")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn('token_hmac_secret = "<set>"', r.stdout)
            # Safe defaults: loopback only, no anonymous clients.
            self.assertIn('host = "127.0.0.1"', r.stdout)
            self.assertIn("allow_anonymous = false", r.stdout)
            self.assertIn("[admin]\nenabled = false", r.stdout, "the admin UI stays closed until enabled")

    def test_output_file_is_private_and_never_replaced_silently(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "herald.toml")
            r = herald("genconfig", "--output", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            first = read(path)
            r = herald("genconfig", "--output", path)
            self.assertEqual(r.returncode, 2)
            self.assertIn("exists", r.stderr)
            self.assertIn("--force", r.stderr)
            self.assertEqual(read(path), first, "a refused run leaves the file alone")
            os.chmod(path, 0o644)
            r = herald("genconfig", "--output", path, "--force")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotEqual(read(path), first)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            r = herald("genconfig", "--output", os.path.join(tmp, "no", "such", "dir.toml"))
            self.assertEqual(r.returncode, 2)
            self.assertIn("cannot create", r.stderr)


class ChecktokenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.config = os.path.join(cls.tmp.name, "herald.toml")
        herald("genconfig", "--output", cls.config, check=True)
        cls.secret = secret_of(read(cls.config), "token_hmac_secret")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, token, *extra):
        return herald("checktoken", token, "--config", self.config, *extra)

    def test_a_connection_token_and_what_it_grants(self):
        token = herald("token", "--config", self.config, "--user", "alice", "--ttl", "2h",
                       "--channels", "news,chat:lobby", "--info", '{"name":"Ann"}', check=True).stdout.strip()
        r = self.check(token)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("valid connection token (HS256)", r.stdout)
        self.assertIn("user:     alice", r.stdout)
        self.assertIn("news chat:lobby", r.stdout)
        self.assertIn('{"name":"Ann"}', r.stdout)
        self.assertRegex(r.stdout, r"expires:  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in (1h 59m|2h 0m)\)")

    def test_a_subscription_token_is_checked_as_one(self):
        token = hs256(claims("bob", channel="$room"), self.secret)
        r = self.check(token)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("valid subscription token", r.stdout)
        self.assertIn("channel:  $room", r.stdout)
        r = self.check(token, "--channel", "$other")
        self.assertEqual(r.returncode, 1)
        self.assertIn("channel_mismatch", r.stdout)

    def test_refusals_say_why(self):
        expired = hs256({"sub": "carol", "exp": int(time.time()) - 60}, self.secret)
        r = self.check(expired)
        self.assertEqual(r.returncode, 1)
        self.assertIn("expired connection token", r.stdout)
        self.assertIn("109", r.stdout)
        forged = hs256(claims("mallory"), "not-the-secret")
        r = self.check(forged)
        self.assertEqual(r.returncode, 1)
        self.assertIn("invalid_signature", r.stdout)
        self.assertIn("3500", r.stdout)
        r = self.check("not.a-token")
        self.assertEqual(r.returncode, 1)
        self.assertIn("malformed", r.stdout)
        none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + "eyJzdWIiOiJhZG1pbiJ9" + "."
        r = self.check(none)
        self.assertEqual(r.returncode, 1)
        self.assertIn("unsupported_algorithm", r.stdout)

    def test_without_a_key_it_says_how_to_give_one(self):
        r = herald("checktoken", hs256(claims("x"), "s"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("token_hmac_secret", r.stderr)
        r = herald("checktoken", hs256(claims("x"), "s"), env={"HERALD_CLIENT_TOKEN_HMAC_SECRET": "s"})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = herald("checktoken", "t", "--config", "/nonexistent/herald.toml")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/herald.toml", r.stderr)


class VersionTest(unittest.TestCase):
    def test_version_names_the_release_and_the_commit(self):
        r = herald("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.strip(), r"^herald \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}|unknown), \w+ build\)$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
