"""Interop tier: the Python `websockets` client against Herald's example servers.

Run with the Debian interpreter, which has python3-websockets (10.4, legacy
asyncio API):

    HERALD_ECHO_SERVER=build/.../examples/echo_server \
    HERALD_BROADCAST_SERVER=build/.../examples/broadcast \
    /usr/bin/python3 -m unittest -v test_echo

ctest (label "interop") sets both variables. Each test class starts its own
server on a free port and stops it with SIGTERM, expecting exit code 0.
"""

import asyncio
import ctypes
import os
import random
import re
import select
import signal
import subprocess
import sys
import time
import unittest

import websockets
from websockets.exceptions import ConnectionClosed
from websockets.frames import OP_TEXT

MIB = 1024 * 1024
SERVER_MAX = 16 * MIB
# Payload lengths around the frame header's 7-bit / 16-bit / 64-bit forms,
# and the server's limit itself (a message of exactly the limit is allowed).
SIZES = [0, 1, 125, 126, 127, 65535, 65536, SERVER_MAX]
STEP_TIMEOUT = 10  # seconds for any single network step
START_TIMEOUT = 10
STOP_TIMEOUT = 5   # the server's own shutdownTimeout is 5 s; with no clients it should be quicker

SEED = int(os.environ.get("HERALD_INTEROP_SEED", "0")) or random.SystemRandom().randrange(1, 2**32)
RNG = random.Random(SEED)

# Characters of every UTF-8 length: 1, 2, 3 and 4 bytes.
_CHARS = "aZ9 ~\n" "éß¿Ωж" "€中한あ\ufffd" "😀𝄞🂡"


def random_bytes(n):
    return RNG.randbytes(n)


_POOL = []


def random_text(n):
    """A str whose UTF-8 encoding is exactly n bytes, mixing 1- to 4-byte characters."""
    if not _POOL:
        _POOL.append("".join(RNG.choices(_CHARS, k=400_000)))  # about 1 MiB of UTF-8
    pool = _POOL[0]
    parts, size = [], 0
    while size < n:
        start = RNG.randrange(len(pool))
        enc = pool[start:start + RNG.randrange(1, 200_000)].encode()
        if size + len(enc) > n:
            # Cut at a character boundary, then pad with ASCII.
            enc = enc[: n - size].decode("utf-8", errors="ignore").encode()
            enc += b"x" * (n - size - len(enc))
        parts.append(enc.decode())
        size += len(enc)
    text = "".join(parts)
    assert len(text.encode()) == n, (len(text.encode()), n)
    return text


_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    # Runs in the child before exec: if this test process is killed (say by
    # ctest's timeout), the server gets SIGKILL instead of lingering.
    PR_SET_PDEATHSIG = 1
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def server_path(var):
    path = os.environ.get(var)
    if not path:
        raise RuntimeError(f"{var} is not set: point it at the built server binary (ctest sets it)")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{var}={path} is not an executable file")
    return path


