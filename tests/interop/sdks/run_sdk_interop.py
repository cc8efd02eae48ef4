"""Official Centrifugo SDKs against `herald serve`: one run per SDK and
protocol format, driving small SDK programs over the line protocol of
tests/interop/sdks/README.md.

    HERALD_BIN=build/release/src/app/herald \\
    /usr/bin/python3 tests/interop/sdks/run_sdk_interop.py --sdk go|python|java [--format json|protobuf]

Each run starts its own server (tests/support/herald_serve.py: 127.0.0.1, a
free port, stopped by PID), starts the program under test (S) and a peer
program (P) of another SDK in the other format, and checks, failing with the
programs' recent output and the server log:

  1. S connects with an HS256 JWT (the API's presence shows its user) and
     subscribes with recovery (recoverable, positioned);
  2. publications made through the HTTP API reach S and P byte for byte, at
     the offsets the API returned;
  3. S's publication reaches P and P's reaches S (JSON text, which both formats
     carry), at the same offset;
  4. presence lists S and P, presence_stats counts them, history returns every
     publication in order with its offset, epoch and top offset;
  5. subscribing to a channel the configuration refuses gets the server's code:
     103 for a namespace without allow_subscribe_for_client and for a private
     (`$`) channel without a subscription token, 102 for an unknown namespace;
  6. SIGKILL of the server, restart on the same port and data dir, publications
     through the API right after it (while the SDKs are in their reconnect
     backoff): S and P reconnect, get `subscribed` with wasRecovering and
     recovered, and over the whole run each acknowledged publication arrived
     exactly once, in offset order, byte for byte, and no program reconnected
     at any other time;
  7. Protobuf only: after P (JSON) left, bytes that are not UTF-8 published
     through the API with `b64data` reach S byte for byte and come back from
     history byte for byte; S's binary publication reaches a second Protobuf
     program (Q) byte for byte, and Q's reaches S; the HTTP API's history shows
     them as `b64data`.

The peer is "the other SDK": Python for Go and Java, Go for Python; P speaks
the other format (Java speaks only Protobuf, so its P is Python/JSON), Q speaks
Protobuf. A program that is not installed fails the run with a message naming
scripts/install-deps.sh.

Standard library only; ctest runs it with /usr/bin/python3.
"""
import argparse
import base64
import collections
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
from herald_serve import HeraldServer  # noqa: E402

SECRET = "sdk-interop-secret-0123456789abcdef"
API_KEY = "sdk-interop-api-key"
EVENT_TIMEOUT = 15.0   # any single wait for an event or a reply (a busy 2-core machine)
START_TIMEOUT = 20.0   # a program's first connect and subscribe (JVM and Python start-up)
QUIT_TIMEOUT = 10.0

CHANNEL = "sdk:interop"
CONFIG = f"""[client]
token_hmac_secret = "{SECRET}"

[api]
key = "{API_KEY}"

# The channel every program subscribes to: durable history (it must survive
# SIGKILL), presence, join/leave, and client publish for subscribers.
[[namespace]]
name = "sdk"
history_size = 1000
history_ttl = "10m"
durable = true
presence = true
join_leave = true
allow_subscribe_for_client = true
allow_publish_for_subscriber = true
allow_presence_for_subscriber = true
allow_history_for_subscriber = true

# A namespace clients may not subscribe to without a subscription token.
[[namespace]]
name = "locked"
"""

# Channel -> the code Herald answers a subscribe without a subscription token
# (docs/protocol.md, "subscribe"; docs/configuration.md, "Which options a channel gets").
REFUSED = [
    ("locked:room", 103),      # namespace without allow_subscribe_for_client
    ("$sdk:private", 103),     # private channel: needs a subscription token
    ("nowhere:room", 102),     # namespace not in the configuration
]

# Where each SDK program is, as scripts/install-deps.sh leaves it.
PROGRAMS = {
    "go": {"argv": [os.path.join(HERE, "go", "bin", "sdk-go")], "formats": ("json", "protobuf")},
    "python": {"argv": [os.path.join(HERE, "python", ".venv", "bin", "python"),
                        os.path.join(HERE, "python", "sdk_python.py")],
               "needs": [os.path.join(HERE, "python", ".venv", "bin", "python")],
               "formats": ("json", "protobuf")},
    "java": {"argv": [os.path.join(HERE, "java", "run.sh")], "formats": ("protobuf",)},
}


class CheckFailed(Exception):
    pass


T0 = time.monotonic()


