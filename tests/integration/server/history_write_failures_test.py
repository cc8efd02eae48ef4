"""A disk that refuses writes (issue 19's "history writes failing" alert):
`herald serve` runs with a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored,
as a full disk answers), so SQLite's write of a large publication fails for
real. The publish is refused with error 100 and never acknowledged, the
failure is counted in herald_history_write_failures_total (what the alert
rule reads) and logged with SQLite's error, and later publications that fit
are stored with the next offset: nothing acknowledged is lost or skipped.
"""
import json
import resource
import signal
import time
import unittest
import urllib.request

from herald_serve import HeraldServer

CONFIG = """
[api]
key = "k"
max_body_bytes = "4MiB"
[channel]
history_size = 100
history_ttl = "1h"
durable = true
"""
LIMIT = 1024 * 1024


def full_disk():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))


def api(server, method, body):
    req = urllib.request.Request(f"{server.http_url}/api/{method}", data=json.dumps(body).encode(),
                                 headers={"X-API-Key": "k"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def failures(server) -> int:
    with urllib.request.urlopen(f"{server.http_url}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("herald_history_write_failures_total "):
                return int(line.split()[1])
    raise AssertionError("herald_history_write_failures_total is not in /metrics")


class HistoryWriteFailuresTest(unittest.TestCase):
    def test_refused_counted_logged_and_nothing_lost(self):
        with HeraldServer(CONFIG, log_level="info", preexec_fn=full_disk) as server:
            self.assertEqual(failures(server), 0)
            first = api(server, "publish", {"channel": "news", "data": {"n": 1}})
            self.assertEqual(first["result"]["offset"], 1)
            refused = api(server, "publish", {"channel": "news", "data": "x" * (LIMIT + LIMIT // 2)})
            self.assertEqual(refused["error"]["code"], 100, refused)
            self.assertIn("not stored", refused["error"]["message"])
            self.assertEqual(failures(server), 1)
            after = api(server, "publish", {"channel": "news", "data": {"n": 2}})
            self.assertEqual(after["result"]["offset"], 2, "the refused publication took no offset")
            history = api(server, "history", {"channel": "news", "limit": 10})["result"]["publications"]
            self.assertEqual([p["data"] for p in history], [{"n": 1}, {"n": 2}])
            deadline = time.monotonic() + 5
            while "history writes failing" not in server.log() and time.monotonic() < deadline:
                time.sleep(0.1)
            log = server.log()
            self.assertIn("history writes failing: 1 more write batch(es) not stored (1 in all); last error:", log)
            self.assertRegex(log, r"disk I/O error|disk is full")
            # Restarted without the limit, it reads back exactly what was acknowledged.
            server.kill()
            server.preexec_fn = None
            server.start()
            history = api(server, "history", {"channel": "news", "limit": 10})["result"]["publications"]
            self.assertEqual([(p["offset"], p["data"]) for p in history], [(1, {"n": 1}), (2, {"n": 2})])


if __name__ == "__main__":
    unittest.main()