class Server:
    """One server process on a free port."""

    def __init__(self, var, *args):
        self.path = server_path(var)
        # stderr is inherited so sanitizer reports show in the test output.
        self.proc = subprocess.Popen([self.path, "--port", "0", *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, preexec_fn=_die_with_parent)
        self.port = self._read_port()
        self.uri = f"ws://127.0.0.1:{self.port}/"

    def _read_port(self):
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise RuntimeError(f"{self.path}: no 'listening on' line within {START_TIMEOUT}s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    code = self.proc.wait()
                    raise RuntimeError(f"{self.path} exited with {code} before listening; stdout: {buf!r}")
                buf += chunk
        line = buf.split(b"\n", 1)[0].decode()
        m = re.match(r"listening on (\S+):(\d+)\b", line)
        if not m:
            self.kill()
            raise RuntimeError(f"{self.path}: unexpected first line {line!r}")
        return int(m.group(2))

    def alive(self):
        return self.proc.poll() is None

    def terminate(self):
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout=STOP_TIMEOUT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.path} did not exit within {timeout}s of SIGTERM")

    def stop(self):
        """SIGTERM, then the exit code (None if the process had already exited)."""
        already = self.proc.poll()
        if already is not None:
            self.proc.stdout.close()
            raise AssertionError(f"{self.path} died during the tests with exit code {already}")
        self.terminate()
        code = self.wait()
        self.proc.stdout.close()
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


def connect(uri, **kw):
    kw.setdefault("max_size", 2 * SERVER_MAX)
    kw.setdefault("ping_interval", None)  # no client-initiated pings interleaved with the test's own
    kw.setdefault("open_timeout", STEP_TIMEOUT)
    kw.setdefault("close_timeout", 5)
    return websockets.connect(uri, **kw)


async def step(aw, timeout=STEP_TIMEOUT, what="the server"):
    try:
        return await asyncio.wait_for(aw, timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


def setUpModule():
    print(f"interop: random seed {SEED} (set HERALD_INTEROP_SEED to replay)", file=sys.stderr)


class AsyncTestCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        # IsolatedAsyncioTestCase runs the loop in debug mode; building and
        # comparing 16 MiB messages legitimately takes longer than its 0.1 s.
        asyncio.get_running_loop().slow_callback_duration = 2.0


class ServerTestCase(AsyncTestCase):
    """Starts SERVER_VAR with SERVER_ARGS for the class; stops it with SIGTERM at the end."""
    SERVER_VAR = "HERALD_ECHO_SERVER"
    SERVER_ARGS = ("--max-message-bytes", str(SERVER_MAX))

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.SERVER_VAR, *cls.SERVER_ARGS)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"{cls.server.path} exited with {code} after SIGTERM, expected 0")

    def tearDown(self):
        self.assertTrue(self.server.alive(), "server process died")

    async def assert_closed_with(self, ws, code):
        """Waits for the connection to close; asserts the close code the client received."""
        with self.assertRaises(ConnectionClosed):
            while True:
                await step(ws.recv())
        await step(ws.wait_closed())
        self.assertEqual(ws.close_code, code, f"close reason: {ws.close_reason!r}")


class EchoTest(ServerTestCase):

    async def echo(self, ws, message):
        kind, size = ("binary", len(message)) if isinstance(message, bytes) else ("text", len(message.encode()))
        what = f"the echo of a {size}-byte {kind} message"
        await step(ws.send(message), what=f"sending {what[4:]}")
        reply = await step(ws.recv(), what=what)
        self.assertIs(type(reply), type(message))
        if reply != message:  # don't let unittest diff 16 MiB
            self.fail(f"echo differs: sent {len(message)} {type(message).__name__}, got {len(reply)}")

    async def test_binary_sizes(self):
        async with connect(self.server.uri) as ws:
            for n in SIZES:
                await self.echo(ws, random_bytes(n))

    async def test_text_sizes(self):
        async with connect(self.server.uri) as ws:
            for n in SIZES:
                await self.echo(ws, random_text(n))

    async def test_many_messages_in_flight(self):
        # Pipelined small messages come back in order.
        async with connect(self.server.uri) as ws:
            msgs = [random_text(RNG.randrange(0, 300)) if i % 2 else random_bytes(RNG.randrange(0, 300))
                    for i in range(500)]
            for m in msgs:
                await ws.send(m)
            for m in msgs:
                self.assertEqual(await step(ws.recv()), m)

    async def test_fragmented_text(self):
        async with connect(self.server.uri) as ws:
            parts = [random_text(100), "", random_text(70000), random_text(1), random_text(125)]
            await step(ws.send(parts))
            self.assertEqual(await step(ws.recv()), "".join(parts))

    async def test_fragmented_binary(self):
        async with connect(self.server.uri) as ws:
            parts = [random_bytes(n) for n in (1, 0, 126, 65536, 3)]
            await step(ws.send(parts))
            self.assertEqual(await step(ws.recv()), b"".join(parts))

    async def test_fragmented_async_iterable_then_whole(self):
        async def gen():
            for i in range(20):
                yield random_bytes(i * 100)
                await asyncio.sleep(0.005)  # fragments arrive in separate reads

        async with connect(self.server.uri) as ws:
            sent = []

            async def recording():
                async for p in gen():
                    sent.append(p)
                    yield p
            await step(ws.send(recording()))
            self.assertEqual(await step(ws.recv()), b"".join(sent))
            await self.echo(ws, "after fragments")

    async def test_ping_pong(self):
        async with connect(self.server.uri) as ws:
            for payload in (b"", b"herald", random_bytes(125)):
                with self.subTest(bytes=len(payload)):
                    # The waiter resolves only on a pong carrying the same payload.
                    waiter = await step(ws.ping(payload))
                    await step(waiter, 5)
            await self.echo(ws, "still open")

    async def test_ping_between_fragments(self):
        async with connect(self.server.uri) as ws:
            await ws.write_frame(False, websockets.frames.OP_BINARY, b"abc")
            waiter = await ws.ping(b"mid-message")
            await ws.write_frame(True, websockets.frames.OP_CONT, b"def")
            await step(waiter, 5)
            self.assertEqual(await step(ws.recv()), b"abcdef")

    async def test_client_close_with_code_and_reason(self):
        for code, reason in ((1000, "bye"), (4000, "app-specific ünïcode"), (3001, "")):
            with self.subTest(code=code):
                async with connect(self.server.uri) as ws:
                    await self.echo(ws, "hello")
                    await step(ws.close(code, reason))
                    # The server answers with the same code (RFC 6455 5.5.1).
                    self.assertEqual(ws.close_code, code)
                    self.assertIsInstance(ws.close_reason, str)
                    with self.assertRaises(ConnectionClosed):
                        await ws.recv()

    async def test_client_close_without_code(self):
        async with connect(self.server.uri) as ws:
            # A close frame with an empty body: the server must not echo 1005.
            await ws.write_frame(True, websockets.frames.OP_CLOSE, b"")
            await step(ws.wait_closed())
            self.assertIn(ws.close_code, (1000, 1005))

    async def test_invalid_utf8_text(self):
        for payload in (b"\xff\xfe", b"ok \xc3\x28", b"trunc \xe2\x82", b"\xed\xa0\x80"):  # last: a surrogate
            with self.subTest(payload=payload):
                async with connect(self.server.uri) as ws:
                    await ws.write_frame(True, OP_TEXT, payload)
                    await self.assert_closed_with(ws, 1007)

    async def test_utf8_split_across_fragments(self):
        async with connect(self.server.uri) as ws:
            euro = "€".encode()
            await ws.write_frame(False, OP_TEXT, b"x" + euro[:2])
            await ws.write_frame(True, websockets.frames.OP_CONT, euro[2:])
            self.assertEqual(await step(ws.recv()), "x€")

    async def test_many_clients(self):
        async def one(i):
            async with connect(self.server.uri) as ws:
                for n in (0, 200, 70000):
                    await self.echo(ws, random_bytes(n) if i % 2 else random_text(n))
        await step(asyncio.gather(*(one(i) for i in range(20))), 30)


