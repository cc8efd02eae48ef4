#!/usr/bin/python3
"""Delivery checker: end-to-end test of durable, gap-free delivery (tier e2e).

WHAT IT DOES
  One `herald serve` (tests/support/herald_serve.py) with a namespace `chk`
  that keeps durable history (history_size 100000, history_ttl 1h), two
  event loops, and four channels chk:0..chk:3. At the same time:
    * publishers send numbered messages {"pub":"<name>","seq":N}, half over
      the client protocol (publish command; acknowledged when the publish
      reply arrives without error), half over the HTTP API (POST
      /api/publish; acknowledged on a 200 with a "result" carrying offset and
      epoch). Client publishers sometimes put 2-3 publishes in one frame.
      A failed, refused or cut-off attempt is "not acknowledged" and
      the next attempt uses a NEW seq: an unacknowledged message may or may
      not have been stored, but it must never be stored twice;
    * subscribers subscribe to every channel (first {"recoverable":true},
      then always {"recoverable":true,"recover":true,"offset":last,
      "epoch":epoch}), all channels in one frame or a frame each, and at
      random drop their connection or unsubscribe and resubscribe a channel;
    * the server is killed with SIGKILL and restarted on the same port and
      data directory, at least MIN_RESTARTS times at random intervals.
  With HERALD_CHECKER_NODES=N (N > 1) the same runs across N nodes sharing
  one redis-server (tests/support/redis_server.py, append-only file on):
  every (re)connect and every API call goes to a random live node, so
  subscribers move between nodes on every reconnect; the chaos kills a random
  node with SIGKILL and restarts it, and kills and restarts Redis itself
  HERALD_CHECKER_REDIS_RESTARTS times (default 2).
  Then the chaos stops, every subscriber reconnects and resubscribes with
  recovery one last time, and the history is read with POST /api/history.

WHAT IS CHECKED (any violation fails the run, exit code 1)
  per channel, per subscriber, over everything it received after its first
  subscribe (live pushes plus the publications of subscribe replies, in the
  order they arrived on the wire):
    (1) every acknowledged publication is delivered: API acks by the offset
        they returned (and the payload at that offset), client-protocol acks
        (which carry no offset) by their payload;           -> "lost"
        every publication in the final history after the subscriber's start
        is delivered too (acknowledged or not)              -> "missed"
    (2) no offset is received twice                         -> "duplicates"
    (3) offsets strictly increase in the order received     -> "out of order"
    (4) every subscribe reply with recovered:false to a recovery is a
        "reported gap"; with durable history that is large enough it is
        always a failure, and a "real gap" when the epoch changed (which
        must never happen either); a recovered:true reply whose top offset
        is beyond what the subscriber then holds is a "silent gap"
    (5) the payload at each offset is the same for every subscriber and
        equals the final history
  and, from the publishers' side: every acknowledged publication is in the
  history exactly once with the acknowledged epoch, no payload is stored
  twice, and a message sent after another one's ack is stored after it.
  The seed is printed: rerun with HERALD_CHECKER_SEED to get the same
  schedule (timing still varies). A failure prints examples, with the recent
  frames of the subscriber for the first ones, and the server log's tail.

RUN
  HERALD_BIN=/path/to/herald PYTHONPATH=tests/support \
      /usr/bin/python3 tests/e2e/delivery_checker.py
  Environment: HERALD_CHECKER_SECONDS (total run, default 40),
  HERALD_CHECKER_RESTARTS (minimum restarts, default 20),
  HERALD_CHECKER_SEED (random seed; printed on every run),
  HERALD_CHECKER_NODES (nodes sharing Redis; default 1: one node, SQLite),
  HERALD_CHECKER_REDIS_RESTARTS (Redis kills and restarts with several nodes),
  HERALD_CHECKER_KEEP (keep the data directory and server log on failure),
  HERALD_CHECKER_INJECT=drop|dup|gap (self-test: subscriber s0 misbehaves
  once; the run must then FAIL).
  These variables are removed from the environment before the server starts,
  since `herald serve` refuses unknown HERALD_* variables.
"""
import asyncio
import collections
import heapq
import http.client
import json
import os
import random
import shutil
import sys
import tempfile
import time

import websockets

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import herald_serve  # noqa: E402  (tests/support, on PYTHONPATH)
import redis_server  # noqa: E402

