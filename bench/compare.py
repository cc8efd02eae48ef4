#!/usr/bin/python3
"""Side-by-side runs of Herald and peer WebSocket servers, interleaved.

For each repetition, each scenario runs against every server in turn
(A B C A B C ...), the server pinned to core 0 and `herald bench` to core 1,
so that a noisy machine hurts everyone alike. Prints a Markdown table of
medians (with min-max) and Herald/peer ratios, and the exact commands.

  bench/compare.py --peers herald,uws,beast,websocketpp,node --repeat 3

Servers come from bench/peers/peer.sh NAME PORT MODE (HERALD_PEER_CMD_<NAME>
adds one built outside the repository). Stdlib only; run with /usr/bin/python3.
"""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SCENARIOS = {
    # name: (server mode, herald bench arguments)
    "echo 100 x 32 B": ("echo", ["echo", "-c", "100", "-s", "32", "--inflight", "1"]),
    "echo 1000 x 4 KiB": ("echo", ["echo", "-c", "1000", "-s", "4096", "--inflight", "1"]),
    "fanout 1 -> 1000 x 32 B": ("broadcast", ["fanout", "--publishers", "1", "-c", "1000", "-s", "32", "--rate", "0"]),
}


def start(peer, mode):
    proc = subprocess.Popen(["taskset", "-c", "0", os.path.join(HERE, "peers", "peer.sh"), peer, "0", mode],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on [^:]+:(\d+)", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"{peer} did not start: {line!r}")
    return proc, int(m.group(1))


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def server_pid(proc):
    # peer.sh execs the server (taskset then exec), so the PID is the server's.
    return proc.pid


def run_one(herald, peer, scenario, seconds, warmup):
    mode, args = SCENARIOS[scenario]
    proc, port = start(peer, mode)
    try:
        cmd = ["taskset", "-c", "1", herald, "bench", *args, "--url", f"ws://127.0.0.1:{port}/",
               "-d", str(seconds), "--warmup", str(warmup), "-t", "1", "-q", "--json",
               "--server-pid", str(server_pid(proc))]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + warmup + 120)
        report = json.loads(out.stdout)
        m, lat = report["metrics"], report["latency"]
        rate = m.get("messages_per_second") or m.get("delivered_per_second") or 0
        return {"rate": rate, "p99_us": lat["p99_us"], "cpu": m.get("server_cpu_seconds_per_million_messages")
                or m.get("server_cpu_seconds_per_million_deliveries"), "ok": report.get("ok", False),
                "cmd": " ".join(["herald"] + cmd[4:])}
    finally:
        stop(proc)


def fmt(values, digits=0):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    med = statistics.median(values)
    return f"{med:,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", default="herald,beast,websocketpp,node")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--herald", default=os.path.join(ROOT, "build", "release", "src", "app", "herald"))
    opts = ap.parse_args()
    peers = opts.peers.split(",")
    scenarios = opts.scenarios.split(",")
    results = {(s, p): [] for s in scenarios for p in peers}
    commands = {}
    for r in range(opts.repeat):
        for s in scenarios:
            for p in peers:
                res = run_one(opts.herald, p, s, opts.seconds, opts.warmup)
                results[(s, p)].append(res)
                commands[s] = res["cmd"]
                print(f"[{r + 1}/{opts.repeat}] {s:24} {p:12} {res['rate']:>12,.0f}/s p99 {res['p99_us']:>9,.0f} us "
                      f"cpu/M {res['cpu']} {'' if res['ok'] else 'CHECK FAILED'}", file=sys.stderr, flush=True)
    print(f"Interleaved runs, {opts.repeat} repetitions of {opts.seconds:g} s after {opts.warmup:g} s warm-up; "
          "medians with min–max.\n")
    print("| scenario | server | messages/s | p99 latency (µs) | server CPU s per 1M | Herald/peer msgs/s | all checks |")
    print("|---|---|---|---|---|---|---|")
    for s in scenarios:
        base = statistics.median(x["rate"] for x in results[(s, "herald")]) if "herald" in peers else None
        for p in peers:
            rs = results[(s, p)]
            med = statistics.median(x["rate"] for x in rs)
            ratio = f"{base / med:.2f}" if base and p != "herald" and med else "—"
            print(f"| {s} | {p} | {fmt([x['rate'] for x in rs])} | {fmt([x['p99_us'] for x in rs])} | "
                  f"{fmt([x['cpu'] for x in rs], 2)} | {ratio} | {'yes' if all(x['ok'] for x in rs) else 'NO'} |")
    print("\nLoad commands (`herald bench`, pinned with `taskset -c 1`; servers with `taskset -c 0`):\n")
    for s, c in commands.items():
        print(f"- {s}: `{c.split(' --url')[0]} --url ws://127.0.0.1:PORT/ -d SECONDS --warmup 1 -t 1 -q --json --server-pid PID`")


if __name__ == "__main__":
    main()