class EchoTwoThreadsTest(ServerTestCase):
    SERVER_ARGS = ("--max-message-bytes", str(SERVER_MAX), "--threads", "2")

    async def test_concurrent_clients(self):
        async def one(i):
            async with connect(self.server.uri) as ws:
                for n in (1, 126, 65536, MIB):
                    m = random_bytes(n) if i % 2 else random_text(n)
                    await step(ws.send(m))
                    self.assertEqual(await step(ws.recv()), m)
                await step(ws.send([b"frag", b"mented"]))
                self.assertEqual(await step(ws.recv()), b"fragmented")
        await step(asyncio.gather(*(one(i) for i in range(16))), 60)


class MessageLimitTest(ServerTestCase):
    SERVER_ARGS = ("--max-message-bytes", "1000")

    async def test_at_limit_is_echoed(self):
        async with connect(self.server.uri) as ws:
            m = random_bytes(1000)
            await ws.send(m)
            self.assertEqual(await step(ws.recv()), m)
            t = random_text(1000)
            await ws.send(t)
            self.assertEqual(await step(ws.recv()), t)

    async def test_over_limit_binary(self):
        async with connect(self.server.uri) as ws:
            await ws.send(random_bytes(1001))
            await self.assert_closed_with(ws, 1009)

    async def test_over_limit_text(self):
        async with connect(self.server.uri) as ws:
            await ws.send(random_text(1001))
            await self.assert_closed_with(ws, 1009)

    async def test_over_limit_fragmented(self):
        # The limit is on the message, not the frame.
        async with connect(self.server.uri) as ws:
            await ws.send([random_bytes(600), random_bytes(401)])
            await self.assert_closed_with(ws, 1009)

    async def test_huge_over_limit(self):
        async with connect(self.server.uri) as ws:
            try:
                await step(ws.send(random_bytes(4 * MIB)))
            except ConnectionClosed:
                pass  # the server may close before the client finishes writing
            await self.assert_closed_with(ws, 1009)


