#!/usr/bin/env python3
"""herald serve through its client protocol, against the raw engine, in one run.

Issue 5's figures: 1 publisher -> 1000 subscribers of one channel through the
Centrifugo protocol (herald serve) against the engine's own broadcast example
(examples/broadcast) in the same interleaved run, and the server RSS per idle
client that is connected and subscribed to one channel. Issue 13 adds the
same two figures for the protocol's Protobuf variant (herald bench --format
protobuf), measured in the same rounds as JSON.

    HERALD_BUILD_DIR=build/release python3 bench/server_protocol.py [--rounds 3] [--seconds 5]

Servers run on core 0, the load generator on core 1 (taskset), one loop each.
Prints medians and min-max of each figure and the ratio herald serve / engine.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

CONFIG = """
[client]
allow_anonymous = true
commands_per_second = 1000000
command_burst = 1000000
[channel]
allow_subscribe_for_anonymous = true
allow_publish_for_anonymous = true
"""


def start(cmd):
    proc = subprocess.Popen(["taskset", "-c", "0", *cmd], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"server did not start: {cmd}: {line!r}")
    return proc, int(line.rsplit(":", 1)[1].split()[0])


def stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def bench(herald, args):
    out = subprocess.run(["taskset", "-c", "1", herald, "bench", *args, "--json", "-q", "-t", "1"],
                         capture_output=True, text=True, check=False)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"herald bench failed: {out.stderr}")


def metric(report, name):
    return report.get("metrics", {}).get(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--idle", type=int, default=10000)
    a = ap.parse_args()
    build = os.environ.get("HERALD_BUILD_DIR", "build/release")
    herald = os.path.join(build, "src/app/herald")
    broadcast = os.path.join(build, "examples/broadcast")
    fanout = ["fanout", "-c", "1000", "--publishers", "1", "--size", "32", "--rate", "0", "--inflight", "8",
              "-d", str(a.seconds), "--warmup", "1"]
    results = {"engine": [], "serve": [], "serve_pb": [], "engine_cpu": [], "serve_cpu": [], "serve_pb_cpu": [],
               "idle_rss": [], "idle_rss_pb": []}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "bench.toml")
        with open(cfg, "w") as f:
            f.write(CONFIG)
        serve_cmd = [herald, "serve", "--config", cfg, "--port", "0", "--threads", "1", "--data-dir",
                     os.path.join(tmp, "data"), "--log-level", "warn"]
        for r in range(a.rounds):
            proc, port = start([broadcast, "--port", "0", "--threads", "1"])
            rep = bench(herald, [*fanout, "--url", f"ws://127.0.0.1:{port}/", "--server-pid", str(proc.pid)])
            stop(proc)
            results["engine"].append(metric(rep, "delivered_per_second"))
            results["engine_cpu"].append(metric(rep, "server_cpu_seconds_per_million_deliveries"))
            for fmt, key in (("json", ""), ("protobuf", "_pb")):
                proc, port = start(serve_cmd)
                url = f"ws://127.0.0.1:{port}/connection/websocket"
                rep = bench(herald, [*fanout, "--protocol", "centrifugo", "--format", fmt, "--url", url,
                                     "--server-pid", str(proc.pid)])
                stop(proc)
                results["serve" + key].append(metric(rep, "delivered_per_second"))
                results["serve" + key + "_cpu"].append(metric(rep, "server_cpu_seconds_per_million_deliveries"))
            for fmt, key in (("json", ""), ("protobuf", "_pb")):
                proc, port = start(serve_cmd)
                url = f"ws://127.0.0.1:{port}/connection/websocket"
                rep = bench(herald, ["idle", "--protocol", "centrifugo", "--format", fmt, "-c", str(a.idle), "-d", "2",
                                     "--url", url, "--server-pid", str(proc.pid)])
                stop(proc)
                results["idle_rss" + key].append(metric(rep, "server_rss_bytes_per_connection"))
            print(f"round {r + 1}: " + ", ".join(f"{k}={v[-1]}" for k, v in results.items()), flush=True)
            time.sleep(1)

    def summary(values):
        values = [v for v in values if v is not None]
        if not values:
            return "n/a"
        return f"{statistics.median(values):,.3f} (min {min(values):,.3f}, max {max(values):,.3f})"

    print("\nfan-out 1 -> 1000 x 32 B, delivered/s:")
    print(f"  engine (examples/broadcast): {summary(results['engine'])}")
    print(f"  herald serve (JSON):         {summary(results['serve'])}")
    print(f"  herald serve (Protobuf):     {summary(results['serve_pb'])}")
    ratios = [s / e for s, e in zip(results["serve"], results["engine"]) if s and e]
    print(f"  ratio serve JSON/engine:     {summary(ratios)}")
    ratios = [p / s for p, s in zip(results["serve_pb"], results["serve"]) if p and s]
    print(f"  ratio Protobuf/JSON:         {summary(ratios)}")
    print("server CPU s per 1M deliveries:")
    print(f"  engine:         {summary(results['engine_cpu'])}")
    print(f"  serve JSON:     {summary(results['serve_cpu'])}")
    print(f"  serve Protobuf: {summary(results['serve_pb_cpu'])}")
    print(f"idle clients connected + subscribed ({a.idle}), server RSS bytes per client:")
    print(f"  JSON:     {summary(results['idle_rss'])}")
    print(f"  Protobuf: {summary(results['idle_rss_pb'])}")


if __name__ == "__main__":
    main()