# -- settings ------------------------------------------------------------------
TOTAL_SECONDS = float(os.environ.get("HERALD_CHECKER_SECONDS", "40"))
MIN_RESTARTS = int(os.environ.get("HERALD_CHECKER_RESTARTS", "20"))
NODES = int(os.environ.get("HERALD_CHECKER_NODES", "1"))
REDIS_RESTARTS = int(os.environ.get("HERALD_CHECKER_REDIS_RESTARTS", "2")) if NODES > 1 else 0
SEED = int(os.environ.get("HERALD_CHECKER_SEED", str(random.randrange(1 << 31))))
KEEP = os.environ.get("HERALD_CHECKER_KEEP", "") not in ("", "0")
# Self-test of the checker: make subscriber s0 misbehave once, the run must fail.
# drop: ignore one live publication; dup: record one twice; gap: take one
# recovery reply as recovered:false.
INJECT = os.environ.get("HERALD_CHECKER_INJECT", "")
for _k in list(os.environ):
    if _k.startswith("HERALD_CHECKER_"):
        del os.environ[_k]  # herald serve refuses HERALD_* variables it does not know

CHANNELS = [f"chk:{i}" for i in range(4)]
N_SUBSCRIBERS = 6
N_WS_PUBLISHERS = 2
N_API_PUBLISHERS = 2
API_KEY = "delivery-checker-key"
REPLY_TIMEOUT = 8.0
FINAL_PHASE_SECONDS = 6.0  # quiet period + final resubscribe + checks, roughly

CONFIG = f"""
[server]
threads = 2

[client]
allow_anonymous = true
commands_per_second = 5000
command_burst = 10000
# A subscriber may be away across several restarts while publishers go on:
# its recovery must be whole, so the default cap of 300 is lifted here.
recovery_max_publication_limit = 100000

[api]
key = "{API_KEY}"

[[namespace]]
name = "chk"
history_size = 100000
history_ttl = "1h"
allow_subscribe_for_anonymous = true
allow_publish_for_anonymous = true
allow_history_for_subscriber = true
"""

rng = random.Random(SEED)
T0 = time.monotonic()


def now():
    return time.monotonic() - T0


def key_of(data):
    """The identity of a payload: (publisher, seq), or None for a foreign one."""
    if isinstance(data, dict) and "pub" in data and "seq" in data:
        return (data["pub"], data["seq"])
    return None


def canon(data):
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


# -- failures ------------------------------------------------------------------
class Report:
    def __init__(self):
        self.counts = collections.Counter()
        self.examples = collections.defaultdict(list)

    def fail(self, kind, detail, n=1, context=None):
        self.counts[kind] += n
        if len(self.examples[kind]) < 8:
            text = f"[{now():7.3f}s] {detail}"
            if context and len(self.examples[kind]) < 2:
                text += "\n" + "\n".join(f"          {t:8.3f} {d} {line[:300]}" for t, d, line in context)
            self.examples[kind].append(text)

    def note(self, kind, n=1):
        self.counts[kind] += n


report = Report()


# -- the server ------------------------------------------------------------------
class Cluster:
    """One node, or NODES nodes sharing one Redis. ws_url and port name a
    random live node at each use."""

    def __init__(self):
        self.redis = redis_server.RedisServer() if NODES > 1 else None
        self.config = CONFIG
        self.nodes = []
        self.live = set()

    def start(self):
        config = CONFIG
        if self.redis:
            self.redis.start()
            config += f'\n[engine]\ntype = "redis"\nredis_addresses = ["{self.redis.address}"]\n'
        self.nodes = [herald_serve.HeraldServer(config) for _ in range(NODES)]
        for i, node in enumerate(self.nodes):
            node.start()
            self.live.add(i)

    def pick(self):
        return self.nodes[rng.choice(sorted(self.live))] if self.live else rng.choice(self.nodes)

    @property
    def ws_url(self):
        return self.pick().ws_url

    @property
    def port(self):
        return self.pick().port

    def kill_and_restart_node(self):
        i = rng.randrange(len(self.nodes))
        self.live.discard(i)
        node = self.nodes[i]
        node.kill()
        node.restart(30.0)
        self.live.add(i)

    def restart_redis(self):
        self.redis.restart()

    def stop(self):
        for node in self.nodes:
            node.stop()
        if self.redis:
            self.redis.stop()

    def log(self):
        parts = [f"-- node {i} --\n{node.log()[-3000:]}" for i, node in enumerate(self.nodes)]
        if self.redis:
            # Every life of Redis says what it loaded from its append-only
            # file: the lines that tell whether a kill lost data.
            lines = [l for l in self.redis.log().splitlines()
                     if any(k in l for k in ("loaded", "AOF", "Ready", "SIGTERM", "truncated", "Bad file"))]
            parts.append("-- redis --\n" + "\n".join(lines[-60:]))
        return "\n".join(parts)

    def keep(self, where):
        for i, node in enumerate(self.nodes):
            shutil.copytree(node._tmp.name, os.path.join(where, f"node{i}"), dirs_exist_ok=True)
        if self.redis:
            shutil.copytree(self.redis.dir, os.path.join(where, "redis"), dirs_exist_ok=True)

    def cleanup(self):
        for node in self.nodes:
            node._tmp.cleanup()
        if self.redis:
            self.redis._tmp.cleanup()


