#!/usr/bin/python3
"""Several `herald serve` nodes sharing one redis-server (issue 7's figures).

For 1, 2 and 3 nodes ([engine] type = "redis") and for one node with SQLite
(the single-node default), in interleaved rounds:
  * fan-out: 1 publisher -> 1000 subscribers of one channel with history,
    subscribers spread round-robin over the nodes, the publisher on the first
    (`herald bench fanout --protocol centrifugo --url u1,u2,...`): delivered
    messages per second, every delivery checked once and in order;
  * Redis commands per publication, from INFO commandstats around the run;
  * publish latency as a publisher sees it: one client publishes 2,000 times
    one at a time over the client protocol and times each reply (p50, p99).

    HERALD_BUILD_DIR=build/release /usr/bin/python3 bench/cluster/cluster_bench.py [--rounds 3] [--seconds 5]

Everything shares this machine's 2 cores: the nodes, Redis and the load
generator compete, so the figures show the cost of the path, not a cluster's
capacity. Prints medians and min-max.
"""
import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import websockets

CONFIG = """
[server]
threads = 1
[client]
allow_anonymous = true
commands_per_second = 1000000
command_burst = 1000000
[channel]
history_size = 100
history_ttl = "60s"
durable = true
allow_subscribe_for_anonymous = true
allow_publish_for_anonymous = true
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_call(port, *args):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"*{len(args)}\r\n".encode() + b"".join(f"${len(a)}\r\n{a}\r\n".encode() for a in args))
        data = b""
        while True:
            chunk = s.recv(65536)
            data += chunk
            if not chunk or data.startswith(b"$") and data.count(b"\r\n") >= 2 or data.startswith(b"+"):
                return data.decode(errors="replace")


def command_calls(port):
    """(round trips: EVALSHA/EVAL calls, commands Redis ran in all: the
    scripts' own calls included, INFO left out), from INFO commandstats."""
    text = redis_call(port, "INFO", "commandstats")
    scripts = total = 0
    for line in text.splitlines():
        if line.startswith("cmdstat_") and not line.startswith("cmdstat_info:"):
            calls = int(line.split("calls=")[1].split(",")[0])
            total += calls
            if line.startswith(("cmdstat_evalsha:", "cmdstat_eval:")):
                scripts += calls
    return scripts, total


class Redis:
    def __init__(self, tmp):
        os.makedirs(tmp, exist_ok=True)
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["taskset", "-c", "0", shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--dir", tmp],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if redis_call(self.port, "PING").startswith("+PONG"):
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


def start_node(herald, cfg, data):
    proc = subprocess.Popen(["taskset", "-c", "0", herald, "serve", "--config", cfg, "--port", "0", "--data-dir", data,
                             "--log-level", "warn"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"herald serve did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


async def publish_latency(url, count):
    """Milliseconds from each publish to its reply, one in flight."""
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"id": 1, "connect": {}}))
        await ws.recv()
        out = []
        for i in range(count):
            t = time.perf_counter()
            await ws.send(json.dumps({"id": i + 2, "publish": {"channel": "lat", "data": {"i": i}}}))
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("id") == i + 2:
                    break
            if "error" in reply:
                raise SystemExit(f"publish failed: {reply}")
            out.append((time.perf_counter() - t) * 1000)
        return out


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def run_setup(herald, tmp, nodes, redis, seconds):
    cfg = os.path.join(tmp, f"n{nodes}-{'redis' if redis else 'sqlite'}.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG)
        if redis:
            f.write(f'[engine]\ntype = "redis"\nredis_addresses = ["127.0.0.1:{redis.port}"]\n')
    procs = []
    try:
        for i in range(nodes):
            procs.append(start_node(herald, cfg, os.path.join(tmp, f"data-{time.monotonic_ns()}-{i}")))
        urls = [f"ws://127.0.0.1:{port}/connection/websocket" for _, port in procs]
        before = command_calls(redis.port) if redis else (0, 0)
        out = subprocess.run(["taskset", "-c", "1", herald, "bench", "fanout", "--protocol", "centrifugo",
                              "--url", ",".join(urls), "-c", "1000", "--publishers", "1", "--size", "32",
                              "--rate", "0", "--inflight", "8", "-d", str(seconds), "--warmup", "1",
                              "--json", "-q", "-t", "1"], capture_output=True, text=True, check=False)
        after = command_calls(redis.port) if redis else (0, 0)
        rep = json.loads(out.stdout)["metrics"]
        if rep.get("missing") or rep.get("duplicates") or rep.get("out_of_order") or rep.get("corrupt"):
            raise SystemExit(f"fan-out check failed: {rep}")
        published = rep["messages_published"]
        lat = asyncio.run(publish_latency(urls[0], 2000))
        return {"delivered": rep["delivered_per_second"],
                "scripts_per_pub": (after[0] - before[0]) / published if redis and published else None,
                "commands_per_pub": (after[1] - before[1]) / published if redis and published else None,
                "p50": percentile(lat, 0.5), "p99": percentile(lat, 0.99)}
    finally:
        for proc, _ in procs:
            stop(proc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5)
    a = ap.parse_args()
    build = os.environ.get("HERALD_BUILD_DIR", "build/release")
    herald = os.path.join(build, "src/app/herald")
    setups = [("sqlite, 1 node", 1, False), ("redis, 1 node", 1, True), ("redis, 2 nodes", 2, True),
              ("redis, 3 nodes", 3, True)]
    results = {name: [] for name, _, _ in setups}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            for name, nodes, with_redis in setups:
                redis = Redis(os.path.join(tmp, f"redis-{r}-{nodes}")) if with_redis else None
                try:
                    results[name].append(run_setup(herald, tmp, nodes, redis, a.seconds))
                finally:
                    if redis:
                        redis.stop()
                print(f"round {r + 1} {name}: {results[name][-1]}", flush=True)

    def summary(values, fmt="{:,.0f}"):
        values = [v for v in values if v is not None]
        if not values:
            return "n/a"
        return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"

    print("\n| setup | delivered/s (1 -> 1000 x 32 B) | round trips to Redis per publication | commands Redis runs per publication | publish p50 ms | publish p99 ms |")
    print("|---|---|---|---|---|---|")
    for name, _, _ in setups:
        rs = results[name]
        print(f"| {name} | {summary([x['delivered'] for x in rs])} | "
              f"{summary([x['scripts_per_pub'] for x in rs], '{:.2f}')} | "
              f"{summary([x['commands_per_pub'] for x in rs], '{:.2f}')} | "
              f"{summary([x['p50'] for x in rs], '{:.3f}')} | {summary([x['p99'] for x in rs], '{:.3f}')} |")


if __name__ == "__main__":
    sys.exit(main())
