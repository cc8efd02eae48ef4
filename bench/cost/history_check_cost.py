#!/usr/bin/python3
"""What the start-up check of history.db costs (docs/storage.md, "A damaged
database"): the time `herald serve` takes to print "listening on" over a
history.db of about SIZE_MB MB, against an empty data directory, with the
file in the page cache (warm) and evicted from it first (cold:
posix_fadvise DONTNEED on that one file, nothing else). Medians of RUNS.

    bench/cost/history_check_cost.py [BUILD_DIR] [SIZE_MB] [RUNS]

The database is made by `herald serve` itself (its schema), then filled
with publications of about 250 bytes through Python's sqlite3.
"""
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

build = sys.argv[1] if len(sys.argv) > 1 else "build/release"
size_mb = int(sys.argv[2]) if len(sys.argv) > 2 else 100
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
herald = os.path.join(build, "src/app/herald")

CONFIG = """
[api]
key = "k"

[channel]
history_size = 1000000
history_ttl = "720h"
"""


def start(config: str, data_dir: str) -> tuple[subprocess.Popen, float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    began = time.perf_counter()
    proc = subprocess.Popen([herald, "serve", "--config", config, "--port", "0", "--data-dir", data_dir,
                             "--log-level", "warn"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    line = proc.stdout.readline()
    took = time.perf_counter() - began
    if not line.startswith(b"listening on "):
        proc.kill()
        raise RuntimeError(f"herald serve did not start: {line!r}")
    return proc, took, int(line.rsplit(b":", 1)[1])


def stop(proc: subprocess.Popen):
    proc.terminate()
    proc.wait(30)
    proc.stdout.close()


def evict(path: str):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def main():
    with tempfile.TemporaryDirectory(prefix="herald-check-cost-") as tmp:
        config = os.path.join(tmp, "herald.toml")
        with open(config, "w") as f:
            f.write(CONFIG)
        big, empty = os.path.join(tmp, "big"), os.path.join(tmp, "empty")
        os.makedirs(empty)

        # The schema, from herald itself.
        proc, _, port = start(config, big)
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/publish", method="POST",
                                     data=json.dumps({"channel": "c0", "data": {}}).encode(),
                                     headers={"X-API-Key": "k"})
        urllib.request.urlopen(req, timeout=10).read()
        stop(proc)

        db = os.path.join(big, "history.db")
        con = sqlite3.connect(db, isolation_level=None)
        rows = size_mb * 1024 * 1024 // 280
        con.execute("BEGIN")
        for c in range(100):  # channels b0..b99, publications 1..top each
            top = rows // 100 + (1 if c < rows % 100 else 0)
            con.execute("INSERT INTO channels (name, epoch, top, size, ttl_ms) VALUES (?, 'bench000', ?, ?, ?)",
                        (f"b{c}", top, 1000000, 720 * 3600 * 1000))
        pad = "p" * 200
        con.executemany("INSERT INTO publications (channel, offset, time_ms, data) VALUES (?, ?, ?, ?)",
                        ((f"b{i % 100}", i // 100 + 1, 1_700_000_000_000 + i, f'{{"n":{i},"pad":"{pad}"}}')
                         for i in range(rows)))
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        print(f"history.db: {os.path.getsize(db) / 1e6:.1f} MB, {rows} publications")

        results = {}
        for name, data_dir, cold in (("empty data dir", empty, False), (f"{size_mb} MB, warm", big, False),
                                     (f"{size_mb} MB, cold", big, True)):
            times = []
            for _ in range(runs):
                if cold:
                    evict(db)
                proc, took, _ = start(config, data_dir)
                times.append(took)
                stop(proc)
            results[name] = statistics.median(times)
            print(f"{name:>22}: start-up {results[name] * 1000:7.0f} ms (median of {runs}; "
                  f"min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})")


if __name__ == "__main__":
    main()
