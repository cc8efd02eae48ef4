"""server.log_format = "json": every log line on stderr is one JSON object
with time, level and msg, and a refusal is logged once per reason."""
import json
import time
import unittest

from herald_client import http
from herald_serve import HeraldServer


class JsonLogTest(unittest.TestCase):
    def test_every_line_is_a_json_object_and_refusals_are_logged_once(self):
        server = HeraldServer('[server]\nlog_format = "json"\n', log_level="info")
        with server:
            for _ in range(3):  # three refusals of one kind
                status, _, _ = http("GET", server.http_url + "/connection/websocket")
                self.assertEqual(status, 426)
            time.sleep(1.5)  # refusals are logged by a once-a-second check
            server.stop()
            log = server.log()
        lines = [line for line in log.splitlines() if line.strip()]
        self.assertTrue(lines)
        records = [json.loads(line) for line in lines]
        for r in records:
            self.assertEqual(set(r), {"time", "level", "msg"}, r)
            self.assertRegex(r["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        refusals = [r for r in records if "http_426_upgrade_required" in r["msg"]]
        self.assertEqual(len(refusals), 1, records)


if __name__ == "__main__":
    unittest.main()