def step(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.2f}s] {message}", flush=True)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def compact(value) -> bytes:
    """Compact JSON, no floats: the bytes every SDK gives back unchanged."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def make_token(user: str, ttl: int = 3600) -> str:
    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    now = int(time.time())
    head = part(compact({"alg": "HS256", "typ": "JWT"}))
    body = part(compact({"sub": user, "iat": now, "exp": now + ttl}))
    sig = hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{part(sig)}"


def api(server, method: str, body: dict) -> dict:
    """A server API call that must succeed: returns its result."""
    req = urllib.request.Request(f"{server.http_url}/api/{method}", data=json.dumps(body).encode(),
                                 headers={"X-API-Key": API_KEY, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=EVENT_TIMEOUT) as res:
            status, text = res.status, res.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode("utf-8", "replace")
    except OSError as err:
        raise CheckFailed(f"API {method} {json.dumps(body)[:200]}: {err}")
    try:
        reply = json.loads(text)
    except ValueError:
        reply = None
    if status != 200 or not isinstance(reply, dict) or "error" in reply or "result" not in reply:
        raise CheckFailed(f"API {method} {json.dumps(body)[:200]} failed: HTTP {status} {text[:500]}")
    return reply["result"]


def check_installed(sdk: str) -> None:
    spec = PROGRAMS[sdk]
    for path in spec.get("needs", spec["argv"][:1]):
        if not os.access(path, os.X_OK):
            raise CheckFailed(f"the {sdk} SDK program is not installed ({path} is missing or not "
                              f"executable): run scripts/install-deps.sh")


class Program:
    """One SDK program as a child process in a process group of its own: its
    events (stdout lines) in arrival order, commands with ids, and the last
    lines of stdout and stderr for failure reports."""

    def __init__(self, label: str, sdk: str, fmt: str, server, user: str):
        spec = PROGRAMS[sdk]
        check_installed(sdk)
        self.label, self.sdk, self.fmt, self.user = label, sdk, fmt, user
        # The Python SDK in JSON mode takes and gives JSON data as Python values
        # (json.dumps/json.loads inside the SDK), so its bytes are its own
        # serialization: data to or from it is compared as JSON values. Every
        # other program passes the bytes of the frame through (Go's
        # json.RawMessage, Protobuf's bytes).
        self.raw = not (sdk == "python" and fmt == "json")
        self.argv = spec["argv"] + ["--url", server.ws_url, "--token", make_token(user),
                                    "--channel", CHANNEL, "--format", fmt]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.events = []  # dicts with "_t" (monotonic arrival time) added
        self.cond = threading.Condition()
        self.out_tail = collections.deque(maxlen=60)
        self.err_tail = collections.deque(maxlen=60)
        self.next_id = 0
        self.eof = False
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def __str__(self):
        return f"{self.label} ({self.sdk}/{self.fmt})"

    def _read_stdout(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                self.out_tail.append(line)
                try:
                    ev = json.loads(line)
                    if not isinstance(ev, dict) or "event" not in ev:
                        raise ValueError
                except ValueError:
                    ev = {"event": "not-a-line-of-the-protocol", "line": line}
                ev["_t"] = time.monotonic()
                self.events.append(ev)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def _read_stderr(self):
        for raw in self.proc.stderr:
            with self.cond:
                self.err_tail.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def mark(self) -> int:
        with self.cond:
            return len(self.events)

    def wait(self, pred, what: str, since: int = 0, timeout: float = EVENT_TIMEOUT,
             fail_on=None) -> dict:
        """The first event at index >= since for which pred holds; fails at
        once on an event for which fail_on holds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events[since:]:
                    if pred(ev):
                        return ev
                    if fail_on and fail_on(ev):
                        raise CheckFailed(f"{self}: {ev} while waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    state = "exited with " + str(self.proc.poll()) if self.eof else f"nothing within {timeout:.0f} s"
                    raise CheckFailed(f"{self}: no {what} ({state})")
                self.cond.wait(left)

    def wait_publication(self, offset: int, since: int = 0, timeout: float = EVENT_TIMEOUT) -> dict:
        return self.wait(lambda e: e["event"] == "publication" and e.get("channel") == CHANNEL
                         and e.get("offset") == offset, f"publication at offset {offset} on {CHANNEL}",
                         since, timeout)

    def send(self, verb: str, *args) -> str:
        self.next_id += 1
        cmd_id = f"{self.label}{self.next_id}"
        line = " ".join([cmd_id, verb, *map(str, args)]) + "\n"
        try:
            self.proc.stdin.write(line.encode())
            self.proc.stdin.flush()
        except OSError as err:
            raise CheckFailed(f"{self}: cannot write command {line.strip()!r}: {err}")
        return cmd_id

    def reply(self, cmd_id: str, what: str, timeout: float = EVENT_TIMEOUT) -> dict:
        return self.wait(lambda e: e["event"] == "reply" and e.get("id") == cmd_id,
                         f"reply to {what} (id {cmd_id})", timeout=timeout)

    def request(self, verb: str, *args, expect_ok: bool = True) -> dict:
        what = " ".join([verb, *map(str, args)])[:80]
        rep = self.reply(self.send(verb, *args), what)
        if expect_ok and rep.get("ok") is not True:
            raise CheckFailed(f"{self}: {what} failed: {rep}")
        return rep

    def publications(self, channel: str = CHANNEL) -> list:
        with self.cond:
            return [e for e in self.events if e["event"] == "publication" and e.get("channel") == channel]

    def expect_connections(self, n: int) -> None:
        """Connected exactly n times: no reconnect but the ones the run caused."""
        with self.cond:
            got = [e.get("client") for e in self.events if e["event"] == "connected"]
        check(len(got) == n, f"{self}: connected {len(got)} times ({got}), expected {n}: "
              f"a reconnect the run did not cause")

    def quit(self) -> None:
        rep = self.request("quit")
        try:
            code = self.proc.wait(QUIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"{self}: still running {QUIT_TIMEOUT:.0f} s after quit was answered {rep}")
        if code != 0:
            raise CheckFailed(f"{self}: exit code {code} after quit")

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its group: run.sh's JVM too
            except ProcessLookupError:
                pass
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass

    def report(self) -> str:
        with self.cond:
            out, err = list(self.out_tail), list(self.err_tail)
        return (f"--- {self}: {' '.join(self.argv[:1])} ... exit {self.proc.poll()}\n"
                f"--- last stdout lines:\n" + "\n".join(out) +
                "\n--- last stderr lines:\n" + "\n".join(err) + "\n")


def check(cond: bool, message: str) -> None:
    if not cond:
        raise CheckFailed(message)


def same(got: bytes, want: bytes, as_json_values: bool) -> bool:
    """Byte for byte; as JSON values where an end is a program whose SDK
    parses and re-serializes JSON data itself (Program.raw)."""
    if not as_json_values:
        return got == want
    try:
        return json.loads(got) == json.loads(want)
    except ValueError:
        return False


def check_subscribed(prog: Program, ev: dict, recovering: bool) -> None:
    check(ev.get("wasRecovering") is recovering, f"{prog}: subscribed with wasRecovering "
          f"{ev.get('wasRecovering')}, expected {recovering}: {ev}")
    if recovering:
        check(ev.get("recovered") is True, f"{prog}: resubscribed but not recovered: {ev}")
    # Not in the line protocol's required fields; checked where a program reports them.
    for field in ("recoverable", "positioned"):
        if field in ev:
            check(ev[field] is True, f"{prog}: subscribed with {field} {ev[field]}: {ev}")


class Ledger:
    """What the channel holds: offset -> data, from the API's answers and from
    the offsets at which client publications arrived."""

    def __init__(self):
        self.data = {}
        self.epoch = None

    def api_publish(self, server, payload: bytes, binary: bool = False) -> int:
        body = {"channel": CHANNEL}
        if binary:
            body["b64data"] = b64(payload)
        else:
            body["data"] = json.loads(payload)
        res = api(server, "publish", body)
        offset, epoch = res.get("offset"), res.get("epoch")
        check(isinstance(offset, int) and offset > 0 and epoch,
              f"API publish answered no position: {res}")
        check(offset not in self.data, f"API publish answered offset {offset} twice")
        if self.epoch is None:
            self.epoch = epoch
        check(epoch == self.epoch, f"the channel's epoch changed from {self.epoch} to {epoch} "
              f"(durable history must keep it across a SIGKILL restart)")
        self.data[offset] = payload
        return offset

    def client_publish(self, publisher: Program, receivers: list, payload: bytes) -> int:
        """publisher publishes payload; every receiver (the publisher too, being
        subscribed) must get it at one and the same new offset."""
        marks = {r: r.mark() for r in receivers}
        publisher.request("publish", b64(payload))
        offsets, wire = set(), set()
        for r in receivers:
            values = not (publisher.raw and r.raw)
            ev = r.wait(lambda e: e["event"] == "publication" and e.get("channel") == CHANNEL
                        and same(base64.b64decode(e.get("data", "")), payload, values),
                        f"the publication of {publisher} ({payload[:60]!r})", marks[r])
            offsets.add(ev["offset"])
            if r.raw:
                wire.add(base64.b64decode(ev["data"]))
        check(len(offsets) == 1, f"the publication of {publisher} arrived at different offsets {offsets}")
        check(len(wire) == 1, f"the publication of {publisher} arrived as different bytes {wire} "
              f"(each run has a receiver that passes bytes through: {[str(r) for r in receivers]})")
        offset = offsets.pop()
        check(offset not in self.data, f"the publication of {publisher} arrived at offset {offset}, "
              f"which already holds {self.data.get(offset)!r}")
        self.data[offset] = wire.pop()
        return offset

    @property
    def top(self) -> int:
        return max(self.data, default=0)

    def expect_delivered(self, prog: Program, first: int, last: int) -> None:
        """prog got exactly offsets first..last on CHANNEL, once each, in order,
        with the ledger's bytes."""
        pubs = prog.publications()
        got = [e.get("offset") for e in pubs]
        want = list(range(first, last + 1))
        if got != want:
            dups = sorted(o for o, n in collections.Counter(got).items() if n > 1)
            gaps = sorted(set(want) - set(got))
            extra = sorted(set(got) - set(want))
            raise CheckFailed(f"{prog}: publications on {CHANNEL} arrived at offsets {got}, expected "
                              f"{first}..{last} once each in order (duplicates {dups}, missing {gaps}, "
                              f"unexpected {extra})")
        for e in pubs:
            data = base64.b64decode(e.get("data", ""))
            check(same(data, self.data[e["offset"]], not prog.raw), f"{prog}: offset {e['offset']} carried {data!r}, "
                  f"expected {self.data[e['offset']]!r}")

    def expect_history(self, prog: Program) -> None:
        rep = prog.request("history", 1000)
        want = sorted(self.data)
        check(rep.get("offsets") == want, f"{prog}: history offsets {rep.get('offsets')}, expected {want}")
        for offset, data in zip(rep["offsets"], rep.get("data", [])):
            got = base64.b64decode(data)
            check(same(got, self.data[offset], not prog.raw), f"{prog}: history at offset {offset} is {got!r}, "
                  f"expected {self.data[offset]!r}")
        check(len(rep.get("data", [])) == len(want), f"{prog}: history has {len(rep.get('data', []))} "
              f"data for {len(want)} offsets")
        check(rep.get("epoch") == self.epoch and rep.get("offset") == self.top,
              f"{prog}: history position {rep.get('offset')}/{rep.get('epoch')}, "
              f"expected {self.top}/{self.epoch}")


    def expect_api_history(self, server) -> None:
        """The HTTP API's history: JSON data as `data`, other bytes as `b64data`
        (base64, as Centrifugo's API shows them)."""
        res = api(server, "history", {"channel": CHANNEL, "limit": 1000})
        pubs = res.get("publications", [])
        check([p.get("offset") for p in pubs] == sorted(self.data),
              f"API history offsets {[p.get('offset') for p in pubs]}, expected {sorted(self.data)}")
        for pub in pubs:
            want = self.data[pub["offset"]]
            if "b64data" in pub:
                ok = "data" not in pub and base64.b64decode(pub["b64data"]) == want
            else:
                ok = same(compact(pub.get("data")), want, True)
            check(ok, f"API history at offset {pub['offset']}: {pub}, expected {want!r}")


def other_sdk(sdk: str) -> str:
    return "go" if sdk == "python" else "python"


def run(sdk: str, fmt: str, server, programs: list) -> None:
    peer_sdk = other_sdk(sdk)
    peer_fmt = "json" if fmt == "protobuf" else "protobuf"
    ledger = Ledger()

    def start(label, prog_sdk, prog_fmt, user):
        p = Program(label, prog_sdk, prog_fmt, server, user)
        programs.append(p)
        return p

    # 1. Connect with a JWT and subscribe with recovery.
    s = start("S", sdk, fmt, "user-under-test")
    p = start("P", peer_sdk, peer_fmt, "user-peer")
    step(f"started {s} and peer {p}")
    clients = {}
    for prog in (s, p):
        clients[prog] = prog.wait(lambda e: e["event"] == "connected", "connected event",
                                  timeout=START_TIMEOUT,
                                  fail_on=lambda e: e["event"] == "disconnected")["client"]
        ev = prog.wait(lambda e: e["event"] == "subscribed" and e.get("channel") == CHANNEL,
                       f"subscribed event for {CHANNEL}", timeout=START_TIMEOUT)
        check_subscribed(prog, ev, recovering=False)
        check(ev.get("offset") == 0, f"{prog}: a fresh channel's position is 0, got {ev}")
    presence = api(server, "presence", {"channel": CHANNEL}).get("presence", {})
    for prog in (s, p):
        info = presence.get(clients[prog])
        check(info is not None and info.get("user") == prog.user,
              f"the API's presence of {CHANNEL} should show {prog}'s client {clients[prog]} as user "
              f"{prog.user} (from its JWT): {presence}")
    step(f"connected with JWTs and subscribed: {s} is {clients[s]}, {p} is {clients[p]}")

    # 2. Publications through the HTTP API, byte for byte.
    for n in range(1, 4):
        off = ledger.api_publish(server, compact({"n": n, "via": "api", "text": "h\u00e9llo \u2713 \"q\" / \\",
                                                   "list": [1, -2, True, None, {"k": "v"}]}))
        for prog in (s, p):
            prog.wait_publication(off)
    ledger.expect_delivered(s, 1, ledger.top)
    ledger.expect_delivered(p, 1, ledger.top)
    step(f"API publications 1..{ledger.top} reached both, byte for byte")

    # 3. Across formats: S -> P and P -> S.
    ledger.client_publish(s, [s, p], compact({"from": f"{sdk}-{fmt}", "text": "to the peer \u00e9"}))
    ledger.client_publish(p, [s, p], compact({"from": f"{peer_sdk}-{peer_fmt}", "text": "to S \u2713"}))
    step(f"{fmt} -> {peer_fmt} and back: offsets {ledger.top - 1}, {ledger.top}")

    # 4. Presence, presence_stats, history.
    for prog in (s, p):
        rep = prog.request("presence")
        check(rep.get("clients") == sorted(clients.values()),
              f"{prog}: presence {rep.get('clients')}, expected {sorted(clients.values())}")
        rep = prog.request("presence_stats")
        check(rep.get("numClients") == 2 and rep.get("numUsers") == 2,
              f"{prog}: presence_stats {rep}, expected 2 clients and 2 users")
        ledger.expect_history(prog)
    step(f"presence, presence_stats and history (offsets 1..{ledger.top}) agree in both")

    # 5. Refused subscriptions carry the server's code.
    for channel, code in REFUSED:
        rep = s.request("subscribe", channel, expect_ok=False)
        check(rep.get("ok") is False and rep.get("code") == code,
              f"{s}: subscribe {channel} should be refused with {code}, got {rep}")
    step("refused subscriptions: " + ", ".join(f"{c} -> {code}" for c, code in REFUSED))

    # 6. SIGKILL, restart, publish during the backoff, recover.
    marks = {prog: prog.mark() for prog in (s, p)}
    top_before = ledger.top
    server.kill()
    for prog in (s, p):
        prog.wait(lambda e: e["event"] == "subscribing" and e.get("channel") == CHANNEL
                  or e["event"] in ("disconnected",)
                  or e["event"] == "log" and str(e.get("message", "")).startswith("connecting"),
                  "sign of the lost connection (subscribing, connecting or disconnected)", marks[prog])
    server.restart()
    restarted = time.monotonic()
    missed = [ledger.api_publish(server, compact({"n": n, "via": "api", "after": "restart"}))
              for n in range(1, 4)]
    published = time.monotonic()
    check(missed == list(range(top_before + 1, top_before + 4)),
          f"the API answered offsets {missed} after the restart; the top before it was {top_before}")
    for prog in (s, p):
        ev = prog.wait(lambda e: e["event"] == "connected", "connected event after the restart", marks[prog])
        check(ev["client"] != clients[prog], f"{prog}: the same client id after a reconnect")
        clients[prog] = ev["client"]
        sub = prog.wait(lambda e: e["event"] == "subscribed" and e.get("channel") == CHANNEL,
                        f"subscribed event for {CHANNEL} after the restart", marks[prog])
        check_subscribed(prog, sub, recovering=True)
        check(sub.get("epoch") == ledger.epoch, f"{prog}: resubscribed in epoch {sub.get('epoch')}, "
              f"expected {ledger.epoch}")
        for off in missed:
            prog.wait_publication(off, marks[prog])
        when = "after" if ev["_t"] > published else "before"
        step(f"{prog} reconnected {ev['_t'] - restarted:.2f} s after the restart ({when} the "
             f"{len(missed)} publications {missed[0]}..{missed[-1]}), subscribed at offset "
             f"{sub.get('offset')}, recovered")
    ledger.client_publish(s, [s, p], compact({"from": f"{sdk}-{fmt}", "after": "restart"}))
    for prog in (s, p):
        ledger.expect_delivered(prog, 1, ledger.top)
    step(f"every publication 1..{ledger.top} arrived exactly once, in order, byte for byte, in both")

    if fmt == "protobuf":
        # 7. Binary data: the JSON peer leaves first (JSON cannot carry it).
        p.expect_connections(2)
        p.quit()
        q = start("Q", other_sdk(sdk), "protobuf", "user-binary")
        top_at_q = ledger.top  # Q subscribes at this top or, if it is quick, after the next publication
        all_bytes = bytes(range(256))
        off = ledger.api_publish(server, all_bytes, binary=True)
        s.wait_publication(off)
        ledger.expect_history(s)
        step(f"b64data bytes 0x00..0xff reached {s} and history at offset {off}, byte for byte")
        q_sub = q.wait(lambda e: e["event"] == "subscribed" and e.get("channel") == CHANNEL,
                       f"subscribed event for {CHANNEL}", timeout=START_TIMEOUT)
        check_subscribed(q, q_sub, recovering=False)
        check(top_at_q <= q_sub.get("offset", -1) <= ledger.top,
              f"{q}: subscribed at {q_sub.get('offset')}, while the top went from {top_at_q} to {ledger.top}")
        first_q = q_sub["offset"] + 1
        ledger.client_publish(s, [s, q], bytes(reversed(all_bytes)) + b"\x00\xc3\x28\xff")
        ledger.client_publish(q, [s, q], b"\xfe\xff\x00binary from Q\x80")
        ledger.expect_delivered(q, first_q, ledger.top)
        ledger.expect_history(s)
        ledger.expect_api_history(server)
        q.expect_connections(1)
        q.quit()
        step(f"binary publications {s} -> {q} and back, byte for byte; the API history shows b64data")

    ledger.expect_delivered(s, 1, ledger.top)
    s.expect_connections(2)
    s.quit()
    if fmt != "protobuf":
        p.expect_connections(2)
        p.quit()
    step(f"{s} received offsets 1..{ledger.top} exactly once in order over the whole run, "
         f"reconnected only after the SIGKILL; all quit cleanly")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdk", required=True, choices=sorted(PROGRAMS))
    parser.add_argument("--format", choices=["json", "protobuf"],
                        help="default: json, protobuf for java (its only format)")
    opts = parser.parse_args()
    fmt = opts.format or ("protobuf" if opts.sdk == "java" else "json")
    if fmt not in PROGRAMS[opts.sdk]["formats"]:
        parser.error(f"the {opts.sdk} program speaks only {', '.join(PROGRAMS[opts.sdk]['formats'])}")

    try:  # before any server starts: the programs this run needs (S, and the peers' SDK)
        for sdk in sorted({opts.sdk, other_sdk(opts.sdk)}):
            check_installed(sdk)
    except CheckFailed as err:
        print(f"FAIL sdk interop {opts.sdk}/{fmt}: {err}", flush=True)
        return 1

    # A SIGTERM (ctest's timeout, a Ctrl-C'd make) still runs the cleanup below;
    # a program also exits by itself once its stdin, this process's pipe, closes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    programs = []
    server = HeraldServer(CONFIG, log_level="info")
    try:
        server.start()
        step(f"herald serve on port {server.port} (pid {server.proc.pid}), {opts.sdk}/{fmt}")
        run(opts.sdk, fmt, server, programs)
        print(f"sdk interop {opts.sdk}/{fmt}: passed in {time.monotonic() - T0:.1f} s", flush=True)
        return 0
    except Exception as err:  # CheckFailed, or a server that did not start
        what = str(err) if isinstance(err, CheckFailed) else traceback.format_exc()
        print(f"\nFAIL sdk interop {opts.sdk}/{fmt}: {what}\n", flush=True)
        for prog in programs:
            print(prog.report(), flush=True)
        print(f"--- server log ({server.log_path}):\n{server.log()[-6000:]}", flush=True)
        return 1
    finally:
        for prog in programs:
            prog.kill()
        server.stop()
        server._tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
