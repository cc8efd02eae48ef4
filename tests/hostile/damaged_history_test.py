"""A damaged history.db against the real `herald serve` (issue 12): the
server publishes to a channel with durable history, stops, finds its file
damaged when it starts again, and then must

- say so loudly: one error line in the log with the problem, where the
  damaged file went, and that history starts afresh with new epochs;
- keep the damaged bytes, untouched, beside the new database;
- show herald_history_store_damaged 1 in /metrics (and in /api/info);
- keep serving live publications;
- tell a subscriber recovering its old (offset, epoch) `recovered: false`,
  with the channel's new epoch, rather than present what is left as whole.

Two damages: a page of the database overwritten after a clean stop, and a
-wal of garbage after a kill -9 (the case SQLite alone would pass over in
silence, dropping the publications committed in it).
"""
import asyncio
import glob
import json
import os
import sqlite3
import tempfile
import unittest

from herald_client import Client, api, claims, hs256, http
from herald_serve import HeraldServer

SECRET = "hostile-secret"
API_KEY = "hostile-api-key"
CHANNEL = "chat:room"
PUBLISHED = 40

CONFIG = f"""
[client]
token_hmac_secret = "{SECRET}"

[api]
key = "{API_KEY}"

[[namespace]]
name = "chat"
allow_subscribe_for_client = true
allow_history_for_client = true
history_size = 100
history_ttl = "1h"
"""


def publish(server, n: int) -> dict:
    status, body = api(server, "publish", {"channel": CHANNEL, "data": {"n": n, "pad": "p" * 200}}, API_KEY)
    assert status == 200 and "result" in body, (status, body)
    return body["result"]


def metric(server, name: str) -> str | None:
    status, body, _ = http("GET", f"{server.http_url}/metrics")
    assert status == 200, status
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return line.split(" ", 1)[1]
    return None