class ServerShutdownTest(AsyncTestCase):

    async def test_sigterm_closes_clients_with_1001(self):
        server = Server("HERALD_ECHO_SERVER", "--max-message-bytes", str(SERVER_MAX), "--threads", "2")
        try:
            clients = [await connect(server.uri) for _ in range(5)]
            for i, ws in enumerate(clients):
                await ws.send(f"hi {i}")
                self.assertEqual(await step(ws.recv()), f"hi {i}")
            server.terminate()
            for ws in clients:
                with self.assertRaises(ConnectionClosed):
                    await step(ws.recv())
                await step(ws.wait_closed())
                self.assertEqual(ws.close_code, 1001, f"reason {ws.close_reason!r}")
            code = await asyncio.get_running_loop().run_in_executor(None, server.wait)
            self.assertEqual(code, 0)
        finally:
            server.kill()

    async def test_sigterm_idle_server(self):
        # Once a server has printed "listening on", SIGTERM must mean a graceful
        # stop (exit 0), however soon it comes.
        for var in ("HERALD_ECHO_SERVER", "HERALD_BROADCAST_SERVER"):
            for attempt in range(5):
                server = Server(var)
                try:
                    start = time.monotonic()
                    code = server.stop()
                    self.assertEqual(
                        code, 0,
                        f"{os.path.basename(server.path)} exited with {code} on a SIGTERM sent right after "
                        f"it printed 'listening on' (attempt {attempt + 1}); -15 means it died of the signal: "
                        "SIGTERM is not handled yet at that point")
                    self.assertLess(time.monotonic() - start, 2, "an idle server should stop promptly")
                finally:
                    server.kill()


class BroadcastTest(ServerTestCase):
    SERVER_VAR = "HERALD_BROADCAST_SERVER"
    SERVER_ARGS = ("--max-message-bytes", str(SERVER_MAX))
    QUIET = 0.3  # how long the sender waits to be sure it gets nothing back

    async def check_broadcast(self, n_clients, messages):
        clients = [await connect(self.server.uri) for _ in range(n_clients)]
        try:
            for k, message in enumerate(messages):
                sender = clients[k % n_clients]
                await step(sender.send(message))
                for ws in clients:
                    if ws is sender:
                        continue
                    got = await step(ws.recv())
                    self.assertEqual(type(got), type(message))
                    self.assertTrue(got == message, f"receiver got {len(got)} bytes, expected {len(message)}")
            # Nobody got anything extra: in particular no sender saw its own message.
            await asyncio.sleep(self.QUIET)
            for i, ws in enumerate(clients):
                with self.assertRaises(asyncio.TimeoutError, msg=f"client {i} received an extra message"):
                    await asyncio.wait_for(ws.recv(), 0.01)
        finally:
            for ws in clients:
                await step(ws.close())

    async def test_three_clients(self):
        await self.check_broadcast(3, ["héllo wörld ✓"])

    async def test_three_clients_mixed(self):
        await self.check_broadcast(3, [random_bytes(0), random_text(125), random_bytes(65536),
                                        random_text(70000), random_bytes(MIB)])

    async def test_fragmented_is_broadcast_whole(self):
        clients = [await connect(self.server.uri) for _ in range(3)]
        try:
            await clients[0].send(["part one, ", "part two"])
            for ws in clients[1:]:
                self.assertEqual(await step(ws.recv()), "part one, part two")
            with self.assertRaises(asyncio.TimeoutError):
                await asyncio.wait_for(clients[0].recv(), self.QUIET)
        finally:
            for ws in clients:
                await ws.close()

    async def test_closed_client_is_not_a_subscriber(self):
        a, b, c = [await connect(self.server.uri) for _ in range(3)]
        await c.close()
        await a.send("after c left")
        self.assertEqual(await step(b.recv()), "after c left")
        await b.send("to a")
        self.assertEqual(await step(a.recv()), "to a")
        await a.close()
        await b.close()


class BroadcastTwoThreadsTest(BroadcastTest):
    SERVER_ARGS = ("--max-message-bytes", str(SERVER_MAX), "--threads", "2")

    async def test_many_clients_across_loops(self):
        await self.check_broadcast(8, ["to all", random_bytes(1000), random_text(3000)])


if __name__ == "__main__":
    unittest.main()