class Chaos:
    def __init__(self, cluster):
        self.cluster = cluster
        self.restarts = 0
        self.redis_restarts = 0
        self.stop = asyncio.Event()
        self.events = []  # (time, "kill"/"up")

    async def kill_and_restart(self):
        # Redis goes down at evenly spread points of the node restarts.
        due = REDIS_RESTARTS and self.redis_restarts < REDIS_RESTARTS and \
            self.restarts >= (self.redis_restarts + 1) * max(MIN_RESTARTS, 1) // (REDIS_RESTARTS + 1)
        if due:
            self.events.append((now(), "redis kill"))
            await asyncio.to_thread(self.cluster.restart_redis)
            self.events.append((now(), "redis up"))
            self.redis_restarts += 1
            return
        self.events.append((now(), "kill"))
        await asyncio.to_thread(self.cluster.kill_and_restart_node)
        self.events.append((now(), "up"))
        self.restarts += 1

    async def run(self, until):
        while not self.stop.is_set():
            if now() >= until and self.restarts >= MIN_RESTARTS and self.redis_restarts >= REDIS_RESTARTS:
                break
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            await self.kill_and_restart()


# -- a client-protocol connection ----------------------------------------------
class Conn:
    """One WebSocket session: sends commands, matches replies, hands pushes
    (in wire order) to `on_push` and subscribe replies to `on_reply` from the
    single reader task, so the order of processing is the order received."""

    def __init__(self, url, on_push=None, trace=None):
        self.url = url
        self.on_push = on_push
        self.trace = trace
        self.ws = None
        self.next_id = 0
        self.pending = {}  # id -> (future, callback or None)
        self.reader = None
        self.closed = asyncio.Event()

    async def open(self):
        self.ws = await websockets.connect(self.url, open_timeout=3, close_timeout=0.3, ping_interval=None,
                                           max_size=1 << 24, max_queue=None, compression=None)
        self.reader = asyncio.create_task(self._read())
        reply = await self.call({"connect": {}})
        if "error" in reply:
            raise ConnectionError(f"connect refused: {reply}")
        return reply

    async def _read(self):
        try:
            async for frame in self.ws:
                for line in frame.split("\n"):
                    if not line:
                        continue
                    if self.trace is not None:
                        self.trace.append((now(), "<", line))
                    msg = json.loads(line)
                    if not msg:
                        await self.send_raw("{}")  # the server's ping: pong
                        continue
                    mid = msg.get("id")
                    if mid:
                        fut, cb = self.pending.pop(mid, (None, None))
                        if cb is not None:
                            cb(msg)  # processed here, in wire order
                        if fut is not None and not fut.done():
                            fut.set_result(msg)
                    elif "push" in msg and self.on_push:
                        self.on_push(msg["push"])
        except (websockets.ConnectionClosed, OSError):
            pass
        finally:
            self.closed.set()
            for fut, _ in self.pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("connection closed"))
                    fut.exception()  # retrieved here: its caller may have stopped waiting
            self.pending.clear()

    async def send_raw(self, text):
        if self.trace is not None:
            self.trace.append((now(), ">", text))
        await self.ws.send(text)

    async def call(self, body, on_reply=None, timeout=REPLY_TIMEOUT):
        return (await self.call_many([(body, on_reply)], timeout))[0]

    async def call_many(self, commands, timeout=REPLY_TIMEOUT):
        """Sends [(body, on_reply)] as ONE frame (commands separated by \\n)
        and waits for every reply; raises if any of them does not come."""
        if self.closed.is_set():
            raise ConnectionError("connection closed")
        futs, lines = [], []
        for body, on_reply in commands:
            self.next_id += 1
            fut = asyncio.get_running_loop().create_future()
            self.pending[self.next_id] = (fut, on_reply)
            futs.append(fut)
            lines.append(json.dumps({"id": self.next_id, **body}, separators=(",", ":")))
        await self.send_raw("\n".join(lines))
        done, _ = await asyncio.wait(futs, timeout=timeout)
        if len(done) != len(futs):
            raise asyncio.TimeoutError()
        return [f.result() for f in futs]

    async def close(self):
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 1.0)
            except Exception:
                pass
        if self.reader is not None:
            try:
                await asyncio.wait_for(self.reader, 1.0)
            except Exception:
                self.reader.cancel()


