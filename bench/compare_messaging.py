#!/usr/bin/env python3
"""herald serve against Centrifugo v6 and Socket.IO 4.8, interleaved, on one machine.

Issue 18's first slice: the same load against the messaging servers people
would pick instead of Herald, in one run, so the ratios mean something.

    bench/peers/centrifugo/install.sh && bench/peers/socketio/install.sh
    HERALD_BIN=build/release/src/app/herald HERALD_BROADCAST_BIN=build/release/examples/broadcast \
      python3 bench/compare_messaging.py [--rounds 3] [--seconds 5] [--scenarios fanout1k,idle10k] [--out F]
    python3 bench/compare_messaging.py --report F      # the tables of a saved run again

Scenarios: fanout1k (1 publisher -> 1,000 subscribers of one channel, 32 B,
--rate 0 --inflight 8, as bench/server_protocol.py), fanout1k-w64 (the same
with --inflight 64), fanout10k (1 -> 10,000), idle10k (10,000 clients
connected and subscribed: server RSS per client, and the connect+subscribe
rate while opening them).

Servers (a fresh process for every cell, pinned to core 0 with `taskset -c 0`,
one thread of work each):
  engine                   the raw engine's examples/broadcast --threads 1 (fan-out
                           only, `herald bench` without --protocol): issue 18's
                           "messaging fan-out at least 0.9x the raw engine's"
  herald-json, herald-pb   `herald serve --threads 1`, CONFIG_HERALD below; the
                           load speaks the Centrifugo protocol in JSON or Protobuf
  centrifugo-json, -pb     Centrifugo v6 (bench/peers/centrifugo/install.sh),
                           GOMAXPROCS=1, centrifugo_config() below; same load
  socketio                 bench/peers/socketio/server.mjs (Node's one thread)

Load, pinned to core 1 (`taskset -c 1`): `herald bench ... --protocol
centrifugo --format json|protobuf -t 1` for Herald and Centrifugo, and
bench/peers/socketio/load.mjs (socket.io-client, same shape and checks) for
Socket.IO. Server CPU per million deliveries comes from /proc/PID/stat over
the measured window (the load tool reads it); this script also samples the
load process's and the server's CPU from /proc every 0.2 s to say which core
ran out, and the machine's other busy time (from /proc/stat: another
user's work, or kernel time charged to neither) as a noise figure. This
machine is shared: before each cell the script waits for the machine to be
quiet (--quiet-below, --quiet-for), and a fan-out cell whose other busy time passed
--max-other is discarded and run again (at most --retries times; the last
run is kept whatever it shows, and the table's "other CPU %" says so).
Every round runs each scenario against every server in turn
(A B C D E, A B C D E, ...); `uptime`'s load average is recorded before each
round and cell.

Prints Markdown tables (medians with min-max, ratios Herald/peer) and, with
--out FILE, writes every cell's raw report as JSON. Stdlib only.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SOCKETIO_DIR = os.path.join(HERE, "peers", "socketio")

# herald serve: what bench/server_protocol.py uses. The engine is the default
# (`sqlite`): with no history configured nothing is stored, channels and
# offsets live in memory. commands_per_second/command_burst are raised so the
# publisher's publish commands are not refused with 111 (default 100/s).
CONFIG_HERALD = """\
[client]
allow_anonymous = true
commands_per_second = 1000000
command_burst = 1000000
[channel]
allow_subscribe_for_anonymous = true
allow_publish_for_anonymous = true
"""


def centrifugo_config(port):
    """Centrifugo v6 options set for the runs (everything else is its default).

    Memory engine, no history, no presence (the defaults); anonymous clients
    may connect without a token, subscribe and publish (Centrifugo needs both
    the *_for_client and the *_for_anonymous option for a user-less client);
    the per-client write queue raised from 1 MiB to Herald's 4 MiB
    (client.queue_max_size, Herald's client.write_queue_bytes). Centrifugo's
    open-source server has no per-client command rate limit to raise.
    """
    return {
        "http_server": {"address": "127.0.0.1", "port": str(port)},
        "log": {"level": "error"},
        "engine": {"type": "memory"},
        "usage_stats": {"disabled": True},
        "health": {"enabled": True},
        "client": {"allow_anonymous_connect_without_token": True, "queue_max_size": 4 * 1024 * 1024},
        "channel": {"without_namespace": {
            "allow_subscribe_for_client": True, "allow_subscribe_for_anonymous": True,
            "allow_publish_for_client": True, "allow_publish_for_anonymous": True,
        }},
    }


SERVERS = ["engine", "herald-json", "herald-pb", "centrifugo-json", "centrifugo-pb", "socketio"]
FORMAT = {"herald-json": "json", "herald-pb": "protobuf", "centrifugo-json": "json", "centrifugo-pb": "protobuf"}
# Which Herald cell each peer is compared with.
HERALD_FOR = {"engine": "herald-json", "centrifugo-json": "herald-json", "centrifugo-pb": "herald-pb", "socketio": "herald-json"}

SCENARIOS = {
    # name: (kind, subscribers, extra fan-out args)
    "fanout1k": ("fanout", 1000, ["--inflight", "8"]),
    "fanout1k-w64": ("fanout", 1000, ["--inflight", "64"]),
    "fanout10k": ("fanout", 10000, ["--inflight", "8"]),
    "idle10k": ("idle", 10000, []),
}
TITLES = {
    "fanout1k": "fan-out 1 -> 1,000 x 32 B, --rate 0 --inflight 8",
    "fanout1k-w64": "fan-out 1 -> 1,000 x 32 B, --rate 0 --inflight 64",
    "fanout10k": "fan-out 1 -> 10,000 x 32 B, --rate 0 --inflight 8",
    "idle10k": "idle, 10,000 clients connected and subscribed",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg():
    return round(os.getloadavg()[0], 2)


class Server:
    def __init__(self, name, tools, tmp):
        self.name = name
        self.proc = None
        self.url = None
        env = dict(os.environ)
        if name == "engine":
            self._start([tools["broadcast"], "--port", "0", "--threads", "1"], env, announces=True)
            self.url = f"ws://127.0.0.1:{self.port}/"
        elif name.startswith("herald"):
            cmd = [tools["herald"], "serve", "--config", tools["herald_config"], "--port", "0", "--threads", "1",
                   "--data-dir", os.path.join(tmp, "herald-data"), "--log-level", "warn"]
            self._start(cmd, env, announces=True)
            self.url = f"ws://127.0.0.1:{self.port}/connection/websocket"
        elif name.startswith("centrifugo"):
            self.port = free_port()
            cfg = os.path.join(tmp, "centrifugo.json")
            with open(cfg, "w") as f:
                json.dump(centrifugo_config(self.port), f)
            env["GOMAXPROCS"] = "1"
            self._start([tools["centrifugo"], "--config", cfg], env, announces=False)
            self._wait_health(f"http://127.0.0.1:{self.port}/health")
            self.url = f"ws://127.0.0.1:{self.port}/connection/websocket"
        else:
            self._start(["node", os.path.join(SOCKETIO_DIR, "server.mjs"), "0"], env, announces=True)
            self.url = f"http://127.0.0.1:{self.port}"

    def _start(self, cmd, env, announces):
        # taskset execs the server, so the PID is the server's.
        self.proc = subprocess.Popen(["taskset", "-c", "0", *cmd], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        if announces:
            line = self.proc.stdout.readline()
            if not line.startswith("listening on "):
                self.stop()
                raise RuntimeError(f"{self.name} did not start: {line!r}")
            self.port = int(line.rsplit(":", 1)[1])

    def _wait_health(self, url):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name}: {url} not healthy in 20 s")

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds():
    """CPU seconds all cores spent busy (everything but idle and iowait), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


class Sampler(threading.Thread):
    """CPU seconds of the load process, the server and the whole machine, every 0.2 s."""

    def __init__(self, load_pid, server_pid):
        super().__init__(daemon=True)
        self.load_pid, self.server_pid = load_pid, server_pid
        self.samples = []  # (monotonic, load cpu, server cpu, machine busy cpu)
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            load, server = cpu_seconds(self.load_pid), cpu_seconds(self.server_pid)
            if load is not None and server is not None:
                self.samples.append((time.monotonic(), load, server, machine_busy_seconds()))
            self.done.wait(0.2)

    def percent(self, start, end):
        """CPU use of (load, server, everything else on the machine) between two
        monotonic times, % of a core. "Everything else" is the noise: another
        user's work, and kernel time not charged to either process."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return None, None, None
        a, b = inside[0], inside[-1]
        wall = b[0] - a[0]
        load, server, busy = (b[i] - a[i] for i in (1, 2, 3))
        # Sampling three counters at slightly different instants can make the
        # difference a little negative on a quiet machine: that is 0.
        return tuple(round(100 * v / wall, 1) for v in (load, server, max(0.0, busy - load - server)))


def load_command(server, kind, subscribers, extra, tools, a):
    if server.name == "socketio":
        cmd = ["node", os.path.join(SOCKETIO_DIR, "load.mjs"), kind, "--url", server.url, "-c", str(subscribers)]
    elif server.name == "engine":
        cmd = [tools["herald"], "bench", kind, "--url", server.url, "-c", str(subscribers), "-t", "1", "-q"]
    else:
        cmd = [tools["herald"], "bench", kind, "--protocol", "centrifugo", "--format", FORMAT[server.name],
               "--url", server.url, "-c", str(subscribers), "-t", "1", "-q"]
    if kind == "fanout":
        cmd += ["--publishers", "1", "--size", "32", "--rate", "0", *extra, "-d", str(a.seconds),
                "--warmup", str(a.warmup)]
    else:
        cmd += ["-d", str(a.idle_hold)]
    return cmd + ["--json", "--server-pid", str(server.pid)]


def display(cmd):
    """The load command as the docs show it: tools by name, files relative to the repository."""
    shown = [os.path.basename(cmd[0])]
    for c in cmd[1:]:
        shown.append(os.path.relpath(c, ROOT) if c.startswith(ROOT + os.sep) else c)
    return " ".join(shown)


def run_cell(name, scenario, tools, a):
    kind, subscribers, extra = SCENARIOS[scenario]
    load_before = loadavg()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(name, tools, tmp)
        try:
            cmd = load_command(server, kind, subscribers, extra, tools, a)
            started = time.monotonic()
            proc = subprocess.Popen(["taskset", "-c", "1", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            sampler = Sampler(proc.pid, server.pid)
            sampler.start()
            try:
                out, err = proc.communicate(timeout=a.seconds + a.warmup + a.idle_hold + 300)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            finally:
                if proc.poll() is None:  # interrupted: the load goes with us
                    proc.kill()
                    proc.wait()
                sampler.done.set()
                sampler.join()
        finally:
            server.stop()
    try:
        report = json.loads(out)
    except json.JSONDecodeError:
        return {"server": name, "scenario": scenario, "error": (err or out)[-2000:], "loadavg": load_before}
    m = report.get("metrics", {})
    cell = {"server": name, "scenario": scenario, "loadavg": load_before, "ok": report.get("ok", False),
            "failures": report.get("failures", []), "command": display(cmd),
            "report": report}
    if kind == "fanout":
        # The measured window, as the load tool reports it: after connecting and the warm-up.
        start = started + m.get("connect_seconds", 0) + a.warmup
        load_pct, server_pct, other_pct = sampler.percent(start, start + m.get("measured_seconds", a.seconds))
        lat = report.get("latency", {})
        cell.update(delivered=m.get("delivered_per_second"), cpu=m.get("server_cpu_seconds_per_million_deliveries"),
                    server_pct=m.get("server_cpu_percent", server_pct), load_pct=load_pct, other_pct=other_pct,
                    p50=lat.get("p50_us"), p99=lat.get("p99_us"))
    else:
        cell.update(rss=m.get("server_rss_bytes_per_connection"), opened=m.get("connections_opened"),
                    rss_open_mib=m.get("server_rss_open_mib"), rss_end_mib=m.get("server_rss_end_mib"),
                    rss_before_mib=m.get("server_rss_before_mib"), connect_rate=m.get("connections_per_second"),
                    connect_cpu=m.get("server_cpu_connecting_seconds"))
        if cell["connect_cpu"] is not None and cell["opened"]:
            # Server CPU seconds per 1,000 clients connected and subscribed.
            cell["connect_cpu_per_k"] = cell["connect_cpu"] / cell["opened"] * 1000
        if m.get("server_rss_end_mib") is not None and m.get("server_rss_before_mib") is not None and cell["opened"]:
            cell["rss_end"] = (m["server_rss_end_mib"] - m["server_rss_before_mib"]) * 1048576 / cell["opened"]
    return cell


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(values, digits=0):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def paired(herald, peer, key, herald_over_peer, digits=2):
    """The ratio's range over rounds, each round's Herald cell against the same round's peer cell."""
    h = {c["round"]: c.get(key) for c in herald}
    ratios = [(h[c["round"]] / c[key] if herald_over_peer else c[key] / h[c["round"]])
              for c in peer if c.get(key) and h.get(c["round"])]
    return f"({min(ratios):.{digits}f}–{max(ratios):.{digits}f})" if ratios else ""


def limiter(cells):
    """Which side ran out in most rounds: the server's core, the load's, or neither."""
    votes = []
    for c in cells:
        s, l = c.get("server_pct") or 0, c.get("load_pct") or 0
        votes.append("both cores" if s >= 90 and l >= 90 else "server core" if s >= 90 else
                     "load core" if l >= 90 else "neither core (the window)")
    return max(set(votes), key=votes.count) if votes else "n/a"


def print_tables(results, scenarios, servers, a):
    for sc in scenarios:
        kind = SCENARIOS[sc][0]
        print(f"\n### {TITLES[sc]}\n")
        by = {s: [c for c in results if c["scenario"] == sc and c["server"] == s and "error" not in c] for s in servers}
        if kind == "fanout":
            print("| server | delivered/s | p50 latency (ms) | p99 latency (ms) | server CPU s per 1M deliveries "
                  "| server CPU % | load CPU % | other CPU % | limited by | Herald/peer delivered/s | Herald/peer deliveries per "
                  "server CPU-s | checks |")
            print("|---|---|---|---|---|---|---|---|---|---|---|---|")
            for s in servers:
                cs = by[s]
                if not cs:
                    continue
                ratio_rate = ratio_cpu = "—"
                h = HERALD_FOR.get(s)
                if h in by and by[h]:
                    hr, pr = med([c["delivered"] for c in by[h]]), med([c["delivered"] for c in cs])
                    hc, pc = med([c["cpu"] for c in by[h]]), med([c["cpu"] for c in cs])
                    if hr and pr:
                        ratio_rate = f"{hr / pr:.2f} {paired(by[h], cs, 'delivered', herald_over_peer=True)} (vs {h})"
                    if hc and pc:
                        ratio_cpu = f"{pc / hc:.2f} {paired(by[h], cs, 'cpu', herald_over_peer=False)}"
                print(f"| {s} | {fmt([c['delivered'] for c in cs])} | "
                      f"{fmt([c['p50'] / 1000 if c['p50'] else None for c in cs], 2)} | "
                      f"{fmt([c['p99'] / 1000 if c['p99'] else None for c in cs], 2)} | "
                      f"{fmt([c['cpu'] for c in cs], 3)} | {fmt([c['server_pct'] for c in cs])} | "
                      f"{fmt([c['load_pct'] for c in cs])} | {fmt([c['other_pct'] for c in cs])} | {limiter(cs)} | {ratio_rate} | {ratio_cpu} | "
                      f"{'all passed' if all(c['ok'] for c in cs) else 'FAILED: ' + '; '.join(sum((c['failures'] for c in cs), []))} |")
        else:
            print("| server | clients subscribed | server RSS per client, all subscribed (bytes) | "
                  "at the end of the hold (bytes) | peer/Herald | connect+subscribe/s while opening | "
                  "server CPU s per 1,000 opened | checks |")
            print("|---|---|---|---|---|---|---|---|")
            for s in servers:
                cs = by[s]
                if not cs:
                    continue
                ratio = "—"
                h = HERALD_FOR.get(s)
                if h in by and by[h]:
                    hr, pr = med([c["rss"] for c in by[h]]), med([c["rss"] for c in cs])
                    if hr and pr:
                        ratio = f"{pr / hr:.1f} {paired(by[h], cs, 'rss', herald_over_peer=False, digits=1)} (vs {h})"
                print(f"| {s} | {fmt([c['opened'] for c in cs])} | {fmt([c['rss'] for c in cs])} | "
                      f"{fmt([c.get('rss_end') for c in cs])} | {ratio} | {fmt([c.get('connect_rate') for c in cs])} | "
                      f"{fmt([c.get('connect_cpu_per_k') for c in cs], 3)} | "
                      f"{'all passed' if all(c['ok'] for c in cs) else 'FAILED'} |")
        errors = [c for c in results if c["scenario"] == sc and "error" in c]
        for c in errors:
            print(f"\n{c['server']}: no report: {c['error']!r}")
    print("\nLoad commands (pinned with `taskset -c 1`; PORT and PID vary):\n")
    seen = set()
    for c in results:
        key = (c["scenario"], c["server"])
        if "command" in c and key not in seen:
            seen.add(key)
            print(f"- {c['scenario']}, {c['server']}: `{c['command']}`")


def log_cell(r, sc, s, cell):
    if "error" in cell:
        desc = "NO REPORT: " + cell["error"][-300:]
    elif SCENARIOS[sc][0] == "fanout":
        desc = (f"{cell['delivered'] or 0:>11,.0f}/s p50 {(cell['p50'] or 0) / 1000:7.2f} ms "
                f"p99 {(cell['p99'] or 0) / 1000:7.2f} ms cpu/M {cell['cpu']} "
                f"server {cell['server_pct']}% load {cell['load_pct']}% other {cell['other_pct']}%")
    else:
        desc = f"{cell['opened']} clients, {cell['rss']} B/client (end {cell.get('rss_end'):.0f})"
    ok = "" if cell.get("ok") else " CHECK FAILED " + "; ".join(cell.get("failures", []))
    print(f"  [{r + 1}] {sc:12} {s:16} load {cell['loadavg']:5.2f}  {desc}{ok}", file=sys.stderr, flush=True)


def wait_quiet(below, patience, quiet_for):
    """Waits until the machine, with none of ours running, has been busy less
    than `below` % of a core in every 2 s for `quiet_for` s in a row (a test
    suite's pauses between tests are shorter); gives up after `patience` s.
    Returns the busy figure of the last 2 s (% of a core)."""
    deadline = time.monotonic() + patience
    quiet_since = last_said = time.monotonic()
    said = False
    while True:
        a, t0 = machine_busy_seconds(), time.monotonic()
        time.sleep(2)
        busy = round(100 * (machine_busy_seconds() - a) / (time.monotonic() - t0), 1)
        if busy >= below:
            quiet_since = time.monotonic()
            if not said or time.monotonic() - last_said > 60:
                print(f"      machine busy {busy}% of a core: waiting for quiet", file=sys.stderr, flush=True)
                said, last_said = True, time.monotonic()
        if time.monotonic() - quiet_since >= quiet_for or time.monotonic() > deadline:
            return busy


def interrupted(*_):
    raise KeyboardInterrupt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5, help="fan-out: seconds measured")
    ap.add_argument("--warmup", type=float, default=1, help="fan-out: seconds of traffic before measuring")
    ap.add_argument("--idle-hold", type=float, default=2, help="idle: seconds held")
    ap.add_argument("--scenarios", default="fanout1k,idle10k", help=",".join(SCENARIOS))
    ap.add_argument("--servers", default=",".join(SERVERS))
    ap.add_argument("--herald", default=os.environ.get("HERALD_BIN", os.path.join(ROOT, "build", "release", "src",
                                                                                   "app", "herald")))
    ap.add_argument("--broadcast", default=os.environ.get("HERALD_BROADCAST_BIN", os.path.join(
        ROOT, "build", "release", "examples", "broadcast")), help="the raw engine's examples/broadcast")
    ap.add_argument("--centrifugo", default=None, help="default: what bench/peers/centrifugo/install.sh built")
    ap.add_argument("--out", help="write every cell's raw report here (JSON)")
    ap.add_argument("--report", metavar="FILE", help="print the tables of a run saved with --out, run nothing")
    ap.add_argument("--quiet-below", type=float, default=10,
                    help="before each cell, wait until the machine is busy less than this %% of a core")
    ap.add_argument("--quiet-for", type=float, default=10, help="... for this many seconds in a row")
    ap.add_argument("--quiet-wait", type=float, default=1800, help="... waiting at most this many seconds")
    ap.add_argument("--max-other", type=float, default=15,
                    help="fan-out: rerun a cell whose other CPU (not server, not load) passed this %% of a core")
    ap.add_argument("--retries", type=int, default=3, help="... at most this many times")
    a = ap.parse_args()
    # SIGTERM unwinds like ^C, so the running server and load are stopped.
    signal.signal(signal.SIGTERM, interrupted)
    scenarios, servers = a.scenarios.split(","), a.servers.split(",")
    if a.report:
        with open(a.report) as f:
            saved = json.load(f)
        cells, args = saved["cells"], argparse.Namespace(**saved["args"])
        summary(cells, saved["began"], saved["ended"], args)
        print_tables(cells, args.scenarios.split(","), args.servers.split(","), args)
        return
    for s in scenarios:
        if s not in SCENARIOS:
            raise SystemExit(f"unknown scenario {s}; known: {', '.join(SCENARIOS)}")
    for s in servers:
        if s not in SERVERS:
            raise SystemExit(f"unknown server {s}; known: {', '.join(SERVERS)}")
    tools = {"herald": a.herald, "broadcast": a.broadcast}
    if any(s.startswith("centrifugo") for s in servers):
        tools["centrifugo"] = a.centrifugo or subprocess.run(
            [os.path.join(HERE, "peers", "centrifugo", "install.sh")], check=True, capture_output=True,
            text=True).stdout.strip().splitlines()[-1]
    if "socketio" in servers and not os.path.isdir(os.path.join(SOCKETIO_DIR, "node_modules", "socket.io")):
        raise SystemExit("run bench/peers/socketio/install.sh first")
    if not shutil.which("taskset"):
        raise SystemExit("taskset (util-linux) is needed")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tools["herald_config"] = os.path.join(tmp, "herald.toml")
        with open(tools["herald_config"], "w") as f:
            f.write(CONFIG_HERALD)
        began = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        for r in range(a.rounds):
            print(f"round {r + 1}/{a.rounds}: uptime load average {os.getloadavg()}", file=sys.stderr, flush=True)
            for sc in scenarios:
                for s in servers:
                    if s == "engine" and SCENARIOS[sc][0] != "fanout":
                        continue  # the raw engine has no channels to subscribe to
                    discarded = []
                    while True:
                        quiet = wait_quiet(a.quiet_below, a.quiet_wait, a.quiet_for)
                        cell = run_cell(s, sc, tools, a)
                        cell.update(round=r + 1, quiet_before=quiet)
                        log_cell(r, sc, s, cell)
                        other = cell.get("other_pct")
                        if other is None or other <= a.max_other or len(discarded) >= a.retries:
                            break
                        discarded.append({k: cell.get(k) for k in ("delivered", "cpu", "p99", "other_pct", "loadavg")})
                        print(f"      other CPU {other}% > {a.max_other}%: discarded, run again", file=sys.stderr,
                              flush=True)
                    cell["discarded"] = discarded
                    results.append(cell)
                    time.sleep(0.5)
        ended = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"began": began, "ended": ended, "args": vars(a), "cells": results}, f, indent=1)
    summary(results, began, ended, a)
    print_tables(results, scenarios, servers, a)


def summary(results, began, ended, a):
    loads = [c["loadavg"] for c in results]
    print(f"Interleaved run {began} – {ended}: {a.rounds} rounds; fan-out {a.seconds:g} s measured after "
          f"{a.warmup:g} s warm-up; idle held {a.idle_hold:g} s. Load average (1 min) before each cell: "
          f"{min(loads):.2f}–{max(loads):.2f}, median {statistics.median(loads):.2f}. Medians with min–max.")
    reruns = sum(len(c.get("discarded", [])) for c in results)
    print(f"Each cell waited for the machine to be busy less than {a.quiet_below:g}% of a core for "
          f"{a.quiet_for:g} s in a row; {reruns} fan-out "
          f"cell(s) were discarded and run again because other work took more than {a.max_other:g}% of a core "
          f"during their window (the raw reports, with --out, keep them).")


if __name__ == "__main__":
    main()
