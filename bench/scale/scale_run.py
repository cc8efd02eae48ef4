#!/usr/bin/env python3
"""Idle connections at scale: many Herald server processes sharing one port
(SO_REUSEPORT), as many `herald bench idle` processes, and the memory each
connection costs, in user space (server RSS) and in the kernel (TCP socket
memory and slab), at several totals.

    HERALD_BUILD_DIR=build/release python3 bench/scale/scale_run.py --totals 10000,50000,100000,190000

One process may hold at most `ulimit -Hn` descriptors (20,000 here), so a
total of T connections uses ceil(T / 19,000) servers and as many load
processes; each load process spreads its connections over 127.0.0.1..10 as
source addresses (28,000 ephemeral ports per source/destination pair).
Servers run examples/echo_server --threads 1 (the raw engine); with
--serve, `herald serve` (each client connected and subscribed to a channel
through the Centrifugo protocol).
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time

PER_PROCESS = 19_000


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def sockstat_tcp_mem_bytes() -> int:
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def slab_bytes() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("Slab:"):
                return int(line.split()[1]) * 1024
    return 0


def free_port() -> int:
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_total(build: str, total: int, serve: bool, hold: float) -> dict:
    herald = os.path.join(build, "src/app/herald")
    procs = math.ceil(total / PER_PROCESS)
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="herald-scale-")
    servers = []
    for i in range(procs):
        if serve:
            cfg = os.path.join(tmp, "serve.toml")
            with open(cfg, "w") as f:
                f.write("[client]\nallow_anonymous = true\nmax_connections = 100000\n"
                        "[channel]\nallow_subscribe_for_anonymous = true\n")
            cmd = [herald, "serve", "--config", cfg, "--port", str(port), "--threads", "1", "--data-dir",
                   os.path.join(tmp, f"data{i}"), "--log-level", "warn"]
        else:
            cmd = [os.path.join(build, "examples/echo_server"), "--port", str(port), "--threads", "1"]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if not p.stdout.readline().startswith(b"listening on"):
            raise SystemExit("a server did not start")
        servers.append(p)
    time.sleep(0.5)
    rss0 = sum(rss_bytes(p.pid) for p in servers)
    tcp0, slab0 = sockstat_tcp_mem_bytes(), slab_bytes()
    url = f"ws://127.0.0.1:{port}/connection/websocket" if serve else f"ws://127.0.0.1:{port}/"
    loads = []
    share = [total // procs + (1 if i < total % procs else 0) for i in range(procs)]
    for n in share:
        args = [herald, "bench", "idle", "--url", url, "-c", str(n), "-d", str(hold), "-t", "1",
                "--concurrency", "200", "--source-addresses", "10", "--json", "-q"]
        if serve:
            args += ["--protocol", "centrifugo"]
        loads.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    # Sample while everything is held: the servers' RSS and the kernel's.
    opened_at = time.monotonic()
    peak = {"rss": 0, "tcp": 0, "slab": 0, "established": 0}
    while any(l.poll() is None for l in loads):
        established = 0
        with open("/proc/net/sockstat") as f:
            m = re.search(r"TCP: inuse (\d+)", f.read())
            established = int(m.group(1)) if m else 0
        if established >= peak["established"]:
            peak = {"rss": sum(rss_bytes(p.pid) for p in servers), "tcp": sockstat_tcp_mem_bytes(),
                    "slab": slab_bytes(), "established": established}
        time.sleep(0.5)
    reports = [l.communicate()[0] for l in loads]
    import json
    opened = sum(json.loads(r)["metrics"].get("connections_opened", 0) for r in reports if r.strip())
    failed = sum(json.loads(r)["metrics"].get("connections_failed", 0) for r in reports if r.strip())
    for p in servers:
        p.terminate()
    for p in servers:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    return {
        "total": total, "servers": procs, "opened": opened, "failed": failed,
        "server_rss_per_conn": (peak["rss"] - rss0) / max(opened, 1),
        # Both ends of every connection are on this machine: the kernel
        # figures cover two sockets per connection.
        "kernel_tcp_per_conn": (peak["tcp"] - tcp0) / max(opened, 1),
        "kernel_slab_per_conn": (peak["slab"] - slab0) / max(opened, 1),
        "seconds": time.monotonic() - opened_at,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--totals", default="10000,50000,100000,190000")
    ap.add_argument("--hold", type=float, default=15)
    ap.add_argument("--serve", action="store_true", help="herald serve with the Centrifugo protocol")
    a = ap.parse_args()
    build = os.environ.get("HERALD_BUILD_DIR", "build/release")
    print(f"{'total':>8} {'servers':>7} {'opened':>8} {'failed':>6} {'server RSS/conn':>16} "
          f"{'kernel TCP mem/conn':>20} {'kernel slab/conn':>17}")
    for total in [int(t) for t in a.totals.split(",")]:
        r = run_total(build, total, a.serve, a.hold)
        print(f"{r['total']:>8} {r['servers']:>7} {r['opened']:>8} {r['failed']:>6} {r['server_rss_per_conn']:>14.0f} B "
              f"{r['kernel_tcp_per_conn']:>18.0f} B {r['kernel_slab_per_conn']:>15.0f} B", flush=True)
        time.sleep(3)


if __name__ == "__main__":
    sys.exit(main())