# -- subscribers -----------------------------------------------------------------
class ChannelView:
    def __init__(self):
        self.epoch = None       # from the first subscribe reply
        self.start = None       # top offset at the first subscribe: owed everything after it
        self.last = None        # highest offset held
        self.received = []      # (offset, data, how) in the order received
        self.seen = {}          # offset -> index in received
        self.state = "none"     # none | subscribing | subscribed | unsubscribing


class Subscriber:
    def context(self, channel, n=25):
        tag = f'"{channel}"'
        lines = [e for e in self.trace if tag in e[2] or e[2].startswith('{"id"')]
        return lines[-n:]

    def __init__(self, name, url_fn, epochs):
        self.name = name
        self.url_fn = url_fn
        self.epochs = epochs  # channel -> first epoch seen by anyone
        self.views = {c: ChannelView() for c in CHANNELS}
        self.trace = collections.deque(maxlen=4000)
        self.stop_churn = asyncio.Event()
        self.initial_done = asyncio.Event()
        self.sessions = 0
        self.resubscribes = 0
        self.live = 0
        self.recoveries = 0

    # Record one publication received for `channel`, in wire order.
    def record(self, channel, pub, how):
        v = self.views[channel]
        off = pub.get("offset", 0)
        data = pub.get("data")
        if v.start is None:
            report.fail("pub before first subscribe", f"{self.name} {channel} offset {off} via {how}", context=self.context(channel))
        if v.state not in ("subscribing", "subscribed", "unsubscribing") and how == "live":
            report.fail("stray pub", f"{self.name} {channel} offset {off} arrived while {v.state}", context=self.context(channel))
        if off == 0:
            report.fail("pub without offset", f"{self.name} {channel} {pub}", context=self.context(channel))
        elif off in v.seen:
            first = v.received[v.seen[off]]
            report.fail("duplicates", f"{self.name} {channel} offset {off} again via {how} "
                        f"(first via {first[2]}); last held {v.last}", context=self.context(channel))
        elif v.last is not None and off <= v.last:
            report.fail("out of order", f"{self.name} {channel} offset {off} via {how} after {v.last}", context=self.context(channel))
        if off and off not in v.seen:
            v.seen[off] = len(v.received)
        v.received.append((off, data, how))
        if v.last is None or off > v.last:
            v.last = off

    def on_push(self, push):
        ch = push.get("channel")
        if ch not in self.views:
            return
        if "pub" in push:
            self.live += 1
            if self.name == "s0" and self.live == 500 and INJECT == "drop":
                v = self.views[ch]  # lose it for good: move the position past it
                v.last = max(v.last or 0, push["pub"].get("offset", 0))
                return
            self.record(ch, push["pub"], "live")
            if self.name == "s0" and self.live == 500 and INJECT == "dup":
                self.record(ch, push["pub"], "live")
        elif "unsubscribe" in push:
            report.note("server unsubscribe pushes")
            self.views[ch].state = "none"  # resubscribed by the session loop
        elif "subscribe" in push:
            report.fail("unexpected subscribe push", f"{self.name} {push}")

    def on_subscribe_reply(self, channel, recovering, sent_offset, msg):
        v = self.views[channel]
        if "error" in msg:
            report.note(f"subscribe errors (code {msg['error'].get('code')})")
            v.state = "none"
            return
        r = msg.get("subscribe", {})
        if recovering:
            self.recoveries += 1
            if self.name == "s0" and self.recoveries == 20 and INJECT == "gap":
                r = dict(r, recovered=False)
        epoch = r.get("epoch", "")
        top = r.get("offset", 0)
        pubs = r.get("publications", [])
        if not epoch:
            report.fail("reply without epoch", f"{self.name} {channel} {msg}", context=self.context(channel))
        first = self.epochs.setdefault(channel, epoch)
        if epoch != first:
            report.fail("epoch changes", f"{self.name} {channel} epoch {epoch!r}, first seen {first!r}", context=self.context(channel))
        if not recovering:
            v.epoch = epoch
            if v.start is None:
                v.start = top
            for p in pubs:
                self.record(channel, p, "subscribe")
            if v.last is None:
                v.last = top
        else:
            if not r.get("was_recovering"):
                report.fail("no was_recovering", f"{self.name} {channel} {msg}", context=self.context(channel))
            if not r.get("recovered"):
                report.fail("reported gaps", f"{self.name} {channel} recovered:false from offset {sent_offset} "
                            f"epoch {v.epoch!r}; reply epoch {epoch!r} top {top} with {len(pubs)} publications",
                            context=self.context(channel))
                if epoch != v.epoch:
                    report.fail("real gaps", f"{self.name} {channel} epoch {v.epoch!r} -> {epoch!r}", context=self.context(channel))
            for p in pubs:
                self.record(channel, p, f"recovery@{sent_offset}")
            if r.get("recovered"):
                if top > v.last:
                    report.fail("silent gaps", f"{self.name} {channel} recovered:true from {sent_offset}, "
                                f"{len(pubs)} publications, but top is {top} and the subscriber holds {v.last}",
                                context=self.context(channel))
                elif top < v.last:
                    report.fail("top went back", f"{self.name} {channel} recovered from {sent_offset}: top {top} "
                                f"< {v.last} already delivered", context=self.context(channel))
            v.epoch = epoch or v.epoch
            if top > v.last:
                v.last = top
        v.state = "subscribed"

    def subscribe_command(self, channel):
        v = self.views[channel]
        body = {"channel": channel, "recoverable": True}
        recovering = v.epoch is not None
        if recovering:
            body.update(recover=True, offset=v.last, epoch=v.epoch)
        v.state = "subscribing"
        sent = v.last
        return {"subscribe": body}, lambda m: self.on_subscribe_reply(channel, recovering, sent, m)

    async def subscribe(self, conn, *channels):
        """Subscribes to `channels` with one frame of commands."""
        try:
            await conn.call_many([self.subscribe_command(c) for c in channels])
        finally:
            for c in channels:
                if self.views[c].state == "subscribing":
                    self.views[c].state = "none"

    async def session(self, final=False):
        conn = Conn(self.url_fn(), self.on_push, self.trace)
        try:
            await conn.open()
            self.sessions += 1
            if rng.random() < 0.5:
                await self.subscribe(conn, *CHANNELS)  # one frame
            else:
                await asyncio.gather(*(self.subscribe(conn, c) for c in CHANNELS))  # a frame each
            if any(v.state != "subscribed" for v in self.views.values()):
                return False
            self.initial_done.set()
            if final:
                await asyncio.sleep(1.0)  # anything still in flight arrives now
                return True
            end = now() + rng.uniform(0.4, 3.0)
            while now() < end and not self.stop_churn.is_set() and not conn.closed.is_set():
                await asyncio.wait([asyncio.create_task(conn.closed.wait())], timeout=rng.uniform(0.1, 0.8))
                if conn.closed.is_set() or self.stop_churn.is_set():
                    break
                if rng.random() < 0.5:  # unsubscribe and resubscribe one channel on this connection
                    ch = rng.choice(CHANNELS)
                    v = self.views[ch]
                    if v.state != "subscribed":
                        continue
                    v.state = "unsubscribing"
                    await conn.call({"unsubscribe": {"channel": ch}})
                    v.state = "none"
                    if rng.random() < 0.5:
                        await asyncio.sleep(rng.uniform(0, 0.3))
                    await self.subscribe(conn, ch)
                    self.resubscribes += 1
                for ch, v in self.views.items():  # after a server unsubscribe push
                    if v.state == "none" and not conn.closed.is_set():
                        await self.subscribe(conn, ch)
            return True
        except (OSError, asyncio.TimeoutError, ConnectionError, websockets.WebSocketException) as e:
            report.note("subscriber sessions cut")
            return False
        finally:
            await conn.close()
            for v in self.views.values():
                v.state = "none"

    async def run(self):
        while not self.stop_churn.is_set():
            await self.session()
            await asyncio.sleep(rng.uniform(0.02, 0.3))

    async def final(self, deadline):
        while now() < deadline:
            if await self.session(final=True):
                return True
            await asyncio.sleep(0.2)
        report.fail("final resubscribe failed", self.name)
        return False