def damage_root_page(db: str, table: str):
    """Overwrites the first 64 bytes of `table`'s b-tree root page: every
    publication of the table is behind it."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        root = con.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)).fetchone()[0]
    finally:
        con.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xab" * 64)


def garbage(n: int) -> bytes:
    """n bytes that are not a WAL, the same on every run."""
    return bytes((i * 131 + 7) & 0xFF for i in range(n))


class DamagedHistoryTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="herald-damaged-")
        self.addCleanup(tmp.cleanup)
        self.data_dir = os.path.join(tmp.name, "data")
        self.db = os.path.join(self.data_dir, "history.db")
        self.server = HeraldServer(CONFIG, data_dir=self.data_dir)
        self.addCleanup(self.server._tmp.cleanup)
        self.addCleanup(self.server.stop)  # by PID, whatever happens
        self.server.start()

    def publish_then(self, stop) -> dict:
        """Publishes PUBLISHED publications, stops the server with `stop`,
        and returns the last publication's position {offset, epoch}."""
        last = {}
        for n in range(1, PUBLISHED + 1):
            last = publish(self.server, n)
        self.assertEqual(last["offset"], PUBLISHED)
        stop()
        return last

    def check_damaged_start(self, old: dict, damaged_files: dict[str, bytes]):
        """Starts the server over the damaged files and checks everything
        issue 12 asks of it."""
        log_before = len(self.server.log())
        self.server.restart()

        # The loud line, once.
        log = self.server.log()[log_before:]
        lines = [line for line in log.splitlines() if "history store damaged" in line]
        self.assertEqual(len(lines), 1, log)
        line = lines[0]
        self.assertIn("error", line)
        self.assertIn(self.db, line)
        self.assertIn("new epoch", line)
        self.assertIn("recovered: false", line)

        # The damaged bytes are kept, under the name the log gives.
        moved = sorted(glob.glob(self.db + ".damaged-*"))
        self.assertTrue(moved, os.listdir(self.data_dir))
        self.assertIn(moved[0], line)
        for suffix, data in damaged_files.items():
            kept = moved[0] + suffix
            self.assertTrue(os.path.exists(kept), (kept, os.listdir(self.data_dir)))
            with open(kept, "rb") as f:
                self.assertTrue(f.read() == data, f"{kept} differs from the damaged file")

        # Gauges.
        self.assertEqual(metric(self.server, "herald_history_store_damaged"), "1")
        status, info = api(self.server, "info", {}, API_KEY)
        self.assertEqual(status, 200, info)
        self.assertTrue(info["result"]["nodes"][0].get("history_store_damaged"), info)

        async def clients():
            live = await Client.open(self.server.ws_url)
            late = await Client.open(self.server.ws_url)
            try:
                self.assertIn("connect", await live.connect(hs256(claims("live"), SECRET)))
                self.assertIn("connect", await late.connect(hs256(claims("late"), SECRET)))
                # Live traffic: a subscriber gets what is published now.
                r = await live.command({"subscribe": {"channel": CHANNEL, "recoverable": True}})
                self.assertIn("subscribe", r, r)
                new_epoch = r["subscribe"]["epoch"]
                self.assertNotEqual(new_epoch, old["epoch"])
                fresh = await asyncio.to_thread(publish, self.server, 1000)
                self.assertEqual(fresh["epoch"], new_epoch)
                self.assertEqual(fresh["offset"], 1, "a new epoch numbers from 1 again")
                push = await live.push(lambda p: p.get("push", {}).get("pub", {}).get("data", {}).get("n") == 1000)
                self.assertEqual(push["push"]["channel"], CHANNEL)
                # A subscriber coming back from before the damage is told
                # its position is gone, with the new epoch.
                r = await late.command({"subscribe": {"channel": CHANNEL, "recoverable": True, "recover": True,
                                                      "offset": old["offset"], "epoch": old["epoch"]}})
                self.assertIn("subscribe", r, r)
                sub = r["subscribe"]
                self.assertTrue(sub.get("was_recovering"), sub)
                self.assertFalse(sub.get("recovered", False), json.dumps(sub))
                self.assertEqual(sub["epoch"], new_epoch)
                self.assertEqual(int(sub.get("offset", 0)), 1)
                # Nothing from the damaged file is presented as history.
                r = await late.command({"history": {"channel": CHANNEL, "limit": -1}})
                self.assertEqual([p["data"]["n"] for p in r["history"]["publications"]], [1000], r)
            finally:
                await live.close()
                await late.close()
            return new_epoch

        new_epoch = asyncio.run(asyncio.wait_for(clients(), 30))

        # The new database is sound: the next start neither complains nor
        # moves anything, and keeps the new epoch.
        self.server.stop()
        log_before = len(self.server.log())
        self.server.restart()
        self.assertNotIn("history store damaged", self.server.log()[log_before:])
        self.assertEqual(sorted(glob.glob(self.db + ".damaged-*")), moved)
        self.assertEqual(metric(self.server, "herald_history_store_damaged"), "0")
        status, body = api(self.server, "history", {"channel": CHANNEL, "limit": -1}, API_KEY)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["result"]["epoch"], new_epoch)

    def test_overwritten_page_after_a_clean_stop(self):
        old = self.publish_then(self.server.stop)
        self.assertFalse(os.path.exists(self.db + "-wal"), "a clean stop checkpoints the -wal away")
        damage_root_page(self.db, "publications")
        with open(self.db, "rb") as f:
            damaged = f.read()
        self.check_damaged_start(old, {"": damaged})

    def test_garbage_wal_after_kill_9(self):
        old = self.publish_then(self.server.kill)
        wal = self.db + "-wal"
        self.assertGreater(os.path.getsize(wal), 0, "kill -9 leaves the committed publications in the -wal")
        size = os.path.getsize(wal)
        with open(wal, "wb") as f:
            f.write(garbage(size))
        files = {}
        for suffix in ("", "-wal"):
            with open(self.db + suffix, "rb") as f:
                files[suffix] = f.read()
        self.check_damaged_start(old, files)


if __name__ == "__main__":
    unittest.main()