# -- publishers -----------------------------------------------------------------
class Attempt:
    __slots__ = ("pub", "seq", "channel", "outcome", "offset", "epoch", "t", "t_done")

    def __init__(self, pub, seq, channel):
        self.pub, self.seq, self.channel = pub, seq, channel
        self.outcome = "pending"  # acked | error | cut | timeout
        self.offset = None
        self.epoch = None
        self.t = now()       # sent (or about to be)
        self.t_done = None   # when its ack arrived


class Publisher:
    def __init__(self, name, server):
        self.name = name
        self.server = server
        self.seq = 0
        self.attempts = []
        self.stop = asyncio.Event()

    def new_attempt(self):
        self.seq += 1
        a = Attempt(self.name, self.seq, rng.choice(CHANNELS))
        self.attempts.append(a)
        return a

    def payload(self, a):
        return {"pub": a.pub, "seq": a.seq}

    async def pause(self):
        await asyncio.sleep(rng.uniform(0.0, 0.02))


class WsPublisher(Publisher):
    async def run(self):
        while not self.stop.is_set():
            conn = Conn(self.server.ws_url)
            try:
                await conn.open()
                while not self.stop.is_set():
                    # Mostly one publish at a time; sometimes a few in one frame.
                    batch = [self.new_attempt() for _ in range(rng.choice((1, 1, 1, 2, 3)))]
                    results = {}

                    def on_reply(a):
                        def cb(msg):
                            results[a] = msg
                            if "error" in msg:
                                a.outcome = "error"
                                report.note(f"publish errors (code {msg['error'].get('code')})")
                            else:
                                a.outcome = "acked"
                                a.t_done = now()
                        return cb
                    try:
                        await conn.call_many([({"publish": {"channel": a.channel, "data": self.payload(a)}},
                                               on_reply(a)) for a in batch])
                    except asyncio.TimeoutError:
                        for a in batch:
                            if a.outcome == "pending":
                                a.outcome = "timeout"
                        raise
                    except Exception:
                        for a in batch:
                            if a.outcome == "pending":
                                a.outcome = "cut"
                        raise
                    await self.pause()
            except (OSError, asyncio.TimeoutError, ConnectionError, websockets.WebSocketException):
                pass
            finally:
                await conn.close()
            await asyncio.sleep(rng.uniform(0.02, 0.1))


def api_call(port, method, body, timeout=5.0):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("POST", f"/api/{method}", body=json.dumps(body),
                  headers={"X-API-Key": API_KEY, "Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


class ApiPublisher(Publisher):
    async def run(self):
        while not self.stop.is_set():
            a = self.new_attempt()
            try:
                status, body = await asyncio.to_thread(api_call, self.server.port, "publish",
                                                       {"channel": a.channel, "data": self.payload(a)})
                msg = json.loads(body) if status == 200 else {}
                if status == 200 and "result" in msg:
                    a.outcome = "acked"
                    a.t_done = now()
                    a.offset = msg["result"].get("offset")
                    a.epoch = msg["result"].get("epoch")
                    if not a.offset:
                        report.fail("ack without offset", f"{self.name} {a.channel} seq {a.seq}: {body!r}")
                else:
                    a.outcome = "error"
                    report.note(f"API publish errors (HTTP {status})")
            except TimeoutError:
                a.outcome = "timeout"
            except (OSError, http.client.HTTPException, ValueError):
                a.outcome = "cut"
            if a.outcome == "acked":
                await self.pause()
            else:
                await asyncio.sleep(rng.uniform(0.02, 0.1))


# -- the final checks -------------------------------------------------------------
async def read_history(server, channel):
    for _ in range(50):
        try:
            status, body = await asyncio.to_thread(api_call, server.port, "history",
                                                   {"channel": channel, "limit": -1}, 10.0)
            msg = json.loads(body)
            if status == 200 and "result" in msg:
                return msg["result"]
        except (OSError, http.client.HTTPException, ValueError):
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"cannot read the history of {channel}")


def check(histories, publishers, subscribers, epochs):
    totals = collections.Counter()
    for ch in CHANNELS:
        h = histories[ch]
        pubs = h.get("publications", [])
        epoch = h.get("epoch", "")
        if epochs.get(ch) not in (None, epoch):
            report.fail("epoch changes", f"{ch}: final history epoch {epoch!r}, subscribers saw {epochs[ch]!r}")
        by_off = {}
        by_key = {}
        prev = 0
        for p in pubs:
            off = p.get("offset", 0)
            if off <= prev:
                report.fail("history out of order", f"{ch}: offset {off} after {prev}")
            prev = off
            by_off[off] = p.get("data")
            k = key_of(p.get("data"))
            if k in by_key:
                report.fail("history duplicates", f"{ch}: {k} stored at {by_key[k]} and {off}")
            by_key[k] = off
        if pubs and h.get("offset") != pubs[-1].get("offset"):
            report.fail("history top mismatch", f"{ch}: top {h.get('offset')} last publication {pubs[-1].get('offset')}")
        holes = [o for o in range(1, prev + 1) if o not in by_off]
        if holes:
            report.note("history holes (offsets never stored)", len(holes))
        totals["stored"] += len(pubs)

        # Publishers: acknowledged means stored, once, where the ack said, in send order.
        acked_offsets = {}  # offset -> attempt (API acks, and client acks found by payload)
        for pb in publishers:
            acked_here = []  # heap of (t_done, offset): this publisher's acks in this channel not yet passed
            max_before = 0   # highest offset acknowledged before the current attempt was sent
            for a in pb.attempts:
                if a.channel != ch:
                    continue
                k = (a.pub, a.seq)
                off = by_key.get(k)
                if a.outcome == "acked":
                    if a.offset is not None:
                        if a.epoch != epoch:
                            report.fail("ack epoch mismatch", f"{ch} {k}: ack epoch {a.epoch!r}, history {epoch!r}")
                        if by_off.get(a.offset) != {"pub": a.pub, "seq": a.seq}:
                            report.fail("acked but not in history", f"{ch} {k}: acked at offset {a.offset}, "
                                        f"history there: {by_off.get(a.offset)!r}, payload at {off}")
                        acked_offsets[a.offset] = a
                    elif off is None:
                        report.fail("acked but not in history", f"{ch} {k}: acked over the client protocol, not stored")
                    else:
                        acked_offsets[off] = a
                # Acknowledged before this one was sent => stored before it.
                if off is not None and a.outcome == "acked":
                    while acked_here and acked_here[0][0] <= a.t:
                        max_before = max(max_before, heapq.heappop(acked_here)[1])
                    if max_before >= off:
                        report.fail("publisher order", f"{ch} {k} sent at {a.t:.3f}s stored at {off}, before "
                                    f"offset {max_before} which was acknowledged earlier")
                    heapq.heappush(acked_here, (a.t_done, off))
                if off is not None and a.outcome != "acked":
                    totals["stored unacknowledged"] += 1

        # Subscribers.
        for s in subscribers:
            v = s.views[ch]
            start = v.start if v.start is not None else 0
            for off, data, how in v.received:
                totals["delivered"] += 1
                if off not in by_off:
                    report.fail("delivered but not in history", f"{s.name} {ch} offset {off} via {how}: {data!r}")
                elif canon(by_off[off]) != canon(data):
                    report.fail("payload mismatch", f"{s.name} {ch} offset {off} via {how}: {data!r}, "
                                f"history {by_off[off]!r}")
            for off in sorted(by_off):
                if off <= start or off in v.seen:
                    continue
                if off in acked_offsets:
                    a = acked_offsets[off]
                    report.fail("lost", f"{s.name} {ch} offset {off} {(a.pub, a.seq)} acknowledged, never delivered "
                                f"(start {start}, last {v.last})")
                else:
                    report.fail("missed", f"{s.name} {ch} offset {off} stored (unacknowledged), never delivered "
                                f"(start {start}, last {v.last})")
            for off in acked_offsets:
                if off <= start:
                    report.fail("acked before subscriber start", f"{s.name} {ch} offset {off} <= start {start}")
    return totals


# -- main -----------------------------------------------------------------------
async def main():
    print(f"delivery checker: seed {SEED}, {TOTAL_SECONDS:.0f} s, at least {MIN_RESTARTS} restarts, "
          f"{len(CHANNELS)} channels, {N_SUBSCRIBERS} subscribers, "
          f"{N_WS_PUBLISHERS}+{N_API_PUBLISHERS} publishers (client protocol + HTTP API), "
          f"{NODES} node(s){f' sharing Redis, {REDIS_RESTARTS} Redis restarts' if NODES > 1 else ''}", flush=True)
    server = Cluster()
    server.start()
    chaos = Chaos(server)
    epochs = {}
    subscribers = [Subscriber(f"s{i}", lambda: server.ws_url, epochs) for i in range(N_SUBSCRIBERS)]
    publishers = [WsPublisher(f"w{i}", server) for i in range(N_WS_PUBLISHERS)] + \
                 [ApiPublisher(f"a{i}", server) for i in range(N_API_PUBLISHERS)]
    ok = False
    try:
        sub_tasks = [asyncio.create_task(s.run()) for s in subscribers]
        await asyncio.wait_for(asyncio.gather(*(s.initial_done.wait() for s in subscribers)), 20)
        pub_tasks = [asyncio.create_task(p.run()) for p in publishers]
        active_until = TOTAL_SECONDS - FINAL_PHASE_SECONDS
        await chaos.run(active_until)
        print(f"[{now():6.2f}s] {chaos.restarts} restarts done; publishing on a steady server", flush=True)
        await asyncio.sleep(1.5)
        for p in publishers:
            p.stop.set()
        await asyncio.wait_for(asyncio.gather(*pub_tasks), 30)
        await asyncio.sleep(1.0)  # quiet period
        for s in subscribers:
            s.stop_churn.set()
        await asyncio.wait_for(asyncio.gather(*sub_tasks), 30)
        deadline = now() + 30
        await asyncio.gather(*(s.final(deadline) for s in subscribers))
        histories = {c: await read_history(server, c) for c in CHANNELS}
        totals = check(histories, publishers, subscribers, epochs)

        attempts = [a for p in publishers for a in p.attempts]
        outcomes = collections.Counter(a.outcome for a in attempts)
        acked = outcomes["acked"]
        print(f"[{now():6.2f}s] done", flush=True)
        print("counts:")
        rows = [
            ("published (attempts)", len(attempts)),
            ("  over the client protocol", sum(len(p.attempts) for p in publishers if isinstance(p, WsPublisher))),
            ("  over the HTTP API", sum(len(p.attempts) for p in publishers if isinstance(p, ApiPublisher))),
            ("acknowledged", acked),
            ("not acknowledged (error/cut/timeout)",
             f"{outcomes['error']}/{outcomes['cut']}/{outcomes['timeout']}"),
            ("stored in history", totals["stored"]),
            ("stored but not acknowledged", totals["stored unacknowledged"]),
            ("delivered (all subscribers)", totals["delivered"]),
            ("lost (acknowledged, never delivered)", report.counts["lost"]),
            ("missed (stored unacknowledged, never delivered)", report.counts["missed"]),
            ("duplicates", report.counts["duplicates"]),
            ("out of order", report.counts["out of order"]),
            ("reported gaps (recovered:false)", report.counts["reported gaps"]),
            ("real gaps (epoch changed)", report.counts["real gaps"]),
            ("silent gaps", report.counts["silent gaps"]),
            ("restarts", chaos.restarts),
            ("Redis restarts", chaos.redis_restarts),
            ("subscriber sessions", sum(s.sessions for s in subscribers)),
            ("resubscribes on a live connection", sum(s.resubscribes for s in subscribers)),
        ]
        for name, val in rows:
            print(f"  {name:50s} {val}")
        notes = {k: v for k, v in report.counts.items() if k not in report.examples}
        for k, v in sorted(notes.items()):
            print(f"  (note) {k:43s} {v}")
        failures = {k: report.counts[k] for k in report.examples}
        if chaos.restarts < MIN_RESTARTS:
            failures["too few restarts"] = chaos.restarts
        if chaos.redis_restarts < REDIS_RESTARTS:
            failures["too few Redis restarts"] = chaos.redis_restarts
        if acked == 0:
            failures["nothing acknowledged"] = 1
        if failures:
            # When each kill and restart happened, to line up with the
            # example timestamps above (a Redis restart that lost data, say).
            print("chaos: " + ", ".join(f"{t:.2f}s {what}" for t, what in chaos.events))
            print("FAILED:")
            for k, v in sorted(failures.items()):
                print(f"  {k}: {v}")
                for ex in report.examples.get(k, []):
                    print(f"      {ex}")
        else:
            print("OK: every acknowledged publication delivered once, in order, to every subscriber")
        ok = not failures
    finally:
        server.stop()
        if not ok:
            log = server.log()
            if log:
                print("---- server log (tail) ----")
                print(log[-8000:])
            if KEEP:
                keep = tempfile.mkdtemp(prefix="herald-checker-")
                server.keep(keep)
                print(f"kept the data directories and logs in {keep}")
        server.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
